# Shared setup of the hostile tests: the integration helpers plus a consumer
# start that waits for the host-wide consumer lock, per-test container ids,
# leak checks scoped to our own containers (other engineers' containers may
# be traced on the same host), and the static `hostile` helper (hostile.c).
load ../integration/helpers

HOSTILE=$ROOT/build/test/hostile
# Our own runc root: the integration suite's cleanup deletes every container
# under /run/runc-trace-tests, including those of a concurrent hostile run.
RUNC_ROOT=/run/runc-trace-hostile
SOAK=${SOAK:-0}
# Container ids of this bats run (stable across its tests): unique on the host.
ID_PREFIX=h$(basename "$BATS_RUN_TMPDIR" | tr -dc 'a-zA-Z0-9' | tail -c 8)

# wait_trace ID [SECONDS]: like the integration helper, with a longer bound
# (a flood leaves millions of records to decode).
wait_trace() {
	local file=$OUT/$1.jsonl i
	for i in $(seq $((${2:-60} * 10))); do
		if [ -s "$file" ] && [ "$(tail -n 1 "$file" | jq -r .type 2>/dev/null)" = exit ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "trace of $1 not complete after ${2:-60}s; consumer log:" >&2
	tail -n 20 "$BATS_FILE_TMPDIR/consumer.log" >&2
	return 1
}

# cleanup_ours: delete this run's containers.
cleanup_ours() {
	local id
	for id in $(runc list -q 2>/dev/null | grep "^${ID_PREFIX}-"); do runc delete -f "$id" >/dev/null 2>&1 || true; done
}

# start_consumer [ARGS...]: one consumer per host; wait (up to 10 min) while
# another holds /run/runc-trace/consumer.lock.
start_consumer() {
	local deadline=$((SECONDS + 600)) pid
	while :; do
		"$CONSUMER" --out "$OUT" "$@" >>"$BATS_FILE_TMPDIR/consumer.log" 2>&1 &
		pid=$!
		echo "$pid" >"$BATS_FILE_TMPDIR/consumer.pid"
		for _ in $(seq 20); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && return 0
		if grep -q 'another runc-trace-consumer' "$BATS_FILE_TMPDIR/consumer.log" && [ $SECONDS -lt $deadline ]; then
			sleep 2
			continue
		fi
		echo "runc-trace-consumer did not start:" >&2
		cat "$BATS_FILE_TMPDIR/consumer.log" >&2
		return 1
	done
}

consumer_pid() { cat "$BATS_FILE_TMPDIR/consumer.pid"; }

# The default life of a hostile test file: one consumer for the file, this run's containers deleted
# after each test and at the end. A file that needs another defines its own after `load helpers`.
setup_file() {
	start_consumer
}

teardown_file() {
	stop_consumer
	cleanup_ours
}

teardown() {
	cleanup_ours
}

# hostile_bundle NAME ANNOTATIONS ARG...: make_bundle plus the hostile helper in /bin.
hostile_bundle() {
	make_bundle "$@"
	cp "$HOSTILE" "$BUNDLE/rootfs/bin/hostile"
}

# kernel_counters ID: "seq lost" of ID's slot while it is armed.
kernel_counters() {
	"$HELPER" status | jq -r --arg id "$1" '.containers[] | select(.id == $id) | "\(.seq) \(.lost)"'
}

# seq_accounted FILE SEQ: every number 0..SEQ-1 is in FILE exactly once, as a
# record or inside a gap.
seq_accounted() {
	jq -s --argjson n "$2" '
		[.[] | if .type == "gap" then range(.seq_from; .seq_to + 1)
		       elif .type == "syscall" or .type == "process" then .seq else empty end]
		| sort as $s | ($s | length) == $n and $s == [range(0; $n)]' "$1" | grep -qx true
}

# assert_gone ID...: no trace of these containers on the host: runc state,
# tracer state file and pin, cgroups, processes.
assert_gone() {
	local id
	for id in "$@"; do
		[ ! -e "$RUNC_ROOT/$id" ] || { echo "runc state of $id left" >&2; return 1; }
		[ ! -e "$STATE_DIR/containers/$id.json" ] || { echo "tracer state of $id left" >&2; return 1; }
		[ ! -e "$PIN_DIR/containers/$id" ] || { echo "ring buffer pin of $id left" >&2; return 1; }
		[ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id" 2>/dev/null)" ] || { echo "cgroup of $id left: $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id")" >&2; return 1; }
		! grep -ls "/$id\$" /proc/[0-9]*/cgroup >/dev/null 2>&1 || { echo "process of $id left" >&2; return 1; }
		! "$HELPER" status | jq -e --arg id "$id" '.containers[] | select(.id == $id)' >/dev/null || { echo "slot of $id left" >&2; return 1; }
	done
}

# verify FILE...: runc-trace-consumer verify
verify() { "$CONSUMER" verify "$@"; }
