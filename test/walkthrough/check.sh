#!/usr/bin/env bash
# check.sh dashboard|export: the assertions test/walkthrough/run.sh makes between the README's
# walkthrough blocks, where the README has <!-- walkthrough:check NAME -->. Runs inside the
# walkthrough (cwd = its work dir, its exported variables), so it sees what a reader would see at
# that point. Writes "NAME <tab> ok|not ok <tab> what [<tab> why]" lines to $RT_WT_RESULTS and always
# exits 0: a failed check is reported, and the walkthrough goes on to its clean-up.
set -uo pipefail
root=$RT_WT_ROOT id=$RT_WT_CONTAINER
html=rootfs/var/www/html
live=traces/$id.jsonl         # the consumer's file (--out traces)
exported=$id.jsonl            # what the README exported through the API

result() { # NAME WHAT [WHY]: ok when WHY is empty
	if [ -z "${3:-}" ]; then
		printf '%s\tok\t%s\n' "$1" "$2" >>"$RT_WT_RESULTS"
	else
		printf '%s\tnot ok\t%s\t%s\n' "$1" "$2" "$(echo "$3" | tr '\t\n' '  ')" >>"$RT_WT_RESULTS"
	fi
}

# Host pids the nginx master forked as processes: its workers. The master is the task of the first
# exec record (runc init becoming nginx); the header's init_pid is runc's parent process instead.
workers() {
	jq -rs '(first(.[] | select(.type == "process" and .event == "exec")) | .pid) as $master
		| [.[] | select(.type == "process" and .event == "fork" and .pid == $master and .thread == false) | .child_pid]
		| map(tostring) | join(",")' "$1"
}

check_requests() {
	local why='' index=$html/index.nginx-debian.html log=rootfs/var/log/nginx/access.log n
	cmp -s index.html "$index" || why+="index.html differs from $index or is missing; "
	cmp -s big.bin "$html/big.bin" || why+="big.bin differs from $html/big.bin or is missing; "
	# nginx's own account (combined log format): client address, request, status, body bytes.
	n=$(grep -c "^10\.203\.0\.1 .*\"GET / HTTP/1\.1\" 200 $(stat -c %s "$index") " "$log")
	[ "$n" = 1 ] || why+="access.log: $n × 'GET / 200 $(stat -c %s "$index")' from 10.203.0.1, want 1; "
	n=$(grep -c "^10\.203\.0\.1 .*\"GET /big\.bin HTTP/1\.1\" 200 $(stat -c %s "$html/big.bin") " "$log")
	[ "$n" = 3 ] || why+="access.log: $n × 'GET /big.bin 200 $(stat -c %s "$html/big.bin")', want 3; "
	n=$(grep -c '^10\.203\.0\.1 .*"GET /missing HTTP/1\.1" 404 ' "$log")
	[ "$n" = 1 ] || why+="access.log: $n × 'GET /missing 404', want 1; "
	result requests "curl through the veth: 200 with the right bytes (welcome page, 3 × 8 MiB), then a 404" "$why"
}

check_dashboard() {
	local url pids why
	url=$(grep -m1 '^dashboard: ' consumer.log | cut -d' ' -f2)
	pids=$(workers "$live")
	if [ -z "$url" ] || [ -z "$pids" ]; then
		why="dashboard URL '${url}' in consumer.log, worker pids '${pids}' in $live: one is missing"
	else
		why=$(node "$root/test/walkthrough/dashboard.mjs" "$url" "$id" "$RT_WT_FILTER" "$RT_WT_PHASE" "$pids" \
			"$root/test/artifacts/walkthrough.png" 2>&1) && why=''
	fi
	result dashboard "dashboard (chromium): filter '$RT_WT_FILTER', phase $RT_WT_PHASE on $id shows those syscalls, all by workers (walkthrough.png)" "$why"
}

check_export() {
	local why='' verify last pids bytes want
	[ -s "$exported" ] || { result export "exported JSONL" "$exported missing or empty"; return; }
	cmp -s "$exported" "$live" || why+="$exported (API) is not byte for byte $live (the consumer's file); "
	verify=$(runc-trace-consumer verify "$exported" 2>&1) || why+="verify: $verify; "
	last=$(tail -n 1 "$exported" | jq -r .type)
	[ "$last" = exit ] || why+="last record is '$last', not exit; "
	pids=$(workers "$exported")
	# The request pattern, by the workers only (the master never touches a connection). One jq -s
	# per question: jq 1.6's -e reports on the last input, not on whether any matched.
	for sc in accept4 recvfrom writev sendfile; do
		[ "$(jq -s --arg sc "$sc" --arg pids "$pids" 'any(.[]; .type == "syscall" and .syscall == $sc
			and (.ret | type) == "number" and .ret > 0 and (.pid | tostring | IN($pids | split(",")[])))' "$exported")" = true ] ||
			why+="no successful $sc by a worker ($pids); "
	done
	[ "$(jq -s --arg pids "$pids" 'any(.[]; .type == "syscall" and .syscall == "accept4"
		and (.args.addr // "" | startswith("10.203.0.1:")) and (.pid | tostring | IN($pids | split(",")[])))' "$exported")" = true ] ||
		why+="no accept4 of a connection from 10.203.0.1; "
	# Every body byte nginx served left through sendfile: the trace accounts for them exactly.
	bytes=$(jq -s --arg pids "$pids" '[.[] | select(.type == "syscall" and .syscall == "sendfile" and .ret > 0
		and (.pid | tostring | IN($pids | split(",")[]))) | .ret] | add // 0' "$exported")
	want=$(($(stat -c %s "$html/index.nginx-debian.html") + 3 * $(stat -c %s "$html/big.bin")))
	[ "$bytes" = "$want" ] || why+="sendfile by the workers returned $bytes bytes in all, curl fetched $want; "
	result export "exported JSONL = consumer's file, verifies, sealed; workers ($pids) accept4/recvfrom/writev/sendfile, sendfile bytes = bytes served ($want)" "$why"
}

# For KEEP=1 runs of run.sh: the trace as this check saw it, beside the results.
cp "$live" "$(dirname "$RT_WT_RESULTS")/${1:-x}.jsonl" 2>/dev/null

case ${1:-} in
dashboard) check_requests; check_dashboard ;;
export) check_export ;;
*) echo "check.sh: unknown check '${1:-}' (want dashboard or export)" >&2 ;;
esac
exit 0
