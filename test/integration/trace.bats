#!/usr/bin/env bats
# The trace core, end to end: runc-trace arms the tracer in create, the
# consumer writes JSONL, and the records match what the workload observed.

load helpers

setup_file() {
	cleanup_containers
	start_consumer
}

teardown_file() {
	cleanup_containers
	stop_consumer
}

teardown() {
	cleanup_containers
}

@test "first workload record is the execve of process.args[0] with its argv" {
	make_bundle first "$TRACED" /bin/workload script
	run runc run -b "$BUNDLE" first
	[ "$status" -eq 0 ]
	wait_trace first

	[ "$(head -n 1 "$OUT/first.jsonl" | jq -r '.type, .v, .container' | paste -sd' ')" = "header 1 first" ]
	head -n 1 "$OUT/first.jsonl" | jq -e '.annotations["io.trace.enabled"] == "true" and (.bundle | endswith("/first"))'
	first=$(records first '.phase == "workload"' | head -n 1)
	echo "$first" | jq -e '.type == "syscall" and .syscall == "execve" and .ret == 0 and .errno == null'
	echo "$first" | jq -e '.args.filename == "/bin/workload" and .args.argv == ["/bin/workload", "script"]'
	# runc init's own syscalls carry phase runtime and all come before it.
	[ "$(records first '.type == "syscall" and .phase != "workload" and .phase != "runtime"' | wc -l)" -eq 0 ]
	last_runtime=$(records first '.type == "syscall" and .phase == "runtime"' | tail -n 1 | jq .seq)
	[ "${last_runtime:-0}" -lt "$(echo "$first" | jq .seq)" ]
	# The exit record closes the file.
	tail -n 1 "$OUT/first.jsonl" | jq -e '.type == "exit" and .container == "first" and .status == 0 and .lost == 0'
}

@test "the known script appears with decoded args, return values and errno names" {
	make_bundle script "$TRACED" /bin/workload script
	runc run -b "$BUNDLE" script >"$BATS_TEST_TMPDIR/observed.jsonl"
	wait_trace script
	workload='.type == "syscall" and .phase == "workload" and .comm == "workload"'

	# Every observation of the workload has its record: same call, same
	# result, the argument decoded by name.
	while read -r o; do
		name=$(echo "$o" | jq -r .syscall)
		ret=$(echo "$o" | jq .ret)
		errno=$(echo "$o" | jq .errno)
		arg=$(echo "$o" | jq -r '.arg // ""')
		case $name in
		openat | mkdir | unlink) sel=".args.pathname == \"$arg\"" ;;
		rename) sel=".args.oldpath == \"$arg\" and .args.newpath == \"/tmp/dir1/renamed\"" ;;
		connect | bind) sel=".args.addr == \"$arg\"" ;;
		wait4) continue ;;
		*) sel=true ;;
		esac
		found=$(records script "$workload and .syscall == \"$name\" and .ret == $ret and .errno == (if $errno == null then null else $errno end) and $sel" | wc -l)
		[ "$found" -ge 1 ] || { echo "no record for observation $o" >&2; return 1; }
	done <"$BATS_TEST_TMPDIR/observed.jsonl"

	# The write of 24 bytes to the probe file names its fd; the six raw args are decimal strings.
	records script "$workload and .syscall == \"write\" and .ret == 24" | head -n 1 |
		jq -e '(.args.fd | type) == "number" and (.args.raw | length) == 6 and (.args.raw | all(test("^[0-9]+$")))'
	# A missing file: ENOENT and ret -2.
	records script "$workload and .syscall == \"openat\" and .args.pathname == \"/nonexistent/file\"" |
		jq -e '.ret == -2 and .errno == "ENOENT" and .dur_ns >= 0'
	# The child shows up in the process tree: fork, then exec of /bin/true.
	child=$(records script '.type == "process" and .event == "exec" and .filename == "/bin/true"' | jq .pid)
	[ -n "$child" ]
	records script ".type == \"process\" and .event == \"fork\" and .child_pid == $child" | jq -e '.pid > 0'
	records script ".type == \"syscall\" and .syscall == \"execve\" and .pid == $child" | jq -e '.args.argv == ["true", "child-arg"]'
	records script ".type == \"process\" and .event == \"exit\" and .pid == $child" | jq -e '.exit_code == 0'
}

