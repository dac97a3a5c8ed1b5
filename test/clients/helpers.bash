# Shared setup of the client tests: podman and containerd, as Debian ships
# them, drive the real runc-trace; the real consumer records; nothing of the
# clients' state lives outside the test's own directories (see docs/CLIENTS.md
# for what the clients still put elsewhere and how the tests remove it).

# start_consumer, stop_consumer, wait_trace, records, assert_no_tracer_state
# and $OUT are the integration tests' own: one definition of "a complete trace"
# and of "no tracer state left".
load ../integration/helpers

# The image's entrypoint: the trace must start at its execve with the argv
# the client composed from ENTRYPOINT and the command line.
IMAGE_ENTRYPOINT='["/bin/workload"]'
IMAGE_CMD='["exit","0"]'

# rootfs_tar OUT: the busybox rootfs plus the static workload as /bin/workload,
# the single layer of both clients' images.
rootfs_tar() {
	tar -C "$ROOTFS" --sort=name --owner=0 --group=0 --numeric-owner -cf "$1" .
	tar -C "$(dirname "$WORKLOAD")" --owner=0 --group=0 --numeric-owner \
		--transform 's,^workload$,./bin/workload,' -rf "$1" workload
}

# assert_trace ID ARGV_JSON STATUS: ID's trace is complete, its first workload
# record is the execve of ARGV_JSON[0] with exactly that argv, it ends with an
# exit record of STATUS, and the consumer's verifier accepts its chain.
assert_trace() {
	local id=$1 argv=$2 want_status=$3 file=$OUT/$1.jsonl first
	wait_trace "$id"
	head -n 1 "$file" | jq -e --arg id "$id" '.type == "header" and .container == $id and .annotations["io.trace.enabled"] == "true"'
	first=$(records "$id" '.phase == "workload"' | head -n 1)
	echo "$first" | jq -e --argjson argv "$argv" \
		'.type == "syscall" and .syscall == "execve" and .ret == 0 and .args.filename == $argv[0] and .args.argv == $argv'
	tail -n 1 "$file" | jq -e --arg id "$id" --argjson s "$want_status" '.type == "exit" and .container == $id and .status == $s and .lost == 0'
	run "$CONSUMER" verify "$file"
	[ "$status" -eq 0 ] && [[ $output == *": OK: "* ]] || { echo "verify $file: $output" >&2; return 1; }
}

# assert_no_trace ID: the consumer wrote nothing for ID.
assert_no_trace() {
	[ ! -e "$OUT/$1.jsonl" ] || { echo "untraced container $1 has a trace:" >&2; head -n 1 "$OUT/$1.jsonl" >&2; return 1; }
}

# assert_no_processes PATTERN: no live process (zombies aside: PID 1 here is
# the VM agent, which reaps them when it gets to it) has PATTERN in its
# command line. The clients' monitors (conmon, containerd-shim) exit
# asynchronously after the container is removed, hence the wait.
assert_no_processes() {
	local left
	for _ in $(seq 50); do
		left=$(ps -eo pid=,stat=,args= | awk -v p="$1" '$2 !~ /^Z/ && index($0, p) && !/awk -v p=/')
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "processes left behind (matching $1):" >&2
	echo "$left" >&2
	return 1
}

# remove_cgroup NAME: remove the cgroup NAME (and its children) that a client
# created as a parent in every hierarchy; on this hybrid host that is each v1
# controller plus the v2 tree at /sys/fs/cgroup/unified. conmon also makes
# plain directories (with a "tasks" file) for v1 controllers this host does
# not mount, e.g. /sys/fs/cgroup/hugetlb on the tmpfs: those go with rm.
remove_cgroup() {
	local d
	for d in /sys/fs/cgroup/*/"$1"; do
		[ -d "$d" ] || continue
		if mountpoint -q "$(dirname "$d")"; then
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null ||
				echo "cgroup $d not removed: $(find "$d" -name cgroup.procs -exec cat {} + | paste -sd' ')" >&2
		else
			rm -rf "$d"
		fi
	done
}

# cgroup_roots: the entries of /sys/fs/cgroup, to compare before and after.
cgroup_roots() { ls /sys/fs/cgroup | paste -sd' '; }

# remove_new_cgroup_roots BEFORE: remove the empty plain directories (not
# mounted hierarchies) that appeared in /sys/fs/cgroup since cgroup_roots
# printed BEFORE: conmon's stand-ins for unmounted controllers.
remove_new_cgroup_roots() {
	local d
	for d in /sys/fs/cgroup/*; do
		[[ " $1 " == *" $(basename "$d") "* ]] || mountpoint -q "$d" || rmdir "$d" 2>/dev/null || true
	done
}
