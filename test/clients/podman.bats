#!/usr/bin/env bats
# podman (Debian 12's 4.3) as a client of runc-trace: `podman --runtime
# build/bin/runc-trace run --annotation io.trace.enabled=true`, from an image
# imported from a local rootfs tarball. podman's storage, locks, events,
# network config and exit files all live in this file's temporary directory,
# named by the containers.conf and storage.conf it writes.

load helpers

IMAGE=localhost/runc-trace-clients:latest
# podman's cgroupfs manager puts conmon and the containers under this parent;
# teardown removes it.
CGROUP_PARENT=runc-trace-clients-podman

# pm ARGS...: podman with this file's configuration and runc-trace as runtime.
pm() { podman --runtime "$RUNC" "$@"; }

setup_file() {
	export P=$BATS_FILE_TMPDIR/podman
	mkdir -p "$P"
	# This host refuses to raise an rlimit above its hard limit even for
	# root, and podman's defaults ask for more: without default_ulimits every
	# container fails in runc init with "error setting rlimits".
	cat >"$P/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
		netns = "none"
		[network]
		network_config_dir = "$P/networks"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$P/events.log"
		tmp_dir = "$P/tmp"
		volume_path = "$P/volumes"
		# "file" keeps the container locks in tmp_dir; "shm" would leave
		# /dev/shm/libpod_lock behind.
		lock_type = "file"
	EOF
	cat >"$P/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$P/root"
		runroot = "$P/runroot"
	EOF
	export CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf
	# containers/image keeps its blob-info cache in /var/lib/containers/cache
	# for root whatever the configuration says; remove it if we created it.
	export HAD_VAR_LIB_CONTAINERS=$([ -e /var/lib/containers ] && echo 1 || echo 0)
	export CGROUP_ROOTS=$(cgroup_roots)

	rootfs_tar "$P/rootfs.tar"
	podman import -q --change "ENTRYPOINT $IMAGE_ENTRYPOINT" --change "CMD $IMAGE_CMD" \
		"$P/rootfs.tar" "$IMAGE" >/dev/null
	start_consumer
}

teardown_file() {
	pm rm -af -t 0 >/dev/null 2>&1 || true
	podman rmi -af >/dev/null 2>&1 || true
	stop_consumer
	remove_cgroup "$CGROUP_PARENT"
	remove_new_cgroup_roots "$CGROUP_ROOTS"
	[ "$HAD_VAR_LIB_CONTAINERS" = 1 ] || rm -rf /var/lib/containers
	# Overlay mounts of a failed run would make the temporary directory
	# impossible to remove and survive the test.
	! grep -q " $P/" /proc/mounts || { echo "left mounted: $(grep " $P/" /proc/mounts)" >&2; return 1; }
}

teardown() {
	pm rm -af -t 0 >/dev/null 2>&1 || true
}

@test "podman: a traced container's trace starts at its entrypoint's execve and ends with its exit status" {
	run pm run --cidfile "$BATS_TEST_TMPDIR/cid" --cgroup-parent "$CGROUP_PARENT" \
		--annotation io.trace.enabled=true "$IMAGE" exit 7
	echo "$output"
	[ "$status" -eq 7 ]
	# runc's container id, hence the file name, is podman's full id, not its name.
	id=$(cat "$BATS_TEST_TMPDIR/cid")
	[[ $id =~ ^[0-9a-f]{64}$ ]]
	# podman appends the command line to the image's ENTRYPOINT.
	assert_trace "$id" '["/bin/workload","exit","7"]' 7
	head -n 1 "$OUT/$id.jsonl" | jq -e '.annotations["io.container.manager"] == "libpod"'

	pm rm "$id"
	assert_no_tracer_state
	assert_no_processes "$id"
}

@test "podman: the image's default entrypoint and command are what the trace starts with" {
	run pm run --rm --cidfile "$BATS_TEST_TMPDIR/cid" --cgroup-parent "$CGROUP_PARENT" \
		--annotation io.trace.enabled=true "$IMAGE"
	[ "$status" -eq 0 ]
	id=$(cat "$BATS_TEST_TMPDIR/cid")
	assert_trace "$id" '["/bin/workload","exit","0"]' 0
	assert_no_tracer_state
	assert_no_processes "$id"
}

@test "podman: an untraced container run the same way leaves no trace file" {
	run pm run --rm --cidfile "$BATS_TEST_TMPDIR/cid" --cgroup-parent "$CGROUP_PARENT" "$IMAGE" exit 3
	[ "$status" -eq 3 ]
	id=$(cat "$BATS_TEST_TMPDIR/cid")
	# The consumer would have written the header as soon as the tracer was
	# armed; give it the time a traced run needs to show up anyway.
	sleep 0.5
	assert_no_trace "$id"
	assert_no_tracer_state
	assert_no_processes "$id"
}

@test "podman: --label io.trace.enabled=true does not trace (labels are not OCI annotations)" {
	run pm run --rm --cidfile "$BATS_TEST_TMPDIR/cid" --cgroup-parent "$CGROUP_PARENT" \
		--label io.trace.enabled=true "$IMAGE"
	[ "$status" -eq 0 ]
	id=$(cat "$BATS_TEST_TMPDIR/cid")
	sleep 0.5
	assert_no_trace "$id"
	assert_no_tracer_state
}

@test "podman: an invalid annotation value fails the run with runc-trace's error and leaves nothing behind" {
	run pm run --cidfile "$BATS_TEST_TMPDIR/cid" --cgroup-parent "$CGROUP_PARENT" \
		--annotation io.trace.enabled=yes "$IMAGE"
	echo "$output"
	[ "$status" -ne 0 ]
	# podman quotes runc's log line, so the inner quotes arrive escaped.
	[[ $output == *'annotation io.trace.enabled='*yes*'must be'*true*or*false* ]]
	id=$(cat "$BATS_TEST_TMPDIR/cid")
	# podman keeps the failed container in "created" state until it is removed.
	pm rm "$id"
	assert_no_trace "$id"
	assert_no_tracer_state
	assert_no_processes "$id"
}
