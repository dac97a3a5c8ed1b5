#!/usr/bin/env bats
# Many traced containers at once (no cross-talk, no leaks), thousands of
# threads, clone3 and vfork children.

load helpers

@test "20 traced containers (50 with SOAK=1) created, run and deleted concurrently: each file holds only its own records" {
	n=$([ "$SOAK" = 1 ] && echo 50 || echo 20)
	make_bundle many "$TRACED" /bin/workload exit 0
	ids=()
	for i in $(seq "$n"); do
		id=${ID_PREFIX}-m$i
		ids+=("$id")
		mkdir -p "$BATS_TEST_TMPDIR/b$i"
		# One read-only rootfs shared by all (runc refuses a symlinked rootfs; an absolute root.path is fine).
		jq --argjson i "$i" --arg rootfs "$BUNDLE/rootfs" '.process.args = ["/bin/workload", "exit", ($i | tostring)] | .root = {path: $rootfs, readonly: true}' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/b$i/config.json"
	done
	pids=()
	start=$SECONDS
	for i in $(seq "$n"); do
		"$RUNC" --root "$RUNC_ROOT" run -d -b "$BATS_TEST_TMPDIR/b$i" "${ID_PREFIX}-m$i" </dev/null >"$BATS_TEST_TMPDIR/log$i" 2>&1 &
		pids+=($!)
	done
	for i in $(seq "$n"); do wait "${pids[$((i - 1))]}" || { cat "$BATS_TEST_TMPDIR/log$i" >&2; false; }; done
	for i in $(seq "$n"); do
		id=${ID_PREFIX}-m$i
		for _ in $(seq 100); do [ "$(runc state "$id" | jq -r .status)" = stopped ] && break; sleep 0.1; done
		runc state "$id" >/dev/null
		wait_trace "$id"
	done
	pids=()
	for i in $(seq "$n"); do
		"$RUNC" --root "$RUNC_ROOT" delete -f "${ID_PREFIX}-m$i" &
		pids+=($!)
	done
	for i in $(seq "$n"); do wait "${pids[$((i - 1))]}"; done
	echo "$n containers created, run and deleted concurrently in $((SECONDS - start))s" >&3
	for i in $(seq "$n"); do
		id=${ID_PREFIX}-m$i
		f=$OUT/$id.jsonl
		# Only its own records: every record names the container, its argv is its own, its exit status too.
		jq -e -s --arg id "$id" 'all(.[]; .container == $id)' "$f" >/dev/null
		execs=$(records "$id" '.type == "syscall" and .syscall == "execve" and .phase == "workload"')
		[ "$(echo "$execs" | wc -l)" -eq 1 ]
		echo "$execs" | jq -e --arg i "$i" '.args.argv == ["/bin/workload", "exit", $i]' >/dev/null
		tail -n 1 "$f" | jq -e --argjson i "$i" '.status == $i and .lost == 0' >/dev/null
		# Only its own processes: every pid in the file is its init or a child forked inside it.
		jq -e -s '(map(select(.type == "header")) | .[0].init_pid) as $init
			| ([$init] + [.[] | select(.type == "process" and .event == "fork") | .child_pid]) as $own
			| all(.[] | select(.type == "syscall" or .type == "process"); .pid as $p | $own | index($p) != null)' "$f" >/dev/null
		verify "$f" >/dev/null
	done
	assert_gone "${ids[@]}"
}

@test "2000 threads stay traced" {
	id=${ID_PREFIX}-thr
	hostile_bundle thr '{"io.trace.enabled":"true","io.trace.buffer-size":"64Mi"}' /bin/hostile threads 2000
	bundle_edit '.linux.resources.pids = {"limit": 4096}'
	run runc run -b "$BUNDLE" "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_trace "$id"
	echo "threads: $(records "$id" '.type == "process" and .event == "fork" and .thread == true' | wc -l) thread forks; exit $(tail -n 1 "$OUT/$id.jsonl" | jq -c '{records, lost}')" >&3
	[ "$(records "$id" '.type == "process" and .event == "fork" and .thread == true and .phase == "workload"' | wc -l)" -eq 2000 ]
	[ "$(records "$id" '.type == "syscall" and .syscall == "getppid" and .phase == "workload"' | jq -r .tid | sort -u | wc -l)" -eq 2000 ]
	tail -n 1 "$OUT/$id.jsonl" | jq -e '.status == 0 and .lost == 0'
	runc delete -f "$id" || true
	assert_gone "$id"
}

@test "clone3 and vfork children are traced" {
	id=${ID_PREFIX}-c3
	hostile_bundle c3 "$TRACED" /bin/hostile clone3
	run runc run -b "$BUNDLE" "$id"
	[ "$status" -eq 0 ]
	wait_trace "$id"
	records "$id" '.type == "syscall" and .syscall == "clone3" and .ret > 0' | jq -e .
	records "$id" '.type == "syscall" and .syscall == "vfork" and .ret > 0' | jq -e .
	[ "$(records "$id" '.type == "process" and .event == "exit" and .exit_code == 7' | wc -l)" -eq 1 ]
	[ "$(records "$id" '.type == "process" and .event == "exit" and .exit_code == 8' | wc -l)" -eq 1 ]
	[ "$(records "$id" '.type == "syscall" and .syscall == "getppid" and .phase == "workload"' | wc -l)" -eq 2 ]
	runc delete -f "$id" || true
	assert_gone "$id"
}
