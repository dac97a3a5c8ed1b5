#!/usr/bin/env bats
# test/docs/deploy.bats: the files under deploy/ against the real programs they configure.
#
# The systemd unit cannot be started here (PID 1 is not systemd), so its sandbox is rebuilt from
# the unit file itself: the capability bounding set, NoNewPrivileges, a read-only file system
# except ReadWritePaths= and StateDirectory= (ProtectSystem=strict, ProtectKernelTunables=), and
# its system-call filter is compared with every syscall the consumer made (strace). Inside that
# sandbox the real consumer records a real process armed by the real runc-trace-bpf, in a private
# instance (own pins, state dir and consumer lock) that no other consumer or runc on the host sees.
#
# Root. Starts a consumer and loads BPF programs: run it as
#   flock /run/runc-trace-dev.lock bats -t test/docs/deploy.bats      (or: make test-docs)

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
UNIT=$ROOT/deploy/systemd/runc-trace-consumer.service
TMPFILES=$ROOT/deploy/systemd/runc-trace.tmpfiles.conf
K8S=$ROOT/deploy/kubernetes
SHIPPING=$ROOT/deploy/shipping
CONSUMER=$ROOT/build/bin/runc-trace-consumer
HELPER=$ROOT/build/bin/runc-trace-bpf
PY=/usr/bin/python3 # Debian's, which has python3-yaml

# unit_values KEY: every value of KEY= in the unit, one per line (later lines win in systemd).
unit_values() { sed -nE "s/^$1=(.*)$/\1/p" "$UNIT"; }

# The unit's command line with the install prefix mapped onto this build tree.
unit_argv() { unit_values ExecStart | tail -1 | sed "s|/opt/runc-trace|$ROOT/build|g"; }

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	export PRIV_PIN=/sys/fs/bpf/runc-trace-docs-$$
	export PRIV_RUN=/run/runc-trace-docs-$$
	if mountpoint -q /sys/fs/cgroup/unified && [ "$(stat -fc %T /sys/fs/cgroup/unified)" = cgroup2fs ]; then
		export CG2=/sys/fs/cgroup/unified
	else
		export CG2=/sys/fs/cgroup
	fi
}

