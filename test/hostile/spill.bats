#!/usr/bin/env bats
# A container whose whole life falls into a time when no consumer reads its ring:
# runc delete (runc-trace-bpf disarm) spills what the ring holds, or writes a loss
# marker when even that fails, and the next consumer writes the container's file
# from it. Nothing is lost silently, and delete never fails for it.

load helpers

SPILL_DIR=/var/lib/runc-trace/spill
LOST_DIR=$STATE_DIR/lost

# No consumer for the file (helpers' default): each test starts one when it wants one.
setup_file() { :; }
teardown_file() { cleanup_ours; }

teardown() {
	stop_consumer
	rm -f "$BATS_FILE_TMPDIR/consumer.pid"
	cleanup_ours
	if mountpoint -q "$SPILL_DIR"; then
		rm -f "$SPILL_DIR"/${ID_PREFIX}-* "$SPILL_DIR/.fill"
		umount "$SPILL_DIR"
	fi
	rm -f "$LOST_DIR"/${ID_PREFIX}-*
}

# wait_no_consumer: these tests are about containers no consumer reads; wait
# (up to 10 min) while another test's consumer holds the host-wide lock.
wait_no_consumer() {
	local deadline=$((SECONDS + 600))
	mkdir -p "$STATE_DIR"
	until flock -n "$STATE_DIR/consumer.lock" true; do
		[ $SECONDS -lt $deadline ] || { echo "a consumer kept running for 10 min" >&2; return 1; }
		sleep 2
	done
}

wait_stopped() {
	for _ in $(seq 300); do [ "$(runc state "$1" | jq -r .status)" = stopped ] && return 0; sleep 0.1; done
	return 1
}

# ours DIR: this run's spill files and loss markers in DIR
ours() { ls -A "$1" 2>/dev/null | grep "^${ID_PREFIX}-" || true; }

# only_loss_marker ID: the path of ID's loss marker in the spill dir, which holds nothing else of ours
only_loss_marker() {
	local name
	[ -z "$(ours "$SPILL_DIR" | grep -v '\.lost$')" ] || return 1 # (no errexit in $(...))
	name=$(ours "$SPILL_DIR" | grep "^$1\..*\.lost$") || return 1
	echo "$SPILL_DIR/$name"
}

# assert_from_loss_marker ID SEQ: ID's file, written from a loss marker of SEQ numbers, holds one
# no-consumer gap of all of them and an exit record saying so, and verifies
assert_from_loss_marker() {
	records "$1" '.type == "gap"' | jq -e --argjson seq "$2" '.seq_from == 0 and .seq_to == $seq - 1 and .reason == "no-consumer"'
	tail -n 1 "$OUT/$1.jsonl" | jq -e --argjson seq "$2" '.source == "loss-marker" and .records == 0 and .lost == $seq and .lost_by_reason["no-consumer"] == $seq'
	verify "$OUT/$1.jsonl"
}

@test "created, run and deleted while no consumer runs: the next consumer writes the whole trace from the spill" {
	id=${ID_PREFIX}-gone
	wait_no_consumer
	make_bundle gone "$TRACED" /bin/workload exit 3
	# runc run deletes the container when it exits: that is the disarm
	run runc run -b "$BUNDLE" "$id"
	[ "$status" -eq 3 ]
	assert_gone "$id"
	spill=$SPILL_DIR/$(ours "$SPILL_DIR" | grep "^$id\.[0-9]*\.[0-9]*\.spill$")
	[ "$(stat -c %a "$SPILL_DIR")" = 700 ] && [ "$(stat -c %a "$spill")" = 600 ]
	head -n 1 "$spill" | jq -e --arg id "$id" '.kind == "records" and .consumer_attached == false and .state.id == $id and .seq > 0'
	seq=$(head -n 1 "$spill" | jq .seq)
	echo "spill: $(stat -c %s "$spill") bytes, seq $seq" >&3
	[ ! -e "$OUT/$id.jsonl" ]
	start_consumer
	wait_trace "$id"
	verify "$OUT/$id.jsonl"
	head -n 1 "$OUT/$id.jsonl" | jq -e --arg id "$id" '.type == "header" and .container == $id'
	records "$id" '.phase == "workload"' | head -n 1 | jq -e '.syscall == "execve" and .args.argv == ["/bin/workload", "exit", "3"]'
	tail -n 1 "$OUT/$id.jsonl" | jq -e --argjson seq "$seq" '.type == "exit" and .source == "spill" and .status == 3 and .lost == 0 and .records == $seq'
	seq_accounted "$OUT/$id.jsonl" "$seq"
	# removed only after the JSONL was written and fsync'd
	[ -z "$(ours "$SPILL_DIR")" ]
	grep -q "$id: imported spill" "$BATS_FILE_TMPDIR/consumer.log"
}

