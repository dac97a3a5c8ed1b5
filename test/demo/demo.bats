#!/usr/bin/env bats
# `make demo` and `make demo-stop` as a user runs them: real runc-trace, real BPF, the real consumer
# and dashboard. Checked only from the outside: what the demo prints, what the printed URL answers,
# what the printed JSONL files hold, and what is left on the host after demo-stop.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CONSUMER=$ROOT/build/bin/runc-trace-consumer
DEMO=$ROOT/build/demo
RUNC_ROOT=/run/runc-trace-demo

demo() { DEMO_KEEP=${DEMO_KEEP:-1} make -C "$ROOT" --no-print-directory demo; }
demo_stop() { make -C "$ROOT" --no-print-directory demo-stop; }

# printed NAME: the value of the demo's "NAME: value" lines (first field).
printed() { sed -n "s/^$1: \([^ ]*\).*/\1/p" "$BATS_FILE_TMPDIR/demo.out"; }

consumers() { pgrep -f '^node .*consumer/dist/main\.js' || true; }

no_demo_left() {
	[ -z "$(consumers)" ] || { echo "consumer left running: $(consumers)" >&2; return 1; }
	[ ! -e "$RUNC_ROOT" ] || { echo "runc root left: $(ls -A "$RUNC_ROOT")" >&2; return 1; }
	[ ! -e /sys/fs/bpf/runc-trace ] || { echo "pins left: $(find /sys/fs/bpf/runc-trace)" >&2; return 1; }
	[ -z "$(ls -A /run/runc-trace/containers 2>/dev/null)" ] || { echo "tracer state left: $(ls /run/runc-trace/containers)" >&2; return 1; }
	! bpftool prog show 2>/dev/null | grep -q 'name trace_\|name on_sys_' || { echo "BPF programs left loaded" >&2; return 1; }
	# build/demo keeps only the traces.
	[ "$(ls -A "$DEMO" 2>/dev/null | grep -vx out || true)" = "" ] || { echo "demo state left: $(ls -A "$DEMO")" >&2; return 1; }
}

setup_file() {
	[ -z "$(consumers)" ] || { echo "another runc-trace-consumer runs ($(consumers)); the demo needs the host's only one" >&2; return 1; }
	rm -rf "$DEMO"
	local t0
	t0=$(date +%s%N)
	demo >"$BATS_FILE_TMPDIR/demo.out" 2>&1 && echo 0 >"$BATS_FILE_TMPDIR/demo.status" || echo $? >"$BATS_FILE_TMPDIR/demo.status"
	echo $((($(date +%s%N) - t0) / 1000000)) >"$BATS_FILE_TMPDIR/demo.ms"
}

teardown_file() {
	demo_stop >/dev/null 2>&1 || true
	rm -rf "$DEMO"
}

@test "make demo succeeds and prints the dashboard URL, the JSONL paths, verify and how to stop" {
	cat "$BATS_FILE_TMPDIR/demo.out"
	echo "make demo took $(cat "$BATS_FILE_TMPDIR/demo.ms") ms"
	[ "$(cat "$BATS_FILE_TMPDIR/demo.status")" -eq 0 ]
	printed dashboard | grep -qE '^http://127\.0\.0\.1:7070/\?token=[A-Za-z0-9_-]{16,}$'
	[ "$(printed jsonl)" = "$(printf '%s\n' "$DEMO/out/demo.jsonl" "$DEMO/out/demo-short.jsonl")" ]
	[ "$(grep -c '^verify: .*: OK: [0-9]* lines, sealed' "$BATS_FILE_TMPDIR/demo.out")" -eq 2 ]
	grep -q '^stop: *make demo-stop' "$BATS_FILE_TMPDIR/demo.out"
}

@test "the printed dashboard URL answers 200 with the token, 401 without, 403 with another" {
	url=$(printed dashboard)
	[ -n "$url" ]
	[ "$(curl -s -o "$BATS_TEST_TMPDIR/page" -w '%{http_code}' "$url")" = 200 ]
	grep -qi '<html' "$BATS_TEST_TMPDIR/page"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "${url%%\?*}")" = 401 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "${url%%\?*}?token=not-the-token-0123456789")" = 403 ]
}

@test "the printed JSONL files exist, verify, and are sealed with the containers' exit status" {
	for f in $(printed jsonl); do
		[ -s "$f" ]
		"$CONSUMER" verify "$f"
	done
	head -n 1 "$DEMO/out/demo.jsonl" | jq -e '.type == "header" and .annotations["io.trace.enabled"] == "true"'
	tail -n 1 "$DEMO/out/demo.jsonl" | jq -e '.type == "exit" and .status == 0 and .lost == 0'
	tail -n 1 "$DEMO/out/demo-short.jsonl" | jq -e '.type == "exit" and .status == 3'
}