teardown() {
	# Everything a test may have left: consumer, armed process, cgroup, private pins and state.
	[ -z "${CPID:-}" ] || { kill "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; } || true
	[ -z "${WPID:-}" ] || { kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; } || true
	if [ -n "${PRIV_PIN:-}" ] && [ -d "$PRIV_PIN" ]; then
		RUNC_TRACE_BPF_PIN_DIR=$PRIV_PIN RUNC_TRACE_BPF_RUN_DIR=$PRIV_RUN "$HELPER" disarm --id docs-deploy || true
		RUNC_TRACE_BPF_PIN_DIR=$PRIV_PIN RUNC_TRACE_BPF_RUN_DIR=$PRIV_RUN "$HELPER" gc || true
	fi
	[ -z "${CG:-}" ] || rmdir "$CG" 2>/dev/null || true
	[ -z "${PRIV_RUN:-}" ] || rm -rf "$PRIV_RUN"
}

# expand_filter SET...: the syscall names a SystemCallFilter= allow list admits (groups expanded).
expand_filter() {
	local item
	for item in "$@"; do
		if [[ $item == @* ]]; then
			systemd-analyze syscall-filter "$item" | sed -nE 's/^ +([@a-z0-9_-]+)$/\1/p' |
				while read -r sub; do expand_filter "$sub"; done
		else
			echo "$item"
		fi
	done
}

# run_in_unit_sandbox CAPS OUT -- CMD...: CMD as the unit would run it (see the header), with the
# unit's paths mapped onto the private instance: /run/runc-trace → $PRIV_RUN, /var/lib/runc-trace
# → OUT. CAPS is a setpriv bounding-set list such as "-all,+bpf". Runs in the background: $CPID.
run_in_unit_sandbox() {
	local caps=$1 out=$2
	shift 3
	local rw=() p
	for p in $(unit_values ReadWritePaths) $(unit_values StateDirectory | sed 's|^|/var/lib/|'); do
		p=${p#-}
		p=${p/#\/run\/runc-trace/$PRIV_RUN}
		p=${p/#\/var\/lib\/runc-trace/$out}
		mkdir -p "$p"
		rw+=("$p")
	done
	# shellcheck disable=SC2016
	unshare --mount --propagation slave -- bash -c '
		set -e
		n=$1; shift; rw=("${@:1:n}"); shift "$n"
		for p in "${rw[@]}"; do mount --bind "$p" "$p"; done
		# ProtectSystem=strict + ProtectKernelTunables/ControlGroups: every other mount read-only,
		# /sys (and bpffs below it) included; /dev and /proc stay as they are.
		awk "{ print \$5 }" /proc/self/mountinfo | sort -u | while read -r mp; do
			case $mp in /dev|/dev/*|/proc|/proc/*) continue ;; esac
			for p in "${rw[@]}"; do [ "$mp" != "$p" ] || continue 2; done
			mount -o remount,bind,ro "$mp" 2>/dev/null || [ ! -e "$mp" ] || { echo "cannot remount $mp read-only" >&2; exit 97; }
		done
		caps=$1; shift
		exec setpriv --no-new-privs --inh-caps=-all --bounding-set="$caps" -- "$@"
	' sandbox "${#rw[@]}" "${rw[@]}" "$caps" "$@" &
	CPID=$!
}

# start_workload: a shell in a fresh cgroup, blocked on a fifo until `release`; then it runs a
# short script. $WPID is armed like runc arms a container's init.
start_workload() {
	CG=$CG2/runc-trace-docs-$$-$BATS_TEST_NUMBER
	mkdir "$CG"
	FIFO=$BATS_TEST_TMPDIR/go
	mkfifo "$FIFO"
	sh -c 'read x < "$0"; exec sh -c "cat /proc/self/status >/dev/null; exit 3"' "$FIFO" &
	WPID=$!
	echo "$WPID" >"$CG/cgroup.procs"
	echo '{"runtime":"test/docs/deploy.bats"}' |
		RUNC_TRACE_BPF_PIN_DIR=$PRIV_PIN RUNC_TRACE_BPF_RUN_DIR=$PRIV_RUN "$HELPER" arm --id docs-deploy --pid "$WPID"
}

release() {
	echo go >"$FIFO"
	wait "$WPID" || true
	WPID=
}

wait_for() { # wait_for SECONDS COMMAND...
	local t=$1
	shift
	for _ in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done
	"$@"
}

# trace_one_process CAPS [strace]: the whole life of a traced process, recorded by a consumer in
# the unit's sandbox; leaves the JSONL in $OUT and the consumer's log in $LOG.
trace_one_process() {
	local caps=$1 wrap=()
	OUT=$BATS_TEST_TMPDIR/out
	LOG=$BATS_TEST_TMPDIR/consumer.log
	[ "${2:-}" != strace ] || wrap=(strace -f -qq -o "$OUT/strace.txt") # inside a ReadWritePaths= directory: /tmp is read-only
	local argv
	read -ra argv <<<"$(unit_argv)"
	argv=("${argv[@]/#\/var\/lib\/runc-trace/$OUT}")
	run_in_unit_sandbox "$caps" "$OUT" -- "${wrap[@]}" "${argv[@]}" \
		--state-dir "$PRIV_RUN/containers" --bpffs "$PRIV_PIN" 2>"$LOG"
	wait_for 20 test -f "$PRIV_RUN/consumer.lock" || { cat "$LOG" >&2; return 1; }
	start_workload
	wait_for 10 test -s "$OUT/docs-deploy.jsonl" || { cat "$LOG" >&2; return 1; }
	release
	RUNC_TRACE_BPF_PIN_DIR=$PRIV_PIN RUNC_TRACE_BPF_RUN_DIR=$PRIV_RUN "$HELPER" disarm --id docs-deploy
	wait_for 10 grep -q '"type":"exit"' "$OUT/docs-deploy.jsonl" || { cat "$LOG" >&2; return 1; }
	# SIGTERM as systemd sends it (KillMode=mixed: the main process); strace passes it on.
	local node=$CPID
	[ "${2:-}" != strace ] || node=$(pgrep -P "$CPID")
	kill -TERM "$node"
	local rc=0
	wait "$CPID" || rc=$?
	CPID=
	[ "$rc" = 0 ] || { echo "consumer exited $rc" >&2; cat "$LOG" >&2; return 1; }
	rmdir "$CG"
	CG=
}

@test "systemd unit: systemd-analyze verify accepts it (install prefix mapped to build/)" {
	local t=$BATS_TEST_TMPDIR/runc-trace-consumer.service
	sed "s|/opt/runc-trace|$ROOT/build|g" "$UNIT" >"$t"
	run systemd-analyze verify "$t"
	echo "$output"
	[ "$status" = 0 ]
	[ -z "$output" ]
	# and the tmpfiles snippet parses (--dry-run is not in systemd 252: --root keeps it harmless)
	mkdir -p "$BATS_TEST_TMPDIR/root/run"
	systemd-tmpfiles --root="$BATS_TEST_TMPDIR/root" --create "$TMPFILES"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/root/run/runc-trace/containers")" = 700 ]
}

@test "systemd unit and DaemonSet: every flag they pass is one the consumer's CLI knows" {
	run "$CONSUMER" --help
	[ "$status" = 0 ]
	local usage=$output flag
	local flags
	flags=$( { unit_argv; $PY -c '
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "DaemonSet":
        for c in doc["spec"]["template"]["spec"]["containers"]:
            argv = c.get("command", []) + c.get("args", [])
        # node's own flags come before the script; the consumer's after it
        script = next(i for i, a in enumerate(argv) if a.endswith("/main.js"))
        print(" ".join(argv[script + 1:]))
' "$K8S/consumer-daemonset.yaml"; } | grep -oE -- '--[a-z-]+' | sort -u)
	[ -n "$flags" ]
	for flag in $flags; do
		grep -qE -- "$flag( |\]|$)" <<<"$usage" || { echo "unknown flag $flag" >&2; return 1; }
	done
	# A flag the consumer does not know is refused (so the check above can fail).
	run "$CONSUMER" --out "$BATS_TEST_TMPDIR/x" --no-such-flag
	[ "$status" = 2 ]
	[[ $output == *"unknown option --no-such-flag"* ]]
}

@test "DaemonSet: node runs with the launcher's node flags (the consumer's memory settings)" {
	local launcher daemonset
	launcher=$(sed -nE 's|^exec node (.*) "\$here/\.\./consumer/dist/main\.js".*|\1|p' "$CONSUMER")
	[ -n "$launcher" ]
	daemonset=$($PY -c '
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "DaemonSet":
        argv = doc["spec"]["template"]["spec"]["containers"][0]["command"]
        print(" ".join(argv[1:next(i for i, a in enumerate(argv) if a.endswith("/main.js"))]))
' "$K8S/consumer-daemonset.yaml")
	echo "launcher: $launcher; DaemonSet: $daemonset"
	[ "$launcher" = "$daemonset" ]
}

@test "systemd unit: the consumer records a real process inside the unit's sandbox, using only syscalls its filter allows" {
	local caps
	caps=$(unit_values CapabilityBoundingSet | tail -1 | tr 'A-Z' 'a-z' | sed -E 's/cap_//g; s/ +/,+/g; s/^/-all,+/; s/,\+$//')
	[ "$caps" = "-all,+bpf" ] # what the unit says today; a change must be re-validated here
	trace_one_process "$caps" strace
	run "$CONSUMER" verify "$OUT/docs-deploy.jsonl"
	echo "$output"
	[ "$status" = 0 ]
	[[ $output == *"OK:"*"sealed"* ]]
	grep -q '"type":"syscall".*"phase":"workload".*"syscall":"execve"' "$OUT/docs-deploy.jsonl"
	grep -q '"type":"exit".*"status":3' "$OUT/docs-deploy.jsonl"
	[ "$(stat -c %a "$OUT")" = 700 ] && [ "$(stat -c %a "$OUT/docs-deploy.jsonl")" = 600 ]

	# Every syscall the consumer made (start, record, SIGTERM shutdown) is in the allow list.
	local allowed used extra
	# shellcheck disable=SC2046
	allowed=$(expand_filter $(unit_values SystemCallFilter | tail -1) | sort -u)
	used=$(sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$OUT/strace.txt" | sort -u)
	[ "$(wc -l <<<"$used")" -gt 20 ]
	grep -qx bpf <<<"$used"
	extra=$(comm -13 <(echo "$allowed") <(echo "$used"))
	echo "syscalls outside SystemCallFilter: ${extra:-none}"
	[ -z "$extra" ]
}

@test "kernel >= 6.5: the consumer needs no capability at all (empty CapabilityBoundingSet=)" {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	((major > 6 || (major == 6 && minor >= 5))) || skip "kernel $(uname -r) < 6.5 gates every bpf() command on CAP_BPF"
	trace_one_process "-all"
	run "$CONSUMER" verify "$OUT/docs-deploy.jsonl"
	[ "$status" = 0 ]
	grep -q '"type":"exit".*"status":3' "$OUT/docs-deploy.jsonl"
}

@test "kubernetes: manifests parse; RuntimeClass handler = containerd runtime name; DaemonSet mounts what the consumer reads and writes" {
	$PY - "$K8S" <<-'EOF'
	import sys, yaml, tomllib, pathlib
	k8s = pathlib.Path(sys.argv[1])
	docs = [d for f in sorted(k8s.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
	kinds = {d["kind"]: d for d in docs}
	assert {"RuntimeClass", "DaemonSet", "Pod"} <= set(kinds), kinds.keys()
	toml = tomllib.loads((k8s / "containerd-config.toml").read_text())
	runtimes = toml["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
	handler = kinds["RuntimeClass"]["handler"]
	rt = runtimes[handler]
	assert rt["runtime_type"] == "io.containerd.runc.v2", rt
	assert "io.trace.*" in rt["pod_annotations"], rt
	assert rt["options"]["BinaryName"].endswith("/bin/runc-trace"), rt
	pod = kinds["Pod"]
	assert pod["spec"]["runtimeClassName"] == kinds["RuntimeClass"]["metadata"]["name"]
	assert pod["metadata"]["annotations"]["io.trace.enabled"] == "true"
	ds = kinds["DaemonSet"]["spec"]["template"]["spec"]
	(c,) = ds["containers"]
	host = {v["name"]: v["hostPath"]["path"] for v in ds["volumes"] if "hostPath" in v}
	mounts = {m["mountPath"]: host[m["name"]] for m in c["volumeMounts"]}
	# the consumer's defaults (--state-dir, --bpffs), its --out, and the binaries it hashes
	argv = c.get("command", []) + c.get("args", [])
	out = argv[argv.index("--out") + 1]
	for path in ["/sys/fs/bpf", "/run/runc-trace", out, "/opt/runc-trace/bin"]:
	    assert mounts.get(path) == path, (path, mounts)
	assert not ds.get("hostPID"), "the consumer reads no /proc of other processes"
	assert "privileged" not in c.get("securityContext", {}) or not c["securityContext"]["privileged"]
	print("ok:", sorted(mounts))
	EOF
}

@test "kubernetes: containerd itself accepts the config snippet" {
	command -v containerd >/dev/null || skip "containerd not installed"
	run containerd --config "$K8S/containerd-config.toml" config dump
	[ "$status" = 0 ]
	# the dump is containerd's parsed view: our runtime with its options and passthrough
	grep -A30 '\.runtimes\.runc-trace\]' <<<"$output" | grep -q 'pod_annotations = \["io.trace.\*"\]'
	grep -A40 '\.runtimes\.runc-trace\.options\]' <<<"$output" | grep -q 'BinaryName = "/opt/runc-trace/bin/runc-trace"'
	# and refuses a broken one, so the check can fail
	sed 's/^\[plugins/[[plugins/' "$K8S/containerd-config.toml" >"$BATS_TEST_TMPDIR/bad.toml"
	run containerd --config "$BATS_TEST_TMPDIR/bad.toml" config dump
	[ "$status" != 0 ]
}

@test "shipping: every collector config parses and reads the directory the unit and the DaemonSet write" {
	local f
	for f in "$SHIPPING"/*.yaml "$SHIPPING"/*.yml; do
		[ -e "$f" ] || continue
		$PY -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$f"
		grep -q '/var/lib/runc-trace/\*\.jsonl' "$f" || { echo "$f does not read /var/lib/runc-trace/*.jsonl" >&2; return 1; }
	done
	grep -q '/var/lib/runc-trace/\*\.jsonl' "$SHIPPING/config.alloy"
	grep -q -- '--out /var/lib/runc-trace$' <<<"$(unit_values ExecStart)"
}
