#!/bin/bash
# bench/tp-floor.sh [N] [ROUNDS] — the floor of row 3a: ns per getppid() of a task nobody traces,
# with no program attached, with two EMPTY tp_btf programs on sys_enter and sys_exit (runc-trace's
# attach points), and with an empty sys_exit program alone. What our programs add above "both
# empty" is their cgroup filter; "both empty" above "none" is the cost of host-wide syscall
# tracepoints themselves. Root; needs `make build` (getppid-loop) and clang/libbpf (make deps).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOOP=$ROOT/build/bpf/getppid-loop N=${1:-2000000} ROUNDS=${2:-3}
W=$(mktemp -d /tmp/runc-trace-tpfloor.XXXXXX)
trap 'kill $P 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
P=
prog() { # NAME SECTION...: an object with one empty program per section
	{ echo '#include <linux/bpf.h>'; echo '#define SEC(n) __attribute__((section(n), used))'
	  local i=0; for s in "${@:2}"; do echo "SEC(\"$s\") int p$i(void *ctx) { return 0; }"; i=$((i + 1)); done
	  echo 'char _license[] SEC("license") = "GPL";'; } >"$W/$1.c"
	clang -O2 -g -target bpf -I/usr/include/$(uname -m)-linux-gnu -c "$W/$1.c" -o "$W/$1.o"
}
prog both tp_btf/sys_enter tp_btf/sys_exit
prog exit tp_btf/sys_exit
cat >"$W/attach.c" <<'C'
#include <bpf/libbpf.h>
#include <stdio.h>
#include <unistd.h>
/* attach every program of argv[1], say so, hold them until killed */
int main(int argc, char **argv)
{
	struct bpf_object *o = bpf_object__open_file(argv[1], NULL);
	struct bpf_program *p;

	if (!o || bpf_object__load(o))
		return 1;
	bpf_object__for_each_program(p, o)
		if (!bpf_program__attach(p))
			return 2;
	puts("attached");
	fflush(stdout);
	pause();
	return 0;
}
C
gcc -O2 "$W/attach.c" -o "$W/attach" -lbpf
with() { # OBJ: ns per getppid while OBJ's programs are attached
	"$W/attach" "$W/$1.o" >"$W/att.out" & P=$!
	for _ in $(seq 50); do grep -q attached "$W/att.out" && break; sleep 0.1; done
	"$LOOP" "$N"; kill $P; wait $P 2>/dev/null || true; P=
}
[ ! -e /sys/fs/bpf/runc-trace ] || echo "tp-floor.sh: warning: a traced container exists, 'none' is not" >&2
printf '%-6s %-12s %-12s %s\n' round none both-empty exit-empty
for r in $(seq "$ROUNDS"); do printf '%-6s %-12s %-12s %s\n' "$r" "$("$LOOP" "$N") ns" "$(with both) ns" "$(with exit) ns"; done
