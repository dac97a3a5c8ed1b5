# Sourced by the bats runners: run_bats NAME BATS-ARGS... runs bats with TAP
# output and prints "NAME: N passed, N failed, N skipped" last. Returns bats'
# status.
run_bats() {
	local name=$1 tap status=0 passed skipped failed
	shift
	tap=$(mktemp)
	bats --tap "$@" | tee "$tap" || status=$?
	passed=$(grep -c '^ok ' "$tap" || true)
	skipped=$(grep -c '^ok .*# skip' "$tap" || true)
	failed=$(grep -c '^not ok ' "$tap" || true)
	rm -f "$tap"
	echo "$name: $((passed - skipped)) passed, $failed failed, $skipped skipped"
	return $status
}
