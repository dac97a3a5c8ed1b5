#!/usr/bin/env bats
# io.trace.rate-limit: a container over its limit gets throttle records that,
# with the syscall records written, account for every syscall it made; an
# unlimited neighbour loses nothing; a bad value or a broken config.json fails
# create with the input named and leaves nothing behind.

load helpers

N=100000

# wait_stopped ID: until the container's init has exited (it stays armed until delete).
wait_stopped() {
	for _ in $(seq 300); do [ "$(runc state "$1" | jq -r .status)" = stopped ] && return 0; sleep 0.1; done
	echo "$1 did not stop" >&2
	return 1
}

# seq_with_throttle FILE SEQ: every number 0..SEQ-1 is in FILE exactly once, as
# a syscall, process or throttle record or inside a gap.
seq_with_throttle() {
	jq -s --argjson n "$2" '
		[.[] | if .type == "gap" then range(.seq_from; .seq_to + 1)
		       elif .type == "syscall" or .type == "process" or .type == "throttle" then .seq else empty end]
		| sort as $s | ($s | length) == $n and $s == [range(0; $n)]' "$1" | grep -qx true
}

@test "rate-limit=1000 over $N getppid: written + suppressed = $N, nothing lost; an unlimited neighbour writes all $N" {
	lim=${ID_PREFIX}-limited free=${ID_PREFIX}-free
	make_bundle limited '{"io.trace.enabled":"true","io.trace.rate-limit":"1000"}' /bin/workload spin "$N"
	lb=$BUNDLE
	# 100k records of 152 bytes: a ring that holds them all, so any loss would be the neighbour's doing
	make_bundle free '{"io.trace.enabled":"true","io.trace.buffer-size":"32Mi"}' /bin/workload spin "$N"
	fb=$BUNDLE
	runc run -d -b "$lb" "$lim" </dev/null >/dev/null 2>&1
	runc run -d -b "$fb" "$free" </dev/null >/dev/null 2>&1
	wait_stopped "$lim"
	wait_stopped "$free"
	read -r lseq llost < <(kernel_counters "$lim")
	read -r fseq flost < <(kernel_counters "$free")
	throttled=$("$HELPER" status | jq -r --arg id "$lim" '.containers[] | select(.id == $id) | .throttled')
	runc delete -f "$lim"
	runc delete -f "$free"
	wait_trace "$lim"
	wait_trace "$free"
	lf=$OUT/$lim.jsonl ff=$OUT/$free.jsonl

	# runc init (phase runtime) calls getppid too: count the workload's own
	written=$(records "$lim" '.type == "syscall" and .syscall == "getppid" and .phase == "workload"' | wc -l)
	suppressed=$(jq -s '[.[] | select(.type == "throttle") | .by_syscall[] | select(.syscall == "getppid") | .count] | add // 0' "$lf")
	nthrottle=$(records "$lim" '.type == "throttle"' | wc -l)
	echo "limited: $written getppid written + $suppressed suppressed in $nthrottle throttle records; kernel seq=$lseq lost=$llost throttled=$throttled" >&3
	echo "limited exit: $(tail -n 1 "$lf" | jq -c '{records, lost, throttled}')" >&3
	[ "$nthrottle" -ge 1 ]
	[ $((written + suppressed)) -eq "$N" ]
	[ "$written" -lt $((N / 10)) ]
	[ "$llost" -eq 0 ]
	# every throttle record is internally consistent, and the exit record's total is theirs and the kernel's
	jq -s -e '[.[] | select(.type == "throttle")] | all(.suppressed == ([.by_syscall[].count] | add) + .other and .rate_limit == 1000)' "$lf"
	tail -n 1 "$lf" | jq -e --argjson t "$throttled" --argjson seq "$lseq" '.throttled == $t and .lost == 0 and .records == $seq'
	seq_with_throttle "$lf" "$lseq"
	# runc init's records are never throttled: none comes after the first throttle record
	jq -s -e '(map(.type) | index("throttle")) as $i | .[$i:] | all(.phase != "runtime")' "$lf"
	# the last throttle record comes before the init's exit record
	jq -s -e '[.[] | select(.type == "throttle" or (.type == "process" and .event == "exit" and .init))] | .[-1].type == "process"' "$lf"

	fwritten=$(records "$free" '.type == "syscall" and .syscall == "getppid" and .phase == "workload"' | wc -l)
	echo "unlimited neighbour: $fwritten getppid written, kernel seq=$fseq lost=$flost" >&3
	[ "$fwritten" -eq "$N" ]
	[ "$flost" -eq 0 ]
	[ "$(records "$free" '.type == "throttle" or .type == "gap"' | wc -l)" -eq 0 ]
	tail -n 1 "$ff" | jq -e --argjson seq "$fseq" '.lost == 0 and .records == $seq and .throttled == null'
	verify "$lf" "$ff"
	assert_gone "$lim" "$free"
}

@test "a bad io.trace.rate-limit fails create naming key and value and leaves nothing" {
	for bad in 0 1.5k 11M 1000/s ""; do
		id=${ID_PREFIX}-badrate
		make_bundle badrate "{\"io.trace.enabled\":\"true\",\"io.trace.rate-limit\":\"$bad\"}" /bin/workload spin 1
		run runc create -b "$BUNDLE" "$id"
		echo "rate-limit=\"$bad\": $output" >&3
		[ "$status" -ne 0 ]
		[[ "$output" == *"annotation io.trace.rate-limit=\\\"$bad\\\""* ]]
		assert_gone "$id"
		rm -rf "$BUNDLE"
	done
}

@test "a truncated or non-JSON config.json fails create naming config.json and leaves nothing" {
	id=${ID_PREFIX}-badjson
	make_bundle badjson "$TRACED" /bin/workload spin 1
	head -c 100 "$BUNDLE/config.json" >"$BUNDLE/config.json.cut"
	mv "$BUNDLE/config.json.cut" "$BUNDLE/config.json"
	run runc create -b "$BUNDLE" "$id"
	echo "truncated: $output" >&3
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json: unexpected EOF"* ]]
	assert_gone "$id"
	echo 'not json' >"$BUNDLE/config.json"
	run runc create -b "$BUNDLE" "$id"
	echo "not JSON: $output" >&3
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json: invalid character 'o' in literal null (expecting 'u')"* ]]
	assert_gone "$id"
}
