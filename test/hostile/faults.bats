#!/usr/bin/env bats
# Faults: runc killed mid-create, OOM kill, pids limit, a full disk under the
# JSONL directory, a cgroup removed behind runc's back, bad bundles.

load helpers

# This file's consumer writes to a tmpfs the disk-full test shrinks.
OUT=$BATS_FILE_TMPDIR/small/out

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/small"
	mount -t tmpfs -o size=64m tmpfs "$BATS_FILE_TMPDIR/small"
	start_consumer
}

teardown_file() {
	stop_consumer
	cleanup_ours
	umount "$BATS_FILE_TMPDIR/small" 2>/dev/null || true
}

teardown() {
	cleanup_ours
}

@test "runc-trace killed (SIGKILL) after arming, before create returns; delete --force leaves nothing" {
	id=${ID_PREFIX}-k
	make_bundle k "$TRACED" /bin/workload exit 0
	runc create -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 200); do [ -e "$STATE_DIR/containers/$id.json" ] && break; sleep 0.01; done
	kill -KILL "$pid"
	wait "$pid" || true
	run runc delete --force "$id"
	echo "delete: $status $output" >&3
	# Whatever runc could not clean (its state may not have been saved), the
	# next arm's gc must: kill the orphan, remove the cgroup, arm another container.
	for d in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id"); do
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	done
	sleep 0.3
	for d in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id"); do rmdir "$d" 2>/dev/null || true; done
	make_bundle k2 "$TRACED" /bin/workload exit 0
	runc run -b "$BUNDLE" "${ID_PREFIX}-k2" >/dev/null
	assert_gone "$id" "${ID_PREFIX}-k2"
}

@test "a cgroup removed behind runc's back: the next arm's gc drops its pin and state" {
	id=${ID_PREFIX}-rm
	make_bundle rm "$TRACED" /bin/workload exit 0
	runc create -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	pid=$(runc state "$id" | jq .pid)
	cg=$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")
	kill -KILL "$pid"
	sleep 0.3
	for d in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id"); do rmdir "$d"; done
	[ -e "$STATE_DIR/containers/$id.json" ]
	make_bundle rm2 "$TRACED" /bin/workload exit 0
	runc run -b "$BUNDLE" "${ID_PREFIX}-rm2" >/dev/null
	[ ! -e "$STATE_DIR/containers/$id.json" ]
	[ ! -e "$PIN_DIR/containers/$id" ]
	runc delete -f "$id" || true
	assert_gone "$id" "${ID_PREFIX}-rm2"
	echo "cgroup was $cg" >&3
}

@test "OOM kill under a memory limit: records up to the kill, exit record with SIGKILL" {
	id=${ID_PREFIX}-oom
	make_bundle oom "$TRACED" /bin/sh -c 'echo start; tail /dev/zero'
	bundle_edit '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	run runc run -b "$BUNDLE" "$id"
	[ "$status" -eq 137 ]
	wait_trace "$id"
	tail -n 1 "$OUT/$id.jsonl" | jq -e '.type == "exit" and .signal == "SIGKILL" and .status == null'
	[ "$(records "$id" '.type == "syscall" and .syscall == "write" and .phase == "workload"' | wc -l)" -ge 1 ]
	verify "$OUT/$id.jsonl"
	runc delete -f "$id" || true
	assert_gone "$id"
}

@test "fork bomb against a pids limit: still traced, EAGAIN recorded, exit recorded" {
	id=${ID_PREFIX}-pids
	make_bundle pids "$TRACED" /bin/sh -c 'i=0; while [ $i -lt 100 ]; do sleep 1 & i=$((i+1)); done 2>/dev/null; wait; exit 3'
	bundle_edit '.linux.resources.pids = {"limit": 16}'
	run runc run -b "$BUNDLE" "$id"
	echo "fork bomb: runc run status $status" >&3
	[ "$status" -ne 0 ]
	wait_trace "$id"
	[ "$(records "$id" '.type == "syscall" and (.syscall | test("fork|clone")) and .errno == "EAGAIN"' | wc -l)" -ge 1 ]
	[ "$(records "$id" '.type == "process" and .event == "fork" and .thread == false' | wc -l)" -ge 10 ]
	tail -n 1 "$OUT/$id.jsonl" | jq -e --argjson st "$status" '.status == $st and .lost == 0'
	verify "$OUT/$id.jsonl"
	runc delete -f "$id" || true
	assert_gone "$id"
}

@test "the JSONL directory's disk fills: clear error, counted loss, recovery when space returns" {
	id=${ID_PREFIX}-full
	make_bundle full "$TRACED" /bin/sh -c '/bin/workload spin 20000; while [ ! -e /tmp/go ]; do usleep 50000; done; /bin/workload spin 100'
	# Leave 256 KiB free: 20000 records (~8 MB) cannot fit.
	used=$(df --output=used -k "$BATS_FILE_TMPDIR/small" | tail -n 1)
	mount -o remount,size=$((used + 256))k "$BATS_FILE_TMPDIR/small"
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	for _ in $(seq 300); do grep -q "$id.jsonl: failed to write records: ENOSPC" "$BATS_FILE_TMPDIR/consumer.log" && break; sleep 0.1; done
	grep "$id.jsonl: failed to write records: ENOSPC" "$BATS_FILE_TMPDIR/consumer.log"
	kill -0 "$(consumer_pid)"
	mount -o remount,size=256m "$BATS_FILE_TMPDIR/small"
	for _ in $(seq 50); do grep -q "$id.jsonl: writing again" "$BATS_FILE_TMPDIR/consumer.log" && break; sleep 0.1; done
	grep "$id.jsonl: writing again" "$BATS_FILE_TMPDIR/consumer.log"
	touch "$BUNDLE/rootfs/tmp/go"
	wait_trace "$id"
	records "$id" '.type == "gap" and .reason == "write-error"' | jq -e '.lost > 0'
	tail -n 1 "$OUT/$id.jsonl" | jq -e '.lost_by_reason["write-error"] > 0 and .status == 0'
	# The records after recovery are there: the last spin's getppid calls.
	[ "$(records "$id" '.type == "syscall" and .syscall == "getppid"' | wc -l)" -ge 100 ]
	verify "$OUT/$id.jsonl"
	runc delete -f "$id"
	assert_gone "$id"
}

@test "malformed config.json with tracing on: clear error, nothing left" {
	id=${ID_PREFIX}-bad
	make_bundle bad "$TRACED" /bin/workload exit 0
	head -c 200 "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
	run runc run -b "$BUNDLE" "$id"
	[ "$status" -ne 0 ]
	echo "malformed config.json: $output" >&3
	# patch 0004: loadSpec's decode error names the file
	[[ "$output" == *"config.json: unexpected EOF"* ]]
	assert_gone "$id"
}

@test "missing rootfs with tracing on: clear error, nothing left" {
	id=${ID_PREFIX}-norootfs
	make_bundle norootfs "$TRACED" /bin/workload exit 0
	rm -rf "$BUNDLE/rootfs"
	run runc run -b "$BUNDLE" "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rootfs"* ]]
	assert_gone "$id"
}
