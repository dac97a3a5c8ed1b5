#!/bin/bash
# bench/strings-ab.sh [ROUNDS] [N] — before/after of trimming syscall records with strings.
# A = the kernel side of commit $BENCH_OLD_REV (fixed 920-byte records), B = the working tree's
# (trimmed). Each variant runs in a private instance (RUNC_TRACE_BPF_PIN_DIR/RUN_DIR, as
# bpf/bench.sh), with its own runc-trace-consumer (--state-dir/--bpffs of that instance) recording
# JSONL: N stat("/etc/passwd") in a traced process; reports time, records written, lost, ring bytes.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-5} N=${2:-200000}
OLD_REV=${BENCH_OLD_REV:-fb4a1a7}
B=$ROOT/build/bench TOOL=$ROOT/build/bench/bench-tool CONSUMER=$ROOT/build/bin/runc-trace-consumer
CG2=/sys/fs/cgroup/unified; [ "$(stat -fc %T $CG2 2>/dev/null)" = cgroup2fs ] || CG2=/sys/fs/cgroup
if [ ! -x "$B/old/bin/runc-trace-bpf" ]; then
	rm -rf "$B/old-src"; mkdir -p "$B/old-src"
	git -C "$ROOT" archive "$OLD_REV" bpf | tar -x -C "$B/old-src"
	make -s -C "$B/old-src/bpf" OUTPUT="$B/old" "$B/old/bin/runc-trace-bpf" >/dev/null
fi
declare -A HELPER=([A]=$B/old/bin/runc-trace-bpf [B]=$ROOT/build/bin/runc-trace-bpf)
T=$(mktemp -d /tmp/strings-ab.XXXXXX)
CPID= WPID=
cleanup() {
	[ -z "$WPID" ] || kill "$WPID" 2>/dev/null
	[ -z "$CPID" ] || { kill -INT "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; }
	rmdir "$CG2/strings-ab-$$" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
one() { # VARIANT ROUND
	local v=$1 id=ab$1$2 pin=/sys/fs/bpf/runc-trace-ab-$$ run=/run/runc-trace-ab-$$ cg=$CG2/strings-ab-$$
	mkdir -p "$cg"; rm -f "$T/f"; mkfifo "$T/f"
	sh -c 'read x < "$0"; exec "$1" timeit "$1" stat "$2"' "$T/f" "$TOOL" "$N" 2>"$T/err" &
	WPID=$!; echo "$WPID" >"$cg/cgroup.procs"
	echo '{}' | RUNC_TRACE_BPF_PIN_DIR=$pin RUNC_TRACE_BPF_RUN_DIR=$run "${HELPER[$v]}" arm --id "$id" --pid "$WPID" || return 1
	"$CONSUMER" --out "$T/out" --state-dir "$run/containers" --bpffs "$pin" >"$T/consumer.log" 2>&1 &
	CPID=$!
	for _ in $(seq 50); do [ -d "$T/out" ] && break; sleep 0.1; done; sleep 0.3
	echo go >"$T/f"; wait "$WPID"; WPID=
	local l=
	# a lost init EXIT record leaves the consumer waiting for the disarm (as runc delete does)
	sleep 0.5
	RUNC_TRACE_BPF_PIN_DIR=$pin RUNC_TRACE_BPF_RUN_DIR=$run "${HELPER[$v]}" disarm --id "$id"
	for _ in $(seq 300); do
		[ -s "$T/out/$id.jsonl" ] && l=$(tail -n 1 "$T/out/$id.jsonl") && [ "$(jq -r .type <<<"$l")" = exit ] && break
		l=; sleep 0.1
	done
	kill -INT "$CPID"; wait "$CPID" 2>/dev/null; CPID=
	rmdir "$cg"; rm -rf "$run"; [ -z "${AB_KEEP:-}" ] || cp -r "$T/out" "$T/consumer.log" "$AB_KEEP/"; rm -rf "$T/out"
	echo "$v $(awk '/^elapsed_ns/ {print $2}' "$T/err") $(jq -r '"\(.records) \(.lost)"' <<<"${l:-{\}}")"
}
echo "-- lever: syscall records with strings, fixed 920 B (A, $OLD_REV) vs trimmed (B, working tree)"
echo "   $ROUNDS rounds A B A B …, each: $N stat(\"/etc/passwd\") traced, consumer recording JSONL, 8 MiB ring"
for i in $(seq "$ROUNDS"); do one A "$i"; one B "$i"; done >"$T/res"
for v in A B; do
	awk -v v=$v '$1 == v {print $2 / 1e6, $3, $4}' "$T/res" | sort -g | awk -v v=$v '{t[NR]=$1; r[NR]=$2; l[NR]=$3} END {
		m = int((NR + 1) / 2);
		printf "   %s: median time %.0f ms; records written %s, lost %s (per run, median-time run)\n", v, t[m], r[m], l[m] }'
done
awk '{print}' "$T/res" | sed 's/^/     raw: /'