@test "an untraced container running at the same time produces no records" {
	make_bundle quiet '{}' /bin/workload spin 200000
	quiet_bundle=$BUNDLE
	runc run -d -b "$quiet_bundle" quiet >/dev/null
	quiet_pid=$(runc state quiet | jq .pid)
	make_bundle loud "$TRACED" /bin/workload spin 1000
	runc run -b "$BUNDLE" loud
	wait_trace loud
	runc delete -f quiet
	[ ! -e "$OUT/quiet.jsonl" ]
	[ "$(records loud ".pid == $quiet_pid" | wc -l)" -eq 0 ]
	# The traced spin is all there: 1000 getppid calls of the workload.
	[ "$(records loud '.syscall == "getppid" and .phase == "workload"' | wc -l)" -eq 1000 ]
	# Records come only from the container: every pid is the armed init or
	# a process forked inside.
	pids=$(jq -s '[.[0].init_pid] + [.[] | select(.type == "process" and .event == "fork") | .child_pid] | unique' "$OUT/loud.jsonl")
	[ "$(jq -c --argjson p "$pids" 'select(.pid != null and (.pid as $x | $p | index($x) | not))' "$OUT/loud.jsonl" | wc -l)" -eq 0 ]
}

@test "unsharing every namespace and forking into a new pid namespace stays traced" {
	make_bundle escape "$TRACED" /bin/sh -c '/bin/workload escape; unshare -m -u -i -n -p -f -C -T cat /escape/busybox-unshare; true'
	# A hostile workload with the capabilities to unshare.
	bundle_edit '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
	runc run -b "$BUNDLE" escape
	wait_trace escape
	for ns in mnt uts ipc net pid cgroup time user; do
		records escape ".syscall == \"unshare\" and .phase == \"workload\"" | jq -e 'true' >/dev/null
		[ "$(records escape ".syscall == \"openat\" and .args.pathname == \"/escape/after-unshare-$ns\"" | wc -l)" -eq 1 ] ||
			{ echo "lost after unshare of $ns" >&2; return 1; }
	done
	records escape '.syscall == "openat" and .args.pathname == "/escape/child-in-new-pidns" and .vpid == 1' | jq -e '.ret == -2'
	records escape '.syscall == "openat" and .args.pathname == "/escape/busybox-unshare"' | jq -e '.errno == "ENOENT"'
}

@test "moving to a child cgroup stays traced" {
	make_bundle cgchild "$TRACED" /bin/workload wait /tmp/go /after-move
	runc run -d -b "$BUNDLE" cgchild >/dev/null
	pid=$(runc state cgchild | jq .pid)
	cg=/sys/fs/cgroup/unified$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")
	mkdir "$cg/child"
	echo "$pid" >"$cg/child/cgroup.procs"
	touch "$BUNDLE/rootfs/tmp/go"
	for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
	runc delete -f cgchild
	wait_trace cgchild
	child_id=$(stat -c %i "$cg/child" 2>/dev/null || true)
	records cgchild '.syscall == "openat" and .args.pathname == "/after-move"' | jq -e '.ret == -2'
}

@test "a setuid exec stays traced" {
	# root prepares a setuid-root binary, drops to uid 1000, which execs it.
	make_bundle suid "$TRACED" /bin/sh -c 'cp /bin/busybox /tmp/sb && chmod 4755 /tmp/sb && exec su -s /bin/sh user -c "/tmp/sb cat /after-setuid-exec"'
	runc run -b "$BUNDLE" suid || true
	wait_trace suid
	records suid '.syscall == "execve" and .args.filename == "/tmp/sb"' | jq -e '.ret == 0 and .uid == 1000'
	records suid '.syscall == "openat" and .args.pathname == "/after-setuid-exec"' | jq -e '.errno == "ENOENT"'
}

@test "create, exec, start, kill and delete --force: exec'd processes are traced, delete leaves nothing" {
	make_bundle life "$TRACED" /bin/sleep 1000
	runc create -b "$BUNDLE" life
	# Armed at create: the container exists, the workload has not run.
	[ -e "$STATE_DIR/containers/life.json" ]
	runc start life
	cgroup=/sys/fs/cgroup/unified$(awk -F: '$1 == "0" {print $3}' "/proc/$(runc state life | jq .pid)/cgroup")
	[ -d "$cgroup" ]
	runc exec life /bin/workload script >/dev/null
	runc kill life KILL
	runc delete --force life
	wait_trace life
	records life '.syscall == "execve" and .args.filename == "/bin/sleep"' | jq -e '.phase == "workload" and .ret == 0'
	records life '.syscall == "execve" and .args.argv == ["/bin/workload", "script"]' | jq -e '.phase == "workload" and .ret == 0'
	records life '.syscall == "openat" and .args.pathname == "/nonexistent/file"' | jq -e '.errno == "ENOENT"'
	tail -n 1 "$OUT/life.jsonl" | jq -e '.type == "exit" and .signal == "SIGKILL"'
	assert_no_tracer_state
	[ ! -e "$RUNC_ROOT/life" ]
	[ ! -e "$cgroup" ]
	! pgrep -f 'runc-trace-bpf|runc:\[' >/dev/null
}