@test "deleted while the consumer reads its ring: no spill, one file, no source field" {
	id=${ID_PREFIX}-live
	start_consumer
	make_bundle live "$TRACED" /bin/workload exit 0
	runc run -b "$BUNDLE" "$id"
	wait_trace "$id"
	sleep 1 # a scan or two: a duplicate spill would be imported (or dropped) by now
	tail -n 1 "$OUT/$id.jsonl" | jq -e 'has("source") | not'
	[ -z "$(ours "$SPILL_DIR")" ]
	[ "$(ls "$OUT" | grep -c "^$id\.")" -eq 1 ]
	verify "$OUT/$id.jsonl"
}

@test "consumer killed (SIGKILL) while the container runs, container deleted before a restart: the file is continued from the spill" {
	id=${ID_PREFIX}-cont
	start_consumer
	make_bundle cont "$TRACED" /bin/sh -c '/bin/workload spin 2000; while [ ! -e /tmp/go ]; do usleep 20000; done; /bin/workload spin 3000'
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	for _ in $(seq 100); do [ "$(grep -c '"getppid"' "$OUT/$id.jsonl" 2>/dev/null)" -ge 2000 ] && break; sleep 0.1; done
	kill -KILL "$(consumer_pid)"
	wait "$(consumer_pid)" 2>/dev/null || true
	touch "$BUNDLE/rootfs/tmp/go"
	wait_stopped "$id"
	runc delete "$id"
	spill=$SPILL_DIR/$(ours "$SPILL_DIR" | grep "^$id\.")
	seq=$(head -n 1 "$spill" | jq .seq)
	start_consumer
	wait_trace "$id"
	grep "$id: continuing" "$BATS_FILE_TMPDIR/consumer.log"
	[ ! -e "$OUT/$id.1.jsonl" ]
	tail -n 1 "$OUT/$id.jsonl" | jq -e --argjson seq "$seq" '.source == "spill" and .status == 0 and .records + .lost == $seq'
	[ "$(records "$id" '.type == "syscall" and .syscall == "getppid"' | wc -l)" -ge 5000 ]
	[ "$(records "$id" '.type == "gap" and .reason != "consumer-restart"' | wc -l)" -eq 0 ]
	seq_accounted "$OUT/$id.jsonl" "$seq"
	verify "$OUT/$id.jsonl"
	[ -z "$(ours "$SPILL_DIR")" ]
}

@test "the spill does not fit on its disk: delete succeeds, a loss marker records the loss, the consumer writes it as a no-consumer gap" {
	id=${ID_PREFIX}-full
	wait_no_consumer
	mkdir -p -m 0700 "$SPILL_DIR"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$SPILL_DIR"
	# ~20000 records (~3 MB) cannot fit in 64 KiB; the marker (one line) can.
	make_bundle full "$TRACED" /bin/workload spin 20000
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	wait_stopped "$id"
	run runc delete "$id"
	[ "$status" -eq 0 ]
	assert_gone "$id"
	ls -la "$SPILL_DIR" >&3
	marker=$(only_loss_marker "$id")
	head -n 1 "$marker" | jq -e '.kind == "loss" and .error == "No space left on device"'
	seq=$(head -n 1 "$marker" | jq .seq)
	echo "loss marker: $(stat -c %s "$marker") bytes, seq $seq" >&3
	start_consumer
	wait_trace "$id"
	assert_from_loss_marker "$id" "$seq"
	[ -z "$(ours "$SPILL_DIR")" ]
}

