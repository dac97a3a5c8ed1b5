#!/usr/bin/env bash
# demo/stop.sh (`make demo-stop`): deletes the demo's containers, stops the consumer demo/run.sh
# started, and removes build/demo/ except out/ (the JSONL files). Touches nothing it did not start:
# other runc roots, other consumers and their pins are left alone. Safe to run when nothing runs.
#   --quiet   print only problems
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
demo=$root/build/demo
runc_root=/run/runc-trace-demo
quiet=0
[[ ${1:-} == --quiet ]] && quiet=1
say() { ((quiet)) || echo "demo-stop: $*"; }
status=0

# Containers first: deleting one disarms its tracer, and the running consumer then drains the ring
# and seals the file with an exit record.
if [[ -d $runc_root ]]; then
	for id in $("$root/build/bin/runc-trace" --root "$runc_root" list -q 2>/dev/null); do
		if "$root/build/bin/runc-trace" --root "$runc_root" delete --force "$id"; then
			say "deleted container $id"
		else
			echo "demo-stop: could not delete container $id (runc-trace --root $runc_root)" >&2
			status=1
		fi
	done
	rmdir "$runc_root" 2>/dev/null || true
fi

# The consumer, only if the recorded pid is still that consumer (a reused pid is someone else).
if pid=$(cat "$demo/consumer.pid" 2>/dev/null); then
	if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "consumer/dist/main.js --out $demo/out"; then
		kill -TERM "$pid"
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then
			echo "demo-stop: consumer pid $pid did not stop within 10s of SIGTERM; killing it" >&2
			kill -KILL "$pid"
			status=1
		fi
		say "stopped the consumer (pid $pid) and its dashboard"
	fi
fi

rm -rf "$demo/consumer.pid" "$demo/consumer.log" "$demo/token" "$demo/url" "$demo/bundles" "$demo/rootfs"
if [[ -d $demo/out ]]; then
	say "traces kept in ${demo#"$root"/}/out (rm -rf build/demo removes them)"
fi
exit "$status"