@test "a container whose process exits by itself gets an exit record with its status" {
	make_bundle selfexit "$TRACED" /bin/workload exit 3
	runc run -d -b "$BUNDLE" selfexit >/dev/null
	wait_trace selfexit
	tail -n 1 "$OUT/selfexit.jsonl" | jq -e '.status == 3 and .signal == null and .records > 0'
	runc delete selfexit
	assert_no_tracer_state
}

@test "a later container reusing an id gets a fresh file, the previous one is kept" {
	make_bundle reuse "$TRACED" /bin/true
	runc run -b "$BUNDLE" reuse
	wait_trace reuse
	first=$(head -n 1 "$OUT/reuse.jsonl")
	runc run -b "$BUNDLE" reuse
	for _ in $(seq 50); do [ "$(ls "$OUT" | grep -c '^reuse\.')" -ge 2 ] && break; sleep 0.1; done
	wait_trace reuse
	[ "$(ls "$OUT" | grep -c '^reuse\.')" -ge 2 ]
	[ "$(grep -l -F -x -- "$first" "$OUT"/reuse.* | wc -l)" -eq 1 ]
}

@test "no tracer fd and no /sys/fs/bpf inside the container" {
	make_bundle inside "$TRACED" /bin/sh -c 'ls -l /proc/self/fd/; ls -A /sys/fs/bpf 2>&1; echo done'
	run runc run -b "$BUNDLE" inside
	[ "$status" -eq 0 ]
	echo "$output" | grep -q done
	! echo "$output" | grep -E 'anon_inode:bpf|bpf-map|bpf-prog|bpf_link|ringbuf'
	# Only stdio and the fd ls opened itself.
	[ "$(echo "$output" | grep -c -- '->')" -le 4 ]
	! echo "$output" | grep -E '^(containers|link_|slots|cgroups|buffers|tasks)'
}

@test "annotation typos and bad values fail create, quote key and value, and leave nothing" {
	for a in '{"io.trace.enabled":"yes"}' '{"io.trace.enable":"true"}' \
		'{"io.trace.enabled":"true","io.trace.buffer-size":"3Mi"}' '{"io.trace.fail-open":"true"}'; do
		make_bundle typo "$a" /bin/true
		run runc create -b "$BUNDLE" typo
		[ "$status" -ne 0 ]
		key=$(echo "$a" | jq -r 'to_entries | map(select(.key != "io.trace.enabled" or (.value != "true"))) | .[0].key')
		echo "$output" | grep -F "annotation $key=" || { echo "error does not quote $key: $output" >&2; return 1; }
		[ -z "$(runc list -q)" ]
		[ ! -e "$RUNC_ROOT/typo" ]
		rm -rf "$BUNDLE"
	done
	assert_no_tracer_state
	[ ! -e "$OUT/typo.jsonl" ]
}

@test "tracing that cannot be armed fails closed; io.trace.fail-open starts untraced" {
	# A copy of runc-trace without its helper beside it cannot arm.
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cp "$RUNC" "$BATS_TEST_TMPDIR/bin/runc-trace"
	make_bundle closed "$TRACED" /bin/true
	run "$BATS_TEST_TMPDIR/bin/runc-trace" --root "$RUNC_ROOT" run -b "$BUNDLE" closed
	[ "$status" -ne 0 ]
	echo "$output" | grep -F "unable to arm the syscall tracer"
	[ -z "$(runc list -q)" ]
	make_bundle open '{"io.trace.enabled":"true","io.trace.fail-open":"true"}' /bin/echo started
	run "$BATS_TEST_TMPDIR/bin/runc-trace" --root "$RUNC_ROOT" run -b "$BUNDLE" open
	[ "$status" -eq 0 ]
	echo "$output" | grep -F "fail-open"
	echo "$output" | grep -x started
	assert_no_tracer_state
}

@test "runc-trace features lists the io.trace. prefix as potentially unsafe" {
	runc features | jq -e '.potentiallyUnsafeConfigAnnotations | index("io.trace.") != null'
}

@test "plain containers pay nothing: no tracer state while only untraced containers run" {
	make_bundle plain '{}' /bin/echo plain
	run runc run -b "$BUNDLE" plain
	[ "$status" -eq 0 ]
	[ "$output" = plain ]
	assert_no_tracer_state
}

@test "a second consumer refuses to start: it would split the records" {
	run timeout 10 "$CONSUMER" --out "$BATS_TEST_TMPDIR/second"
	[ "$status" -ne 0 ]
	echo "$output" | grep -F "another runc-trace-consumer is running"
	[ "${#lines[@]}" -eq 1 ]
}