@test "the spill disk is full to the last byte: the loss marker goes to the run directory" {
	id=${ID_PREFIX}-full0
	wait_no_consumer
	mkdir -p -m 0700 "$SPILL_DIR"
	mount -t tmpfs -o size=64k,mode=0700 tmpfs "$SPILL_DIR"
	dd if=/dev/zero of="$SPILL_DIR/.fill" bs=4k 2>/dev/null || true
	make_bundle full0 "$TRACED" /bin/workload exit 0
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	wait_stopped "$id"
	run runc delete "$id"
	[ "$status" -eq 0 ]
	assert_gone "$id"
	[ -z "$(ours "$SPILL_DIR")" ]
	marker=$LOST_DIR/$(ours "$LOST_DIR" | grep "^$id\..*\.lost$")
	[ "$(stat -c %a "$LOST_DIR")" = 700 ] && [ "$(stat -c %a "$marker")" = 600 ]
	seq=$(head -n 1 "$marker" | jq .seq)
	start_consumer
	wait_trace "$id"
	tail -n 1 "$OUT/$id.jsonl" | jq -e --argjson seq "$seq" '.source == "loss-marker" and .lost_by_reason["no-consumer"] == $seq'
	verify "$OUT/$id.jsonl"
	[ -z "$(ours "$LOST_DIR")" ]
}

# The spill dir's cap (runc-trace-bpf, RUNC_TRACE_BPF_SPILL_MAX, default 1 GiB). runc passes
# RUNC_TRACE_BPF_SPILL_DIR and RUNC_TRACE_BPF_SPILL_MAX from its own environment to the helper
# (patch 0003): tests 7 and 8 set them on runc-trace itself ("$RUNC", not the `runc` function), as
# containerd's service environment would (podman's does not reach delete: docs/DEPLOYMENT.md); test 9
# runs the helper directly, and once a traced `runc-trace run`.

@test "the spill dir holds its cap (default 1 GiB): runc delete writes a loss marker naming the cap, the consumer writes it as a no-consumer gap" {
	id=${ID_PREFIX}-cap
	wait_no_consumer
	mkdir -p -m 0700 "$SPILL_DIR"
	mount -t tmpfs -o size=64m,mode=0700 tmpfs "$SPILL_DIR"
	# room on the disk for the spill; a sparse file stands in for a GiB of spills (st_size counts)
	truncate -s 1G "$SPILL_DIR/.fill"
	make_bundle cap "$TRACED" /bin/workload exit 0
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	wait_stopped "$id"
	run runc delete "$id"
	[ "$status" -eq 0 ]
	assert_gone "$id"
	marker=$(only_loss_marker "$id")
	head -n 1 "$marker" | jq -e --arg dir "$SPILL_DIR" '.kind == "loss" and .seq > 0 and
		(.error | startswith("spill dir cap reached: \($dir) holds 1073741824 bytes, this spill needs ") and
		 endswith(", the cap (RUNC_TRACE_BPF_SPILL_MAX) is 1073741824"))'
	seq=$(head -n 1 "$marker" | jq .seq)
	echo "loss marker: $(head -n 1 "$marker" | jq -r .error)" >&3
	start_consumer
	wait_trace "$id"
	assert_from_loss_marker "$id" "$seq"
	[ -z "$(ours "$SPILL_DIR")" ]
}

