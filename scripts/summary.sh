#!/usr/bin/env bash
# Collect per-suite counts for the closing line of `make test`.
#   summary.sh reset               start a new run
#   summary.sh add NAME P F S      record one suite
#   summary.sh total               print "N passed, N failed, N skipped" summed over all suites;
#                                  exit 1 if anything failed
set -euo pipefail
f=$(cd "$(dirname "$0")/.." && pwd)/build/test-results/summary.tsv
case ${1:?usage: summary.sh reset|add|total} in
reset) mkdir -p "$(dirname "$f")"; : >"$f" ;;
add) mkdir -p "$(dirname "$f")"; printf '%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" >>"$f" ;;
total)
	[[ -f $f ]] || : >"$f"
	awk -F'\t' '{ p+=$2; f+=$3; s+=$4; printf "  %-40s %d passed, %d failed, %d skipped\n", $1, $2, $3, $4 }
		END { printf "%d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0) }' "$f" ;;
esac
