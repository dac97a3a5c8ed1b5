#!/usr/bin/env bash
# Hostile-container and fault tests (test/hostile/*.bats): real runc-trace,
# real BPF, the real consumer. SOAK=1 (make soak) runs the long settings.
# Prints "N passed, N failed, N skipped" last; exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
for bin in runc-trace runc-trace-bpf runc-trace-consumer; do
	[ -x "build/bin/$bin" ] || { echo "test/hostile: build/bin/$bin missing: run 'make build' first" >&2; exit 1; }
done
mkdir -p build/test
(cd test/workload && CGO_ENABLED=0 go build -trimpath -o "$root/build/test/workload" .)
gcc -O2 -static -pthread -o build/test/hostile test/hostile/hostile.c
[ -x build/test/rootfs-busybox/bin/busybox ] || test/lib/mkrootfs-busybox.sh build/test/rootfs-busybox
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
status=0
bats --tap --timing test/hostile/*.bats | tee "$tap" || status=$?
passed=$(grep -c '^ok ' "$tap" || true)
skipped=$(grep -c '^ok .*# skip' "$tap" || true)
failed=$(grep -c '^not ok ' "$tap" || true)
echo "hostile: $((passed - skipped)) passed, $failed failed, $skipped skipped"
exit $status
