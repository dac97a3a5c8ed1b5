#!/usr/bin/env bash
# Runs the README section "Walkthrough: a traced nginx" exactly as written, then checks what it
# promises. The ```sh blocks between <!-- walkthrough:begin --> and <!-- walkthrough:end --> are
# concatenated in order into one `bash -euo pipefail` script (a reader types them into one shell, so
# later blocks use earlier variables); each <!-- walkthrough:check NAME --> comment becomes a call to
# check.sh NAME at that point, while nginx and the consumer still run. Nothing else is added to or
# changed in the blocks. Root, after `make build`; a cold run debootstraps the rootfs (~40 s).
# Prints TAP and "N passed, N failed" last. Screenshot: test/artifacts/walkthrough.png.
# RT_WT_README=FILE runs FILE's walkthrough instead (to see a broken one fail and be cleaned up);
# KEEP=1 keeps the scratch dir (script, log, the trace as each check saw it).
set -euo pipefail
started=$(date +%s)
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/test/walkthrough
cd "$root"

# What the README creates on the host, by name: refuse to start over somebody else's, and remove
# only these (and only after this run created them) when the walkthrough fails half way.
CONTAINER=nginx-demo NETNS=nginx-demo HOST_IF=rt-nginx PORT=7070
PIN=/sys/fs/bpf/runc-trace/containers/$CONTAINER STATE=/run/runc-trace/containers/$CONTAINER.json
RUNC=$root/build/bin/runc-trace

fail_setup() { echo "test/walkthrough: $*" >&2; echo "walkthrough: 0 passed, 1 failed"; exit 1; }
[ "$(id -u)" = 0 ] || fail_setup "must run as root (runc, netns, BPF)"
for bin in runc-trace runc-trace-bpf runc-trace-consumer; do
	[ -x "build/bin/$bin" ] || fail_setup "build/bin/$bin missing: run 'make build' first"
done
for tool in debootstrap ip jq curl cmp node; do
	command -v "$tool" >/dev/null || fail_setup "'$tool' not found (make deps installs debootstrap, iproute2, jq, curl)"
done
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf
if [ ! -x /usr/bin/chromium ]; then
	echo "test/walkthrough: installing chromium (apt)"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -d ui/node_modules/playwright-core ] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
[ -f build/ui/index.html ] || ui/build.sh
mkdir -p test/artifacts

# Leftovers of an earlier run or another user of the same names: not ours to remove.
"$RUNC" state "$CONTAINER" >/dev/null 2>&1 && fail_setup "a container '$CONTAINER' exists (runc-trace list); delete it first"
ip netns list | grep -qw "$NETNS" && fail_setup "network namespace '$NETNS' exists; ip netns delete $NETNS first"
ip link show "$HOST_IF" >/dev/null 2>&1 && fail_setup "interface '$HOST_IF' exists; ip link delete $HOST_IF first"
[ -e "$PIN" ] || [ -e "$STATE" ] && fail_setup "tracer state of '$CONTAINER' exists ($PIN, $STATE); runc-trace-bpf disarm --id $CONTAINER"
# Every consumer drains every traced container of the host; wait for another one (e.g. test/e2e).
for _ in $(seq 120); do
	others=$(pgrep -af 'consumer/dist/main\.js' | grep -v -- '--state-dir' || true)
	[ -z "$others" ] && break
	echo "test/walkthrough: waiting for another runc-trace-consumer to finish: $others" >&2
	sleep 5
done
[ -z "$others" ] || fail_setup "another runc-trace-consumer still runs; not starting a second one"
ss -Hltn "sport = :$PORT" | grep -q . && fail_setup "127.0.0.1:$PORT is in use; the README's consumer listens there"

