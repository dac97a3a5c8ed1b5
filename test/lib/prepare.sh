# Sourced by the runners of test/integration, test/hostile and test/e2e: the
# built binaries must exist; the static workload and the busybox rootfs are
# (re)built into build/test; bpffs is mounted. Expects $root (the repo) and
# $suite (the runner's name, for messages); leaves the cwd at $root.
cd "$root"
for bin in runc-trace runc-trace-bpf runc-trace-consumer; do
	[ -x "build/bin/$bin" ] || { echo "$suite: build/bin/$bin missing: run 'make build' first" >&2; exit 1; }
done
mkdir -p build/test
if [ ! -x build/test/workload ] || [ -n "$(find test/workload -newer build/test/workload -type f)" ]; then
	echo "$suite: building the workload"
	(cd test/workload && PATH=$PATH:/usr/local/go/bin CGO_ENABLED=0 go build -trimpath -o "$root/build/test/workload" .)
fi
[ -x build/test/rootfs-busybox/bin/busybox ] || test/lib/mkrootfs-busybox.sh build/test/rootfs-busybox
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf
