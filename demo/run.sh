#!/usr/bin/env bash
# demo/run.sh (`make demo`): starts runc-trace-consumer with its dashboard, runs two traced busybox
# containers (demo/workload.sh: files, child processes, loopback networking, failures on purpose;
# then a short one as uid 1000 that exits 3) and prints the dashboard URL, the JSONL paths and the
# verify result.
#
# Everything it creates is under build/demo/ (out/ = the JSONL files, kept across runs; the rest is
# removed by demo/stop.sh) and the runc root /run/runc-trace-demo, apart from other users of runc.
#   DEMO_KEEP=1   leave the consumer and dashboard running (default when stdout is a terminal);
#                 DEMO_KEEP=0 stops them before returning (the JSONL files stay).
#   DEMO_LISTEN   dashboard address (default 127.0.0.1:7070)
#   RUNC_TRACE_TOKEN  dashboard token (default: a new random one)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/lib.sh

demo=$root/build/demo
out=$demo/out
runc_root=/run/runc-trace-demo
listen=${DEMO_LISTEN:-127.0.0.1:7070}
if [[ -z ${DEMO_KEEP:-} ]]; then
	if [[ -t 1 ]]; then keep=1; else keep=0; fi
else
	keep=$DEMO_KEEP
fi
[[ $keep == 0 || $keep == 1 ]] || rt_die "DEMO_KEEP: expected 0 or 1, got '$keep'"

bin=$root/build/bin
for b in runc-trace runc-trace-bpf runc-trace-consumer; do
	[[ -x $bin/$b ]] || rt_die "$bin/$b missing: run 'make demo' (it builds what is missing) or 'make build'"
done
[[ -f build/ui/index.html ]] || rt_die "build/ui/index.html missing (the dashboard): run 'make build'"
need_tool jq jq
need_tool curl curl
[[ $(id -u) == 0 ]] || rt_die "the demo runs containers with runc-trace and loads BPF: run it as root"