# ---- the script: the README's blocks, in order ---------------------------------------------------
scratch=$(mktemp -d /tmp/rt-walkthrough.XXXXXX)
wpid=
cleanup() {
	local rc=$?
	set +e
	# The walkthrough's own process group: the consumer it started and anything else still running.
	[ -n "$wpid" ] && kill -TERM -- "-$wpid" 2>/dev/null && sleep 1 && kill -KILL -- "-$wpid" 2>/dev/null
	if [ -n "$wpid" ]; then   # only names this run created (checked absent above)
		"$RUNC" delete -f "$CONTAINER" >/dev/null 2>&1 || true
		[ -e "$PIN" ] || [ -e "$STATE" ] && "$root/build/bin/runc-trace-bpf" disarm --id "$CONTAINER" >/dev/null 2>&1
		ip netns delete "$NETNS" 2>/dev/null
		ip link delete "$HOST_IF" 2>/dev/null
	fi
	if [ "${KEEP:-}" = 1 ]; then echo "# KEEP=1: scratch dir $scratch kept" >&2; else rm -rf "$scratch"; fi
	return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

readme=${RT_WT_README:-README.md}
[ -f "$readme" ] || fail_setup "$readme: no such file"
script=$scratch/walkthrough.sh
awk -v readme="$readme" '
	/^<!-- walkthrough:begin -->$/ { inside = 1; begins++; next }
	/^<!-- walkthrough:end -->$/ { inside = 0; ends++; next }
	!inside { next }
	/^```sh$/ { block = 1; n++; printf "# README.md line %d: block %d\n", NR, n; next }
	block && /^```$/ { block = 0; printf "echo %d >\"$RT_WT_PROGRESS\"\n", n; next }
	block { print; next }
	/^<!-- walkthrough:check [a-z-]+ -->$/ { printf "\"$RT_WT_CHECK\" %s || true\n", $3 }
	END {
		if (begins != 1 || ends != 1) { printf "%s: want one <!-- walkthrough:begin --> and one <!-- walkthrough:end -->, found %d and %d\n", readme, begins, ends > "/dev/stderr"; exit 1 }
		if (block) { print readme ": unterminated ```sh block in the walkthrough" > "/dev/stderr"; exit 1 }
		if (n == 0) { print readme ": no ```sh block in the walkthrough section" > "/dev/stderr"; exit 1 }
	}' "$readme" >"$script" || fail_setup "$readme: walkthrough section unusable (see above)"
blocks=$(grep -c '^# README.md line' "$script")
# The filters the README tells readers to set; the dashboard check applies exactly those.
prose=$(awk '/^<!-- walkthrough:begin -->$/,/^<!-- walkthrough:end -->$/' "$readme" | tr '\n' ' ')
filter=$(grep -oE 'type `[^`]+` into the syscall filter' <<<"$prose" | head -1 | cut -d'`' -f2) ||
	fail_setup "$readme: the walkthrough no longer says which syscalls to 'type \`...\` into the syscall filter'"
phase=$(grep -oE 'set the phase to `[a-z]+`' <<<"$prose" | head -1 | cut -d'`' -f2) ||
	fail_setup "$readme: the walkthrough no longer says to 'set the phase to \`...\`'"
expected_checks=(requests dashboard export)
for c in dashboard export; do
	grep -q "\"\$RT_WT_CHECK\" $c " "$script" || fail_setup "$readme: walkthrough lacks <!-- walkthrough:check $c -->"
done

echo "test/walkthrough: running $blocks blocks of $readme's walkthrough (filter: $filter, phase $phase)"
: >"$scratch/results"
echo 0 >"$scratch/progress"
t0=$(date +%s%N)
# Own process group (job control on): on failure, the cleanup stops exactly what the script started.
set -m
RT_WT_CHECK=$here/check.sh RT_WT_PROGRESS=$scratch/progress RT_WT_RESULTS=$scratch/results \
	RT_WT_ROOT=$root RT_WT_FILTER=$filter RT_WT_PHASE=$phase RT_WT_CONTAINER=$CONTAINER TMPDIR=$scratch \
	timeout -k 10 900 bash -euo pipefail "$script" </dev/null >"$scratch/log" 2>&1 &
wpid=$!
set +m
rc=0
wait "$wpid" || rc=$?
elapsed=$((($(date +%s%N) - t0) / 1000000000))
done_blocks=$(cat "$scratch/progress")

# ---- results -------------------------------------------------------------------------------------
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok $((passed + failed)) - $1"; }
not_ok() {
	failed=$((failed + 1))
	echo "not ok $((passed + failed)) - $1"
	shift
	local why
	for why in "$@"; do if [ -n "$why" ]; then printf '#   %s\n' "$why"; fi; done
}

echo "1..$((${#expected_checks[@]} + 2))"
if ((rc == 0 && done_blocks == blocks)); then
	ok "README walkthrough: all $blocks blocks ran under bash -euo pipefail (${elapsed} s)"
	tail -n 25 "$scratch/log" | sed 's/^/# /'
else
	line=$(grep "^# README.md line .*: block $((done_blocks + 1))\$" "$script" | cut -d' ' -f4 | tr -d :)
	not_ok "README walkthrough: block $((done_blocks + 1)) of $blocks ($readme line ${line:-?}) failed, status $rc" \
		"output of the walkthrough:"
	sed 's/^/#   | /' "$scratch/log"
fi
# check.sh writes one line per check: NAME <tab> ok|not ok <tab> what it checked [<tab> why not].
for c in "${expected_checks[@]}"; do
	status='' what='' why=''
	IFS=$'\t' read -r _ status what why < <(grep "^$c	" "$scratch/results" | tail -1) || true
	case $status in
	ok) ok "$what" ;;
	"not ok") not_ok "$what" "$why" ;;
	*) not_ok "$c: not reached (the walkthrough stopped before <!-- walkthrough:check ${c/requests/dashboard} -->)" ;;
	esac
done

# What the README's clean-up block promises: nothing of the walkthrough is left on the host.
left=()
pgrep -g "$wpid" >/dev/null && left+=("processes: $(pgrep -ag "$wpid" | tr '\n' ';')")
"$RUNC" state "$CONTAINER" >/dev/null 2>&1 && left+=("container $CONTAINER")
ip netns list | grep -qw "$NETNS" && left+=("netns $NETNS")
ip link show "$HOST_IF" >/dev/null 2>&1 && left+=("interface $HOST_IF")
[ -e "$PIN" ] && left+=("pin $PIN")
[ -e "$STATE" ] && left+=("state file $STATE")
compgen -G "$scratch/tmp.*" >/dev/null && left+=("work dir $(compgen -G "$scratch/tmp.*")")
if ((rc != 0)); then
	not_ok "clean-up block leaves nothing behind: not reached (the run.sh trap cleans up instead)"
elif ((${#left[@]} == 0)); then
	ok "clean-up block leaves nothing behind (container, consumer, netns, veth, pin, state, work dir)"
else
	not_ok "clean-up block leaves nothing behind" "${left[@]}"
fi
echo "# run.sh took $(($(date +%s) - started)) s (the walkthrough itself ${elapsed} s)"
echo "walkthrough: $passed passed, $failed failed"
((failed == 0))