@test "RUNC_TRACE_BPF_SPILL_MAX below one spill, set on runc delete: a loss marker, not a spill; the next delete without it spills; the consumer writes both" {
	id=${ID_PREFIX}-max
	id2=${ID_PREFIX}-max2
	wait_no_consumer
	make_bundle max "$TRACED" /bin/workload exit 0
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	make_bundle max2 "$TRACED" /bin/workload exit 0
	runc run -d -b "$BUNDLE" "$id2" </dev/null >/dev/null 2>&1
	wait_stopped "$id"
	wait_stopped "$id2"
	# the variable is set on runc-trace itself; runc passes it to its disarm
	run env RUNC_TRACE_BPF_SPILL_MAX=4096 "$RUNC" --root "$RUNC_ROOT" delete "$id"
	[ "$status" -eq 0 ]
	assert_gone "$id"
	[ -z "$(ours "$SPILL_DIR" | grep "^$id\." | grep -v '\.lost$')" ]
	marker=$SPILL_DIR/$(ours "$SPILL_DIR" | grep "^$id\..*\.lost$")
	head -n 1 "$marker" | jq -e --arg dir "$SPILL_DIR" '.kind == "loss" and .seq > 0 and
		(.error | startswith("spill dir cap reached: \($dir) holds ") and endswith(", the cap (RUNC_TRACE_BPF_SPILL_MAX) is 4096") and
		 (capture("this spill needs (?<n>[0-9]+),").n | tonumber) > 4096)'
	seq=$(head -n 1 "$marker" | jq .seq)
	echo "loss marker: $(head -n 1 "$marker" | jq -r .error)" >&3
	# per invocation: the next delete, without the variable, spills under the default cap
	run runc delete "$id2"
	[ "$status" -eq 0 ]
	assert_gone "$id2"
	[ -z "$(ours "$SPILL_DIR" | grep "^$id2\." | grep -v '\.spill$')" ]
	spill2=$SPILL_DIR/$(ours "$SPILL_DIR" | grep "^$id2\.[0-9]*\.[0-9]*\.spill$")
	head -n 1 "$spill2" | jq -e '.kind == "records" and .error == null and .seq > 0'
	seq2=$(head -n 1 "$spill2" | jq .seq)
	start_consumer
	wait_trace "$id"
	assert_from_loss_marker "$id" "$seq"
	wait_trace "$id2"
	tail -n 1 "$OUT/$id2.jsonl" | jq -e --argjson seq "$seq2" '.source == "spill" and .lost == 0 and .records == $seq'
	seq_accounted "$OUT/$id2.jsonl" "$seq2"
	verify "$OUT/$id2.jsonl"
	[ -z "$(ours "$SPILL_DIR")" ]
}

@test "RUNC_TRACE_BPF_SPILL_DIR and a RUNC_TRACE_BPF_SPILL_MAX not reached, set on runc delete: the spill is written there and imported as before" {
	id=${ID_PREFIX}-under
	# a spill dir of this test's own: other spills on the host must not count against the cap
	dir=$BATS_TEST_TMPDIR/spill
	wait_no_consumer
	make_bundle under "$TRACED" /bin/workload exit 0
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	wait_stopped "$id"
	# at most the 8 MiB ring plus the header line, next to 7 MiB already there
	mkdir -p -m 0755 "$dir"
	truncate -s 7M "$dir/.fill"
	chmod 0755 "$BATS_TEST_TMPDIR"
	run env RUNC_TRACE_BPF_SPILL_DIR="$dir" RUNC_TRACE_BPF_SPILL_MAX=$((16 << 20)) "$RUNC" --root "$RUNC_ROOT" delete "$id"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# the spill dir is made private; the directory above it is the operator's and keeps its mode
	[ "$(stat -c %a "$dir")" = 700 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR")" = 755 ]
	assert_gone "$id"
	spill=$dir/$(ours "$dir" | grep "^$id\.[0-9]*\.[0-9]*\.spill$")
	[ -z "$(ours "$dir" | grep -v '\.spill$')" ]
	# moved, not copied: nothing of it in the default spill dir or the run directory
	[ -z "$(ours "$SPILL_DIR" | grep "^$id\.")" ]
	[ -z "$(ours "$LOST_DIR" | grep "^$id\.")" ]
	head -n 1 "$spill" | jq -e '.kind == "records" and .error == null and .seq > 0'
	seq=$(head -n 1 "$spill" | jq .seq)
	start_consumer --spill-dir "$dir"
	wait_trace "$id"
	tail -n 1 "$OUT/$id.jsonl" | jq -e --argjson seq "$seq" '.source == "spill" and .lost == 0 and .records == $seq'
	seq_accounted "$OUT/$id.jsonl" "$seq"
	verify "$OUT/$id.jsonl"
	[ -z "$(ours "$dir")" ]
}