@test "the trace holds the demo's story: execve, files, children, loopback connect/accept, the failures" {
	f=$DEMO/out/demo.jsonl
	sel() { jq -c "select(.phase == \"workload\" and ($1))" "$f"; }
	# The first workload record is the execve of the demo script.
	sel true | head -n 1 | jq -e '.type == "syscall" and .syscall == "execve" and .ret == 0 and .args.argv == ["/bin/sh", "/demo.sh"] and .vpid == 1'
	# Files written and read.
	[ "$(sel '.syscall == "openat" and .args.pathname == "/tmp/notes/hello.txt" and .ret >= 0' | wc -l)" -ge 2 ]
	# Child processes: forks by the script's shell, and their exits.
	[ "$(sel '.type == "process" and .event == "fork" and .vpid == 1 and .thread == false' | wc -l)" -ge 10 ]
	[ "$(sel '.type == "process" and .event == "fork" and .comm == "sh" and .vpid != 1' | wc -l)" -ge 1 ] # sh -c forks too
	[ "$(sel '.type == "process" and .event == "exit"' | wc -l)" -ge 10 ]
	# ENOENT, EROFS and EACCES as uid 1000 after su, ECONNREFUSED on a closed port.
	sel '.syscall == "openat" and .args.pathname == "/etc/does-not-exist"' | jq -e '.errno == "ENOENT" and .ret == -2'
	sel '.syscall == "openat" and .args.pathname == "/etc/motd"' | jq -e '.errno == "EROFS" and .uid == 1000'
	sel '.syscall == "openat" and .args.pathname == "/tmp/notes/hello.txt" and .uid == 1000' | jq -e '.errno == "EACCES"'
	sel '.syscall == "connect" and .args.addr == "127.0.0.1:9"' | jq -e '.errno == "ECONNREFUSED" and .ret == -111'
	# A connect/accept pair on loopback: httpd binds 8080 and accepts what wget connected.
	binds=$(sel '.syscall == "bind" and .args.addr == "127.0.0.1:8080" and .ret == 0' | jq -s .)
	echo "$binds" | jq -e 'length == 1 and .[0].comm == "httpd"'
	httpd=$(echo "$binds" | jq '.[0].pid')
	sel '.syscall == "connect" and .args.addr == "127.0.0.1:8080" and .ret == 0' | jq -s -e --argjson h "$httpd" 'length == 1 and .[0].pid != $h and .[0].comm == "wget"'
	sel ".syscall == \"accept\" or .syscall == \"accept4\"" | jq -s -e --argjson h "$httpd" \
		'map(select(.pid == $h and .ret >= 0 and (.args.addr | startswith("127.0.0.1:")))) | length == 1'
	# And nc to nc: a listener's accept, a client's connect to its port.
	sel '.syscall == "connect" and .args.addr == "127.0.0.1:9000" and .ret == 0' | jq -e '.comm == "nc"'
	sel '(.syscall == "accept" or .syscall == "accept4") and .comm == "nc"' | jq -s -e 'map(select(.ret >= 0)) | length == 1'
	# The short container ran as uid 1000 from its first instruction and hit the read-only rootfs.
	jq -c 'select(.phase == "workload")' "$DEMO/out/demo-short.jsonl" | head -n 1 | jq -e '.syscall == "execve" and .uid == 1000'
	jq -c 'select(.phase == "workload" and .syscall == "openat" and .args.pathname == "/tmp/x")' "$DEMO/out/demo-short.jsonl" | jq -e '.errno == "EROFS"'
}

@test "a second make demo while the first runs is refused, naming make demo-stop, and leaves the first alone" {
	pid=$(cat "$DEMO/consumer.pid")
	run demo
	[ "$status" -ne 0 ]
	[[ $output == *"the demo is already running (consumer pid $pid"*"make demo-stop"* ]]
	kill -0 "$pid"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$(printed dashboard)")" = 200 ]
}

@test "make demo-stop leaves no consumer, container, pins or state, and keeps the traces" {
	run demo_stop
	echo "$output"
	[ "$status" -eq 0 ]
	no_demo_left
	[ -s "$DEMO/out/demo.jsonl" ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$(printed dashboard)")" = 000 ]
	# Nothing left to stop is not an error.
	run demo_stop
	[ "$status" -eq 0 ]
}

@test "make demo refuses while another consumer runs, surfacing its message, and leaves nothing behind" {
	# A consumer that is not the demo's (its own out dir) holds the host's consumer lock.
	"$CONSUMER" --out "$BATS_TEST_TMPDIR/other" </dev/null >"$BATS_TEST_TMPDIR/other.log" 2>&1 3>&- &
	other=$!
	for _ in $(seq 50); do [ -d "$BATS_TEST_TMPDIR/other" ] && break; sleep 0.1; done
	run demo
	kill "$other"
	wait "$other" || true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"another runc-trace-consumer is running"* ]]
	no_demo_left
}

@test "DEMO_KEEP=0 stops the consumer itself and keeps the JSONL; a bad DEMO_KEEP is refused by name" {
	DEMO_KEEP=0 run demo
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"stopped: DEMO_KEEP=0"* ]]
	no_demo_left
	# The earlier run's demo.jsonl was rotated aside, not overwritten.
	"$CONSUMER" verify "$DEMO/out/demo.jsonl" "$DEMO/out/demo.1.jsonl"
	DEMO_KEEP=yes run demo
	[ "$status" -ne 0 ]
	[[ $output == *"DEMO_KEEP: expected 0 or 1, got 'yes'"* ]]
	no_demo_left
}

@test "a bad DEMO_LISTEN or a short RUNC_TRACE_TOKEN is refused naming the input, leaving nothing" {
	DEMO_LISTEN=nonsense run demo
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *'--listen: expected HOST:PORT, got "nonsense"'* ]]
	no_demo_left
	RUNC_TRACE_TOKEN=short run demo
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"dashboard token: at least 16 characters"* ]]
	no_demo_left
}
