#!/usr/bin/env bats
# Escapes by namespace: joining namespaces with setns (ones the container made
# itself, and a host namespace leaked into it), and running a nested runc whose
# own container is a new set of namespaces and cgroups. Tracing follows tasks
# (task storage), so all of it must stay in the outer container's file.

load helpers

teardown() {
	cleanup_ours
	umount "$BATS_TEST_TMPDIR/hostns/net" 2>/dev/null || true
}

@test "setns into namespaces made inside the container stays traced; setns into a leaked host namespace fails with EPERM, recorded" {
	id=${ID_PREFIX}-setns
	# Default capabilities (no CAP_SYS_ADMIN): a user namespace is the unprivileged way in (unmapped:
	# mapping uid 0 would need CAP_SETFCAP). Its creator's uid owns it, so nsenter may join it.
	script='unshare -U -u -n sleep 10 & ns=$!
		while [ "$(readlink /proc/$ns/ns/uts)" = "$(readlink /proc/self/ns/uts)" ]; do usleep 10000; done
		nsenter -F -t $ns -U -u -n --preserve-credentials /bin/workload exit 5; echo "joined: $?"
		nsenter -F -n/hostns/net /bin/workload exit 6; echo "host: $?"
		kill $ns; wait'
	# (make_bundle would turn each line into an argument of its own)
	make_bundle setns "$TRACED" /bin/true
	jq --arg s "$script" '.process.args = ["/bin/sh", "-c", $s]' "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
	# A host namespace handed to the container by mistake: the host's network namespace file, bound
	# on a directory the container gets with rbind (runc refuses an nsfs file as a mount source).
	mkdir -p "$BATS_TEST_TMPDIR/hostns"
	touch "$BATS_TEST_TMPDIR/hostns/net"
	mount --bind /proc/$$/ns/net "$BATS_TEST_TMPDIR/hostns/net"
	bundle_edit '.mounts += [{"destination": "/hostns", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/hostns"'", "options": ["rbind", "ro"]}]'
	run runc run -b "$BUNDLE" "$id"
	umount "$BATS_TEST_TMPDIR/hostns/net"
	echo "$output" >&3
	[[ "$output" == *"joined: 5"* ]]
	[[ "$output" != *"host: 6"* ]]
	wait_trace "$id"
	# the joiner: setns calls that succeeded (user, uts, net), then the exec, in the outer file
	exec5='.syscall == "execve" and .ret == 0 and .args.argv == ["/bin/workload", "exit", "5"]'
	records "$id" "$exec5" | jq -s -e 'length == 1 and .[0].phase == "workload"'
	joiner=$(records "$id" "$exec5" | jq .pid)
	[ "$(records "$id" ".syscall == \"setns\" and .ret == 0 and .pid == $joiner" | wc -l)" -eq 3 ]
	records "$id" ".type == \"process\" and .event == \"exit\" and .pid == $joiner and .thread == false" | jq -e '.exit_code == 5'
	# a syscall of the workload after joining: the exit_group it makes in the new namespaces
	records "$id" ".syscall == \"exit_group\" and .pid == $joiner" | jq -e 'true' >/dev/null || \
		[ "$(records "$id" ".type == \"syscall\" and .pid == $joiner" | wc -l)" -gt 10 ]
	# the host namespace: the attempt is a record with its errno, and nothing ran there
	records "$id" '.syscall == "setns" and .errno == "EPERM"' | jq -s -e 'length >= 1'
	[ "$(records "$id" '.syscall == "execve" and .args.argv == ["/bin/workload", "exit", "6"]' | wc -l)" -eq 0 ]
	tail -n 1 "$OUT/$id.jsonl" | jq -e '.lost == 0 and .status == 0'
	verify "$OUT/$id.jsonl"
	assert_gone "$id" # runc run deleted it
}

@test "a nested runc inside a traced container: the inner container's workload is in the outer container's file" {
	id=${ID_PREFIX}-nested
	make_bundle nested "$TRACED" /bin/sh -c 'cd /inner && runc --root /run/inner run inner-c; echo "inner: $?"'
	# runc itself (runc-pristine: dynamic, with libseccomp) and a tiny inner bundle.
	cp "$ROOT/build/bin/runc-pristine" "$BUNDLE/rootfs/bin/runc"
	for lib in $(ldd "$ROOT/build/bin/runc-pristine" | grep -o '/[^ ]*'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp -L "$lib" "$BUNDLE/rootfs$lib"
	done
	inner=$BUNDLE/rootfs/inner
	mkdir -p "$inner/rootfs/bin" "$inner/rootfs/proc" "$inner/rootfs/dev" "$inner/rootfs/sys" "$inner/rootfs/tmp"
	cp "$ROOTFS/bin/busybox" "$inner/rootfs/bin/busybox"
	ln -s busybox "$inner/rootfs/bin/sh"
	cp "$WORKLOAD" "$inner/rootfs/bin/workload"
	(cd "$inner" && "$ROOT/build/bin/runc-pristine" spec)
	jq '.process.terminal = false | .root.readonly = false | .process.args = ["/bin/workload", "spin", "42"]' \
		"$inner/config.json" >"$inner/c" && mv "$inner/c" "$inner/config.json"
	# Privileged enough for runc: every capability, no masked or read-only /proc paths, /sys and
	# the cgroup mount read-write (the default spec has no seccomp profile).
	# (the host's bounding set: CAP_SYS_RESOURCE is not in it on the reference VM)
	caps=$(capsh --decode="$(awk '/CapBnd/ {print $2}' /proc/self/status)" | cut -d= -f2 | tr a-z A-Z | tr , '\n' | jq -R . | jq -s -c .)
	bundle_edit ".process.capabilities |= with_entries(.value = $caps)"
	bundle_edit '.linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .mounts |= map(if .destination == "/sys" or .destination == "/sys/fs/cgroup" then .options |= map(select(. != "ro")) + ["rw"] else . end)'
	run runc run -b "$BUNDLE" "$id"
	echo "$output" >&3
	[[ "$output" == *"inner: 0"* ]]
	wait_trace "$id"
	outer_init=$(records "$id" '.phase == "workload"' | head -n 1 | jq .pid)
	# the inner workload's execve with its argv, in the outer file, in a pid namespace of its own
	records "$id" '.syscall == "execve" and .ret == 0 and .args.argv == ["/bin/workload", "spin", "42"]' | jq -s -e --argjson o "$outer_init" \
		'length == 1 and .[0].vpid == 1 and .[0].pid != $o and .[0].phase == "workload"'
	inner=$(records "$id" '.syscall == "execve" and .ret == 0 and .args.argv == ["/bin/workload", "spin", "42"]')
	inner_pid=$(jq .pid <<<"$inner")
	# its 42 getppid calls after the execve (the inner runc init, same pid, made two of its own before)
	[ "$(records "$id" ".syscall == \"getppid\" and .pid == $inner_pid and .seq > $(jq .seq <<<"$inner")" | wc -l)" -eq 42 ]
	# the inner runc's own work is there too: its cgroup and namespace setup
	records "$id" '.syscall == "execve" and .ret == 0 and (.args.argv[0] == "runc")' | jq -s -e 'length >= 1'
	records "$id" '.type == "process" and .event == "exit" and .thread == false' | jq -s -e --argjson p "$inner_pid" 'map(select(.pid == $p)) | length == 1 and .[0].exit_code == 0'
	tail -n 1 "$OUT/$id.jsonl" | jq -e '.lost == 0 and .status == 0'
	verify "$OUT/$id.jsonl"
	assert_gone "$id" # runc run deleted it
}
