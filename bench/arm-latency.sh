#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bench/arm-latency.sh [N] [HELPER...] - wall time (ms) of the helper alone, N rounds per helper, the
# helpers alternating: arm of the first container (cold: loads the programs), arm of a second (warm),
# disarm of the second, disarm of the last (unloads). Private instance (see bpf/test.sh), two
# sleeping processes in two cgroups stand in for containers. Root only. Medians at the end.
# docs/PERFORMANCE.md, "Arm latency: where the time goes".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-5}; shift || true
[ $# -gt 0 ] || set -- "$ROOT/build/bin/runc-trace-bpf"
CG2=/sys/fs/cgroup/unified; [ "$(stat -fc %T $CG2 2>/dev/null)" = cgroup2fs ] || CG2=/sys/fs/cgroup
export RUNC_TRACE_BPF_PIN_DIR=/sys/fs/bpf/runc-trace-armlat-$$ RUNC_TRACE_BPF_RUN_DIR=/run/runc-trace-armlat-$$
export RUNC_TRACE_BPF_SPILL_DIR=/run/runc-trace-armlat-$$-spill
CG=$CG2/runc-trace-armlat-$$ OUT=$(mktemp)
mkdir -p "$CG/a" "$CG/b"
sleep 1000 & P1=$!; sleep 1000 & P2=$!
echo $P1 >"$CG/a/cgroup.procs"; echo $P2 >"$CG/b/cgroup.procs"
trap 'kill $P1 $P2 2>/dev/null; wait 2>/dev/null; "$1" gc; rmdir "$CG/a" "$CG/b" "$CG"; rm -rf "$RUNC_TRACE_BPF_RUN_DIR" "$RUNC_TRACE_BPF_SPILL_DIR" "$OUT"' EXIT
ms() { local s=$EPOCHREALTIME; "$@" >/dev/null || echo "arm-latency: failed: $*" >&2; awk -v s="$s" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (e - s) * 1000 }'; }
for _ in $(seq "$N"); do
	for h in "$@"; do
		echo "$h $(echo '{}' | ms "$h" arm --id armlat-1 --pid $P1) $(echo '{}' | ms "$h" arm --id armlat-2 --pid $P2)" \
			"$(ms "$h" disarm --id armlat-2) $(ms "$h" disarm --id armlat-1)" | tee -a "$OUT"
	done
done
echo "medians (ms): cold arm, warm arm, disarm, disarm of the last"
for h in "$@"; do
	printf '%s' "$h"
	for c in 2 3 4 5; do
		awk -v h="$h" '$1 == h' "$OUT" | cut -d' ' -f$c | sort -n | awk '{ v[NR] = $1 } END { printf " %.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	done
	echo
done
