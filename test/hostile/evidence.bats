#!/usr/bin/env bats
# Tamper-evident evidence: a real trace is hash-chained and sealed; verify
# names the first altered, missing, reordered or cut line.

load helpers

setup_file() {
	start_consumer
	export ID=${ID_PREFIX}-ev
	BATS_TEST_TMPDIR=$BATS_FILE_TMPDIR make_bundle ev "$TRACED" /bin/workload script
	runc run -b "$BUNDLE" "$ID" >/dev/null
	wait_trace "$ID"
	runc delete -f "$ID" >/dev/null 2>&1 || true
}

teardown_file() {
	stop_consumer
	runc delete -f "${ID_PREFIX}-ev" >/dev/null 2>&1 || true
}

setup() {
	FILE=$BATS_TEST_TMPDIR/t.jsonl
	cp "$OUT/$ID.jsonl" "$FILE"
	LINES=$(wc -l <"$FILE")
}

@test "a real trace verifies; its exit record seals head, runtime, BPF helper digest and loss totals" {
	run verify "$OUT/$ID.jsonl"
	[ "$status" -eq 0 ]
	[[ "$output" == *": OK: $LINES lines, sealed, head "* ]]
	exit=$(tail -n 1 "$FILE")
	prev=$(tail -n 2 "$FILE" | head -n 1 | jq -r .chain)
	echo "$exit" | jq -e --arg prev "$prev" --arg bpf "$(sha256sum <"$HELPER" | cut -d' ' -f1)" \
		--arg rt "$(sha256sum <"$RUNC" | cut -d' ' -f1)" \
		'.head == $prev and .bpf_sha256 == $bpf and .runtime_sha256 == $rt and (.runtime | type) == "string" and .lost == 0 and .lost_by_reason == {}'
	# Every line carries the chain, as its last member.
	[ "$(grep -c ',"chain":"[0-9a-f]\{64\}"}$' "$FILE")" -eq "$LINES" ]
}

@test "an edited line is named" {
	sed -i '5s/"comm":"/"comm":"x/' "$FILE"
	run verify "$FILE"
	[ "$status" -eq 1 ]
	[[ "$output" == *": line 5: altered: "* ]]
}

@test "a deleted line is named" {
	sed -i 8d "$FILE"
	run verify "$FILE"
	[ "$status" -eq 1 ]
	[[ "$output" == *": line 8: missing: "* ]]
}

@test "two swapped lines are named" {
	awk 'NR == 6 { six = $0; next } NR == 7 { print; print six; next } { print }' "$OUT/$ID.jsonl" >"$FILE"
	run verify "$FILE"
	[ "$status" -eq 1 ]
	[[ "$output" == *": line 6: reordered: "* ]]
}

@test "a truncated file is named, at a line boundary and inside a line" {
	head -n $((LINES - 3)) "$OUT/$ID.jsonl" >"$FILE"
	run verify "$FILE"
	[ "$status" -eq 1 ]
	[[ "$output" == *": line $((LINES - 2)): truncated: "* ]]
	truncate -s -50 "$FILE"
	run verify "$FILE"
	[ "$status" -eq 1 ]
	[[ "$output" == *": line $((LINES - 3)): truncated: "* ]]
}

@test "corrupted bytes are reported by line" {
	printf 'garbage\n' >>"$BATS_TEST_TMPDIR/g"
	awk 'NR == 3 { print "{\"type\":\"syscall\",not json" } { print }' "$OUT/$ID.jsonl" >"$FILE"
	run verify "$FILE"
	[ "$status" -eq 1 ]
	[[ "$output" == *": line 3: malformed: "* ]]
	run verify "$BATS_TEST_TMPDIR/g" "$BATS_TEST_TMPDIR/missing"
	[ "$status" -eq 2 ]
	[[ "${lines[0]}" == *"/g: line 1: malformed: "* ]]
	[[ "${lines[1]}" == *"/missing: ERROR: "* ]]
}
