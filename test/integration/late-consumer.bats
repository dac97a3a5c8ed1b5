#!/usr/bin/env bats
# A container traced while no consumer runs is picked up when the consumer
# starts, with everything its ring buffer held.

load helpers

setup_file() {
	cleanup_containers
}

teardown_file() {
	cleanup_containers
	stop_consumer
}

@test "a consumer started after the container gets its records from the first one on" {
	make_bundle late "$TRACED" /bin/workload wait /tmp/go /after-consumer-start
	runc run -d -b "$BUNDLE" late >/dev/null
	# The workload has exec'd and waits; its records so far sit in the buffer.
	pid=$(runc state late | jq .pid)
	for _ in $(seq 50); do [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = workload ] && break; sleep 0.1; done
	start_consumer
	touch "$BUNDLE/rootfs/tmp/go"
	for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
	runc delete late
	wait_trace late
	records late '.phase == "workload"' | head -n 1 | jq -e '.syscall == "execve" and .args.argv == ["/bin/workload", "wait", "/tmp/go", "/after-consumer-start"]'
	records late '.syscall == "openat" and .args.pathname == "/after-consumer-start"' | jq -e '.errno == "ENOENT"'
	# Nothing was lost: no gap, and the exit record says so.
	[ "$(records late '.type == "gap"' | wc -l)" -eq 0 ]
	tail -n 1 "$OUT/late.jsonl" | jq -e '.lost == 0'
	assert_no_tracer_state
}
