#!/usr/bin/env bash
# run-suite.sh NAME CMD [ARGS...]: run one test suite for `make test` and record its counts.
# A suite that prints a line ending "N passed, N failed[, N skipped]" is counted by its last such line,
# vitest by its "Tests" line, TAP
# output (a "1..N" plan) by its ok / not ok / # skip lines; one that records itself
# (scripts/summary.sh add) is left alone; any other counts as one test, passed or failed by its
# exit status. A non-zero exit always counts as at least one failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$1; shift
summary=$here/../build/test-results/summary.tsv
mkdir -p "$(dirname "$summary")"; touch "$summary"
before=$(wc -l <"$summary")
log=$(mktemp)
# A hung suite must not hang CI: it fails after RT_SUITE_TIMEOUT (default 30 minutes).
timeout -k 30 "${RT_SUITE_TIMEOUT:-30m}" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
((rc != 124)) || echo "$name: timed out after ${RT_SUITE_TIMEOUT:-30m}" >&2
# Colour codes (vitest under CI=true) would hide the counts from the patterns below.
sed -i 's/\x1b\[[0-9;]*m//g' "$log"
if (($(wc -l <"$summary") == before)); then
	read -r p f s < <(grep -oE '(^|[ :])[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -1 |
		sed 's/^[ :]*//' | awk '{ print $1, $3, $5 + 0 }')
	if [[ -z ${p:-} ]] && grep -qE '^ *Tests +[0-9]' "$log"; then   # vitest: "Tests  1 failed | 79 passed (80)"
		read -r p f s < <(grep -E '^ *Tests +[0-9]' "$log" | tail -1 | awk '{
			for (i = 2; i < NF; i++) { if ($(i+1) ~ /^passed/) p=$i; if ($(i+1) ~ /^failed/) f=$i; if ($(i+1) ~ /^skipped/) s=$i }
			print p+0, f+0, s+0 }')
	fi
	if [[ -z ${p:-} ]] && grep -qE '^1\.\.[0-9]+$' "$log"; then   # TAP (bats -t): count its lines
		read -r p f s < <(awk '/^ok / { if (/ # [Ss][Kk][Ii][Pp]/) s++; else p++ } /^not ok / { f++ }
			END { print p+0, f+0, s+0 }' "$log")
	fi
	if [[ -z ${p:-} ]]; then
		p=$((rc == 0)) f=$((rc != 0)) s=0
	elif ((rc != 0 && f == 0)); then
		f=1
	fi
	"$here/summary.sh" add "$name" "$p" "$f" "$s"
elif ((rc != 0)) && ! tail -n +$((before + 1)) "$summary" | awk -F'\t' '$3 > 0 { found=1 } END { exit !found }'; then
	# It recorded its suites but then failed (e.g. timed out) without recording a failure.
	"$here/summary.sh" add "$name (exit status $rc)" 0 1 0
fi
rm -f "$log"
exit "$rc"
