#!/usr/bin/env bash
# Integration tests of runc-trace: real runc-trace, real BPF in the running
# kernel, the real consumer, containers from a busybox-static rootfs.
# Prints "N passed, N failed, N skipped" last; exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
for bin in runc-trace runc-trace-bpf runc-trace-consumer; do
	[ -x "build/bin/$bin" ] || { echo "test/integration: build/bin/$bin missing: run 'make build' first" >&2; exit 1; }
done
mkdir -p build/test
echo "test/integration: building the workload and the busybox rootfs"
(cd test/workload && CGO_ENABLED=0 go build -trimpath -o "$root/build/test/workload" .)
[ -x build/test/rootfs-busybox/bin/busybox ] || test/lib/mkrootfs-busybox.sh build/test/rootfs-busybox
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf

tap=$(mktemp)
trap 'rm -f "$tap"' EXIT
status=0
bats --tap test/integration/*.bats | tee "$tap" || status=$?
passed=$(grep -c '^ok ' "$tap" || true)
skipped=$(grep -c '^ok .*# skip' "$tap" || true)
failed=$(grep -c '^not ok ' "$tap" || true)
echo "integration: $((passed - skipped)) passed, $failed failed, $skipped skipped"
exit $status