@test "a bad RUNC_TRACE_BPF_SPILL_MAX is refused, named, and leaves nothing: the container stays armed, no spill, no marker; set on runc, it fails a traced create" {
	id=${ID_PREFIX}-badmax
	start_consumer
	make_bundle badmax "$TRACED" /bin/workload exit 0
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	wait_stopped "$id"
	for bad in junk 1G 1GiB -1 " 5" 0x10 18446744073709551616 ""; do
		run env RUNC_TRACE_BPF_SPILL_MAX="$bad" "$HELPER" disarm --id "$id"
		[ "$status" -eq 2 ]
		[ "$output" = "runc-trace-bpf: failed to parse RUNC_TRACE_BPF_SPILL_MAX '$bad' (want the spill dir's cap in bytes): Invalid argument" ]
		[ -e "$STATE_DIR/containers/$id.json" ]
		[ -e "$PIN_DIR/containers/$id" ]
		[ -z "$(ours "$SPILL_DIR" | grep "^$id\.")" ]
		[ -z "$(ours "$LOST_DIR" | grep "^$id\.")" ]
	done
	# set on runc, it reaches the helper's arm: the traced create fails (closed), naming it, and leaves nothing
	make_bundle badmax2 "$TRACED" /bin/workload exit 0
	run env RUNC_TRACE_BPF_SPILL_MAX=junk "$RUNC" --root "$RUNC_ROOT" run -d -b "$BUNDLE" "${id}2" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"runc-trace-bpf: failed to parse RUNC_TRACE_BPF_SPILL_MAX 'junk' (want the spill dir's cap in bytes): Invalid argument"* ]]
	assert_gone "${id}2"
	# still armed and traced: the real delete (the consumer reads the ring) ends it as usual
	runc delete "$id"
	assert_gone "$id"
	wait_trace "$id"
	tail -n 1 "$OUT/$id.jsonl" | jq -e '.type == "exit" and (has("source") | not)'
	verify "$OUT/$id.jsonl"
	[ -z "$(ours "$SPILL_DIR" | grep "^$id\.")" ]
}

@test "the consumer stalls for 0.3 s while the container is deleted: disarm waits for it, no spill" {
	id=${ID_PREFIX}-stall
	start_consumer
	make_bundle stall "$TRACED" /bin/sh -c 'while [ ! -e /tmp/go ]; do usleep 20000; done; /bin/workload spin 3000'
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	wait_trace_file() { for _ in $(seq 100); do [ -s "$OUT/$id.jsonl" ] && return; sleep 0.1; done; return 1; }
	wait_trace_file
	# Stopped, the consumer leaves the spin's records in the ring; it resumes 0.3 s into the
	# delete, longer than a consumer tick may slip on a loaded host (the old fixed wait: 0.1 s).
	kill -STOP "$(consumer_pid)"
	touch "$BUNDLE/rootfs/tmp/go"
	wait_stopped "$id"
	(sleep 0.3; kill -CONT "$(consumer_pid)") &
	local waker=$!
	runc delete "$id"
	# checked before the consumer could have imported (and removed) a spill
	[ -z "$(ours "$SPILL_DIR")" ]
	wait "$waker"
	wait_trace "$id"
	tail -n 1 "$OUT/$id.jsonl" | jq -e '(has("source") | not) and .status == 0 and .lost == 0'
	[ "$(records "$id" '.type == "syscall" and .syscall == "getppid"' | wc -l)" -ge 3000 ]
	verify "$OUT/$id.jsonl"
}
