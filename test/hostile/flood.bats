#!/usr/bin/env bats
# A container flooding its own ring buffer loses only its own records, every
# loss is counted and written as gaps, and a consumer killed mid-flood loses
# nothing beyond what its restart records as gaps.

load helpers

SPIN=$([ "$SOAK" = 1 ] && echo 5000000 || echo 1000000)

@test "a flooder with a 64Ki buffer and a stopped consumer: victim loses nothing, flooder's loss = kernel counter = gaps" {
	flood=${ID_PREFIX}-flood victim=${ID_PREFIX}-victim
	make_bundle flood '{"io.trace.enabled":"true","io.trace.buffer-size":"64Ki"}' /bin/workload spin "$SPIN"
	fb=$BUNDLE
	make_bundle victim "$TRACED" /bin/workload script
	vb=$BUNDLE
	kill -STOP "$(consumer_pid)"
	runc run -d -b "$fb" "$flood" </dev/null >/dev/null 2>&1
	# Detached: deleted now, with the consumer stopped, they would be imported from a spill (spill.bats), not read live.
	runc run -d -b "$vb" "$victim" </dev/null >/dev/null 2>&1
	for id in "$flood" "$victim"; do
		for _ in $(seq 300); do [ "$(runc state "$id" | jq -r .status)" = stopped ] && break; sleep 0.1; done
	done
	kill -CONT "$(consumer_pid)"
	wait_trace "$victim"
	# The flooder's own exit records may be among the lost ones: its trace ends at delete (disarm).
	read -r seq lost < <(kernel_counters "$flood")
	runc delete -f "$flood"
	wait_trace "$flood"
	echo "flooder: kernel seq=$seq lost=$lost" >&3
	[ "$lost" -gt 0 ]
	echo "flooder exit: $(tail -n 1 "$OUT/$flood.jsonl" | jq -c '{records, lost, lost_by_reason}')" >&3
	tail -n 1 "$OUT/$flood.jsonl" | jq -e --argjson lost "$lost" --argjson seq "$seq" \
		'.lost == $lost and .records + .lost == $seq'
	[ "$(jq -s '[.[] | select(.type == "gap") | .lost] | add' "$OUT/$flood.jsonl")" -eq "$lost" ]
	seq_accounted "$OUT/$flood.jsonl" "$seq"
	# The victim, traced at the same time, lost nothing.
	read -r vseq vlost < <(kernel_counters "$victim")
	[ "$vlost" -eq 0 ]
	tail -n 1 "$OUT/$victim.jsonl" | jq -e --argjson seq "$vseq" '.lost == 0 and .records == $seq'
	[ "$(records "$victim" '.type == "gap"' | wc -l)" -eq 0 ]
	verify "$OUT/$flood.jsonl" "$OUT/$victim.jsonl"
	runc delete -f "$victim"
	assert_gone "$flood" "$victim"
}

@test "consumer killed with SIGKILL mid-flood and restarted: the loss is written as gaps, nothing else is missing" {
	id=${ID_PREFIX}-k9
	make_bundle k9 '{"io.trace.enabled":"true","io.trace.buffer-size":"1Mi"}' /bin/workload spin "$SPIN"
	runc run -d -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
	sleep 0.5
	kill -KILL "$(consumer_pid)"
	wait "$(consumer_pid)" 2>/dev/null || true
	sleep 0.5
	start_consumer
	for _ in $(seq 300); do [ "$(runc state "$id" | jq -r .status)" = stopped ] && break; sleep 0.1; done
	read -r seq lost < <(kernel_counters "$id")
	runc delete -f "$id"
	wait_trace "$id"
	echo "k9: kernel seq=$seq lost=$lost; gaps: $(records "$id" '.type == "gap"' | jq -r .reason | sort | uniq -c | paste -sd' ')" >&3
	seq_accounted "$OUT/$id.jsonl" "$seq"
	tail -n 1 "$OUT/$id.jsonl" | jq -e --argjson seq "$seq" '.records + .lost == $seq'
	# The restarted consumer continued the file (no rotation) and labelled the gap where it resumed
	# (what the killed one had drained but not written) consumer-restart; no gap is unexplained.
	[ ! -e "$OUT/$id.1.jsonl" ]
	resumed=$(grep -o "$id: continuing .* after seq [0-9]*" "$BATS_FILE_TMPDIR/consumer.log" | tail -n 1 | grep -o '[0-9]*$')
	[ -n "$resumed" ]
	records "$id" ".type == \"gap\" and .seq_from == $((resumed + 1))" | jq -s -e 'all(.reason == "consumer-restart")'
	[ "$(records "$id" '.type == "gap" and .reason == "unaccounted"' | wc -l)" -eq 0 ]
	# The chain continues across the restart: the whole file verifies.
	verify "$OUT/$id.jsonl"
	assert_gone "$id"
}
