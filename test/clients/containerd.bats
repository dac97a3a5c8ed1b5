#!/usr/bin/env bats
# containerd (Debian 12's 1.6) as a client of runc-trace: `ctr run
# --runc-binary build/bin/runc-trace --annotation io.trace.enabled=true`, with
# an OCI image archive built here (mkimage-oci.sh) and `ctr image import`ed.
# The test starts its own containerd: config, root, state, sockets, runc root
# and FIFOs in this file's temporary directory, CRI plugin off.

load helpers

IMAGE=localhost/runc-trace-clients:latest
# A containerd namespace of our own; ctr also names the containers' cgroup
# parent after it (/sys/fs/cgroup/*/NS), which teardown removes.
NS=runc-trace-clients

# c ARGS...: ctr against this file's containerd.
c() { ctr --address "$C/containerd.sock" --namespace "$NS" "$@"; }

# crun ARGS...: `ctr run` with runc-trace as the shim's runc; the shim runs it
# with --root $C/runc for every operation, so runc's state stays ours too.
crun() { c run --runc-binary "$RUNC" --runc-root "$C/runc" --fifo-dir "$C/fifo" "$@"; }

setup_file() {
	export C=$BATS_FILE_TMPDIR/containerd
	mkdir -p "$C"
	# containerd-shim-runc-v2 puts its sockets in /run/containerd/s whatever
	# the configuration says; remove the directory if we created it.
	export HAD_RUN_CONTAINERD=$([ -e /run/containerd ] && echo 1 || echo 0)
	cat >"$C/config.toml" <<-EOF
		version = 2
		root = "$C/root"
		state = "$C/state"
		# The CRI plugin would look for CNI and serve kubelets; ctr needs none of it.
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$C/containerd.sock"
		[ttrpc]
		  address = "$C/containerd.sock.ttrpc"
	EOF
	# fd 3 closed: bats waits for every holder of it before it finishes. The helper setting in
	# containerd's environment travels shim -> runc-trace -> runc-trace-bpf (patch 0003).
	RUNC_TRACE_BPF_SPILL_DIR=$C/spill containerd --config "$C/config.toml" >"$C/containerd.log" 2>&1 3>&- &
	echo $! >"$C/containerd.pid"
	for _ in $(seq 100); do c version >/dev/null 2>&1 && break; sleep 0.1; done
	c version >/dev/null || { echo "containerd did not start:" >&2; cat "$C/containerd.log" >&2; return 1; }

	rootfs_tar "$C/rootfs.tar"
	"$BATS_TEST_DIRNAME/mkimage-oci.sh" "$C/rootfs.tar" "$IMAGE" "$C/image.tar" \
		"{\"Entrypoint\":$IMAGE_ENTRYPOINT,\"Cmd\":$IMAGE_CMD}"
	c image import "$C/image.tar" >/dev/null
	start_consumer
}

teardown_file() {
	local id pid
	remove_all
	c image rm "$IMAGE" >/dev/null 2>&1 || true
	stop_consumer
	pid=$(cat "$C/containerd.pid" 2>/dev/null) && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
	remove_cgroup "$NS"
	[ "$HAD_RUN_CONTAINERD" = 1 ] || rm -d /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null || true
	# A snapshot still mounted would survive the temporary directory.
	! grep -q " $C/" /proc/mounts || { echo "left mounted: $(grep " $C/" /proc/mounts)" >&2; return 1; }
}

# remove_all: what a failed test left: tasks killed, containers deleted.
remove_all() {
	local id
	for id in $(c task ls -q 2>/dev/null); do c task kill -s KILL "$id" >/dev/null 2>&1 || true; c task delete -f "$id" >/dev/null 2>&1 || true; done
	for id in $(c container ls -q 2>/dev/null); do c container rm "$id" >/dev/null 2>&1 || true; done
}

teardown() {
	remove_all
}

# assert_no_shims: every containerd-shim of our namespace has exited; each
# container has one, which holds runc-trace's view of the task until delete.
assert_no_shims() {
	assert_no_processes "-namespace $NS "
}

@test "ctr: a traced container's trace starts at its command's execve and ends with its exit status" {
	# The container id given to ctr is runc's id, hence the file name.
	run crun --rm --annotation io.trace.enabled=true "$IMAGE" ctr-traced /bin/workload exit 7
	echo "$output"
	[ "$status" -eq 7 ]
	# A command on ctr's command line replaces the image's ENTRYPOINT and CMD.
	assert_trace ctr-traced '["/bin/workload","exit","7"]' 7
	[ -z "$(c container ls -q)" ]
	assert_no_tracer_state
	assert_no_shims
}

