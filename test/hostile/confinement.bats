#!/usr/bin/env bats
# What a traced container can reach of the tracer, and what other local users
# can read of the evidence. The container has no BPF capability, cannot create
# BPF objects and sees no pins; the pin and state directories are root-only and
# a trace is readable by root alone. (Pins an operator bind-mounts into a
# container without a user namespace are NOT protected: since 6.5 the kernel
# checks only file permissions for BPF_OBJ_GET, and container root is host uid
# 0. THREAT_MODEL.md lists this as a residual risk.) And a
# container that moves itself to a child cgroup through its own cgroup
# namespace (a delegated cgroup2 mount) stays traced.

load helpers

# cap_bit HEX N: bit N of a /proc/PID/status capability mask.
cap_bit() { echo $(((0x$1 >> $2) & 1)); }

@test "no BPF capability, bpf() refused and recorded, no pins visible; pins, state and traces root-only" {
	anchor=${ID_PREFIX}-anchor
	make_bundle anchor "$TRACED" /bin/sleep 60
	runc run -d -b "$BUNDLE" "$anchor" >/dev/null
	# Root-only state on the host while a traced container exists.
	[ "$(stat -c '%a %U' "$PIN_DIR")" = "700 root" ]
	[ "$(stat -c '%a %U' "$PIN_DIR/containers")" = "700 root" ]
	[ "$(stat -c '%a %U' "$STATE_DIR")" = "700 root" ]
	[ "$(stat -c '%a %U' "$STATE_DIR/containers")" = "700 root" ]
	[ "$(stat -c %a "$STATE_DIR/containers/$anchor.json")" = 600 ]

	id=${ID_PREFIX}-nobpf
	hostile_bundle nobpf "$TRACED" /bin/sh -c \
		"grep CapEff /proc/self/status; hostile bpf /sys/fs/bpf/runc-trace/slots /sys/fs/bpf/runc-trace/containers/$anchor; echo rc=\$?; ls -A /sys/fs/bpf | wc -l"
	run runc run -b "$BUNDLE" "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	capeff=$(echo "$output" | awk '/^CapEff:/ {print $2}')
	[ -n "$capeff" ]
	# CAP_SYS_ADMIN (21), CAP_PERFMON (38), CAP_BPF (39): none in the default set.
	[ "$(cap_bit "$capeff" 21)$(cap_bit "$capeff" 38)$(cap_bit "$capeff" 39)" = 000 ]
	echo "$output" | grep -qx 'bpf map_create: EPERM'
	# The container's /sys is its own sysfs: no bpffs, so no pin to open.
	echo "$output" | grep -qx "bpf /sys/fs/bpf/runc-trace/slots: ENOENT"
	echo "$output" | grep -qx "bpf /sys/fs/bpf/runc-trace/containers/$anchor: ENOENT"
	echo "$output" | grep -qx 'rc=0'
	[ "$(echo "$output" | tail -n 1)" = 0 ]
	# The attempts are evidence: recorded as failed bpf() calls of the workload.
	wait_trace "$id"
	records "$id" '.syscall == "bpf" and .phase == "workload"' | jq -s -e 'map(.errno) == ["EPERM", "ENOENT", "ENOENT"]'

	# Traces: a 0700 directory of 0600 files, owned by root.
	[ "$(stat -c '%a %U' "$OUT")" = "700 root" ]
	[ "$(stat -c '%a %U' "$OUT/$id.jsonl")" = "600 root" ]
	runc delete -f "$anchor"
	assert_gone "$anchor" "$id"
}

@test "moving itself to a child cgroup through its cgroup namespace (delegated cgroup2 mount) stays traced" {
	id=${ID_PREFIX}-cgns
	make_bundle cgns "$TRACED" /bin/sh -c \
		'mkdir /tmp/cg && mount -t cgroup2 none /tmp/cg && mkdir /tmp/cg/sub && echo $$ > /tmp/cg/sub/cgroup.procs && cat /proc/self/cgroup && cat /after-delegated-move; echo done'
	# Its own cgroup namespace (its cgroup is its "/") and CAP_SYS_ADMIN to mount cgroup2 there.
	bundle_edit '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"]) | .linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
	run runc run -b "$BUNDLE" "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx '0::/sub'
	echo "$output" | grep -qx done
	wait_trace "$id"
	records "$id" '.syscall == "openat" and .args.pathname == "/after-delegated-move"' | jq -e '.errno == "ENOENT" and .phase == "workload"'
	assert_gone "$id"
}