# One demo at a time: a second one would be refused by the consumer lock anyway, but this names the
# way out.
if pid=$(cat "$demo/consumer.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; then
	rt_die "the demo is already running (consumer pid $pid, $(cat "$demo/url" 2>/dev/null || echo 'no URL')); run 'make demo-stop' first"
fi
if [[ -n $("$bin/runc-trace" --root "$runc_root" list -q 2>/dev/null) ]]; then
	rt_die "containers of an earlier demo still exist under $runc_root; run 'make demo-stop' first"
fi

# From here on a failure (or ^C) takes down what this run started, and only that.
done_ok=0
log_shown=0
cleanup() {
	((done_ok)) && return
	if ((!log_shown)) && [[ -s $demo/consumer.log ]]; then
		echo "demo: consumer log (last 20 lines):" >&2
		tail -n 20 "$demo/consumer.log" | sed 's/^/  /' >&2
	fi
	echo "demo: failed; stopping what it started" >&2
	"$root/demo/stop.sh" --quiet || true
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; exit 130' INT TERM

rm -rf "$demo/bundles" "$demo/rootfs"
mkdir -p "$demo"
chmod 0700 "$demo" # the token file lives here

# bpffs: runc-trace-bpf pins each container's ring buffer there for the consumer.
mount | grep -q ' /sys/fs/bpf type bpf' || mount -t bpf bpf /sys/fs/bpf
[[ -x build/test/rootfs-busybox/bin/busybox ]] || test/lib/mkrootfs-busybox.sh build/test/rootfs-busybox

# --- consumer and dashboard ----------------------------------------------------------------------
token=${RUNC_TRACE_TOKEN:-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')}
(umask 077 && printf '%s\n' "$token" >"$demo/token")
echo "demo: starting runc-trace-consumer --out ${out#"$root"/} --listen $listen"
# Created here, not by the background job's redirection, which may not have happened yet when the
# loop below first reads it.
: >"$demo/consumer.log"
# Own session and no inherited descriptors: it outlives this script (DEMO_KEEP=1) without holding
# the caller's terminal or pipes open. The token goes by environment, not argv (ps shows argv).
RUNC_TRACE_TOKEN=$token setsid "$bin/runc-trace-consumer" --out "$out" --listen "$listen" \
	</dev/null >"$demo/consumer.log" 2>&1 3>&- &
echo $! >"$demo/consumer.pid"
consumer=$!
url=
for _ in $(seq 100); do
	if ! kill -0 "$consumer" 2>/dev/null; then
		# e.g. "another runc-trace-consumer is running (it holds /run/runc-trace/consumer.lock)"
		echo "demo: runc-trace-consumer exited at start:" >&2
		sed 's/^/  /' "$demo/consumer.log" >&2
		! grep -q EADDRINUSE "$demo/consumer.log" || echo "demo: $listen is taken; choose another with DEMO_LISTEN=127.0.0.1:PORT" >&2
		log_shown=1
		exit 1
	fi
	url=$(sed -n 's/^dashboard: //p' "$demo/consumer.log")
	[[ -n $url ]] && [[ $(curl -s -o /dev/null -w '%{http_code}' "$url") == 200 ]] && break
	url=
	sleep 0.1
done
[[ -n $url ]] || rt_die "the dashboard did not answer within 10s"
echo "$url" >"$demo/url"

# --- containers ----------------------------------------------------------------------------------
# One read-only rootfs for both bundles; / must be traversable by uid 1000 (mktemp made it 0700).
cp -a build/test/rootfs-busybox "$demo/rootfs"
chmod 0755 "$demo/rootfs"
install -m 0755 demo/workload.sh "$demo/rootfs/demo.sh"

# bundle ID JQ: build/demo/bundles/ID with runc's default spec, traced, no terminal, changed by JQ.
bundle() {
	local dir=$demo/bundles/$1
	mkdir -p "$dir"
	(cd "$dir" && "$bin/runc-trace" spec)
	jq --arg rootfs "$demo/rootfs" --arg id "$1" \
		'.annotations["io.trace.enabled"] = "true" | .process.terminal = false | .root = {path: $rootfs, readonly: true} | .hostname = $id | '"$2" \
		"$dir/config.json" >"$dir/config.json.new"
	mv "$dir/config.json.new" "$dir/config.json"
}
# su in the workload needs CAP_SETUID/CAP_SETGID; /tmp is the only writable place.
bundle demo '.process.args = ["/bin/sh", "/demo.sh"]
	| .process.capabilities |= with_entries(.value += ["CAP_SETUID", "CAP_SETGID"])
	| .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777", "size=16m"]}]'
bundle demo-short '.process.user = {uid: 1000, gid: 1000}
	| .process.args = ["/bin/sh", "-c", "echo \"uid $(id -u) on a read-only rootfs\"; touch /tmp/x 2>&1; exit 3"]'

run_container() { # ID: runs it in the foreground, its output indented; returns its exit status
	local status=0
	echo "demo: runc-trace run $1"
	"$bin/runc-trace" --root "$runc_root" run -b "$demo/bundles/$1" "$1" 2>&1 </dev/null | sed 's/^/  | /' ||
		status=${PIPESTATUS[0]}
	return "$status"
}
run_container demo || rt_die "container demo exited with status $?, expected 0"
status=0
run_container demo-short || status=$?
((status == 3)) || rt_die "container demo-short exited with status $status, expected 3"

# runc run has deleted each container (and disarmed its tracer); the consumer seals the file with
# the exit record once it has drained the ring.
for id in demo demo-short; do
	file=$out/$id.jsonl
	for _ in $(seq 200); do
		[[ -s $file && $(tail -n 1 "$file" | jq -r .type) == exit ]] && break
		sleep 0.1
	done
	[[ -s $file && $(tail -n 1 "$file" | jq -r .type) == exit ]] ||
		rt_die "$file: no exit record after 20s"
done
verify=$("$bin/runc-trace-consumer" verify "$out/demo.jsonl" "$out/demo-short.jsonl" 2>&1) ||
	rt_die "runc-trace-consumer verify failed: $verify"

summary() { # FILE: record count and the errno names of failed syscalls
	jq -rs '"\(length) records; failed syscalls: " +
		([.[] | select(.type == "syscall" and .phase == "workload" and .errno != null) | .errno]
		 | group_by(.) | map("\(length) \(.[0])") | join(", "))' "$1"
}

echo
echo "runc-trace demo: two traced containers recorded"
echo "dashboard: $url"
for id in demo demo-short; do
	echo "jsonl: $out/$id.jsonl  ($(summary "$out/$id.jsonl"))"
done
echo "verify: ${verify//$'\n'/$'\n'verify: }"
echo "look:   jq -c 'select(.errno != null)' $out/demo.jsonl"
done_ok=1
if ((keep)); then
	echo "stop:   make demo-stop   (consumer pid $consumer keeps running; DEMO_KEEP=0 would stop it here)"
else
	"$root/demo/stop.sh" --quiet
	echo "stopped: DEMO_KEEP=0, the consumer and dashboard are gone; the JSONL files stay"
fi