@test "ctr: the image's default entrypoint and command are what the trace starts with" {
	run crun --rm --annotation io.trace.enabled=true "$IMAGE" ctr-default
	[ "$status" -eq 0 ]
	assert_trace ctr-default '["/bin/workload","exit","0"]' 0
	assert_no_tracer_state
	assert_no_shims
}

@test "ctr: a detached traced task, killed, then deleted by the client, leaves no tracer state" {
	# busybox sleep, single-threaded: a SIGKILLed multi-threaded init (the Go
	# workload) gets a wrong exit record with plain runc-trace too, which is
	# not the client's doing (see docs/CLIENTS.md).
	crun -d --annotation io.trace.enabled=true "$IMAGE" ctr-detached /bin/sleep 86399
	# The task runs: the tracer is armed and the consumer has the file open.
	for _ in $(seq 50); do [ -s "$OUT/ctr-detached.jsonl" ] && break; sleep 0.1; done
	[ "$(c task ls | awk '$1 == "ctr-detached" { print $3 }')" = RUNNING ]
	[ -d /sys/fs/bpf/runc-trace ]
	c task kill -s KILL ctr-detached
	for _ in $(seq 50); do [ "$(c task ls | awk '$1 == "ctr-detached" { print $3 }')" = STOPPED ] && break; sleep 0.1; done
	c task delete ctr-detached
	c container rm ctr-detached
	wait_trace ctr-detached
	records ctr-detached '.phase == "workload"' | head -n 1 |
		jq -e '.syscall == "execve" and .args.argv == ["/bin/sleep","86399"]'
	tail -n 1 "$OUT/ctr-detached.jsonl" | jq -ce '.type == "exit" and .status == null and .signal == "SIGKILL"' ||
		{ tail -n 3 "$OUT/ctr-detached.jsonl" >&2; cat "$BATS_FILE_TMPDIR/consumer.log" >&2; return 1; }
	"$CONSUMER" verify "$OUT/ctr-detached.jsonl"
	assert_no_tracer_state
	assert_no_shims
	assert_no_processes "sleep 86399"
}

@test "ctr: RUNC_TRACE_BPF_SPILL_DIR in containerd's environment reaches the helper: a container deleted while no consumer runs spills there" {
	stop_consumer
	run crun --rm --annotation io.trace.enabled=true "$IMAGE" ctr-spill /bin/workload exit 4
	start_consumer # whatever happens below, the next tests have their consumer back
	[ "$status" -eq 4 ]
	ls -l "$C/spill" >&2
	ls "$C/spill" | grep -q '^ctr-spill\..*\.spill$'
	! ls /var/lib/runc-trace/spill 2>/dev/null | grep -q '^ctr-spill\.'
	# a consumer told where the spills are writes the whole trace from it
	stop_consumer
	start_consumer --spill-dir "$C/spill"
	assert_trace ctr-spill '["/bin/workload","exit","4"]' 4
	tail -n 1 "$OUT/ctr-spill.jsonl" | jq -e '.source == "spill"'
	[ -z "$(ls -A "$C/spill")" ]
	stop_consumer
	start_consumer
	assert_no_tracer_state
	assert_no_shims
}

@test "ctr: an untraced container run the same way leaves no trace file" {
	run crun --rm "$IMAGE" ctr-untraced /bin/workload exit 3
	[ "$status" -eq 3 ]
	sleep 0.5
	assert_no_trace ctr-untraced
	assert_no_tracer_state
	assert_no_shims
}

@test "ctr: --label io.trace.enabled=true traces too (ctr 1.6 copies labels into OCI annotations)" {
	run crun --rm --label io.trace.enabled=true "$IMAGE" ctr-label
	[ "$status" -eq 0 ]
	assert_trace ctr-label '["/bin/workload","exit","0"]' 0
	assert_no_tracer_state
}

@test "ctr: an invalid annotation value fails the run with runc-trace's error and leaves nothing behind" {
	run crun --rm --annotation io.trace.enabled=yes "$IMAGE" ctr-invalid
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *'annotation io.trace.enabled="yes": must be "true" or "false"'* ]]
	[ -z "$(c container ls -q)" ]
	assert_no_trace ctr-invalid
	assert_no_tracer_state
	assert_no_shims
}
