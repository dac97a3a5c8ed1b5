# Shared setup of the integration tests: real runc-trace, real BPF, real
# consumer, real containers from a busybox-static rootfs.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
RUNC=$ROOT/build/bin/runc-trace
CONSUMER=$ROOT/build/bin/runc-trace-consumer
HELPER=$ROOT/build/bin/runc-trace-bpf
WORKLOAD=$ROOT/build/test/workload
ROOTFS=$ROOT/build/test/rootfs-busybox
PIN_DIR=/sys/fs/bpf/runc-trace
STATE_DIR=/run/runc-trace

# runc's own state for the tests, apart from anything else on the host.
RUNC_ROOT=/run/runc-trace-tests
runc() { "$RUNC" --root "$RUNC_ROOT" "$@"; }

# The consumer of this test file writes here.
OUT=$BATS_FILE_TMPDIR/out

# start_consumer [ARG...]: the consumer writing to $OUT, with ARG... added.
start_consumer() {
	"$CONSUMER" --out "$OUT" "$@" >"$BATS_FILE_TMPDIR/consumer.log" 2>&1 &
	echo $! >"$BATS_FILE_TMPDIR/consumer.pid"
	# The consumer also picks up containers that started before it, so a
	# slow start loses nothing; wait only until it runs.
	for _ in $(seq 50); do [ -d "$OUT" ] && break; sleep 0.1; done
	kill -0 "$(cat "$BATS_FILE_TMPDIR/consumer.pid")" 2>/dev/null || {
		echo "runc-trace-consumer did not start:" >&2
		cat "$BATS_FILE_TMPDIR/consumer.log" >&2
		return 1
	}
}

stop_consumer() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/consumer.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# make_bundle NAME ANNOTATIONS_JSON ARG...: a bundle running ARG... as root,
# writable rootfs, no terminal.
make_bundle() {
	local name=$1 annotations=$2
	shift 2
	BUNDLE=$BATS_TEST_TMPDIR/$name
	mkdir -p "$BUNDLE"
	cp -a "$ROOTFS" "$BUNDLE/rootfs"
	cp "$WORKLOAD" "$BUNDLE/rootfs/bin/workload"
	(cd "$BUNDLE" && "$RUNC" spec)
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	jq --argjson a "$annotations" --argjson args "$args" \
		'.annotations = $a | .process.terminal = false | .root.readonly = false | .process.args = $args' \
		"$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# bundle_edit JQ: change the current bundle's config.json.
bundle_edit() {
	jq "$1" "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

TRACED='{"io.trace.enabled":"true"}'

# wait_trace ID: wait until the trace of ID is complete (exit record last).
wait_trace() {
	local file=$OUT/$1.jsonl
	for _ in $(seq 150); do
		if [ -s "$file" ] && [ "$(tail -n 1 "$file" | jq -r .type)" = exit ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "trace of $1 not complete after 15s; consumer log:" >&2
	cat "$BATS_FILE_TMPDIR/consumer.log" >&2
	[ -s "$file" ] && tail -n 5 "$file" >&2
	return 1
}

# records ID JQ_FILTER: the records of ID's trace that match.
records() {
	jq -c "select($2)" "$OUT/$1.jsonl"
}

# The host holds no BPF state of ours once no traced container exists.
assert_no_tracer_state() {
	[ ! -e "$PIN_DIR" ] || { echo "left behind: $(find "$PIN_DIR")" >&2; return 1; }
	[ -z "$(ls -A "$STATE_DIR/containers" 2>/dev/null)" ] || { echo "left behind: $(ls "$STATE_DIR/containers")" >&2; return 1; }
	! bpftool prog show 2>/dev/null | grep -q 'name trace_\|name on_sys_'
}

cleanup_containers() {
	local id
	for id in $(runc list -q 2>/dev/null); do
		runc delete -f "$id" >/dev/null 2>&1 || true
	done
}
