// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The naive tracer of bench row 2: what a first attempt looks like. Entry saved in a HASH keyed by
 * tid, one ring record per syscall at exit submitted with BPF_RB_FORCE_WAKEUP (a wakeup per
 * record), filtered on one cgroup id (set before load).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct naive_rec {
	__u64 ts;
	__u64 dur;
	__s64 ret;
	__u64 args[6];
	__u32 pid, tid, nr, pad;
	char comm[16];
};

struct entry { __u64 ts; __u64 args[6]; __u32 nr; };

const volatile __u64 target_cgroup = 0;

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536); __type(key, __u32); __type(value, struct entry); } entries SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 8 << 20); } rb SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(naive_enter, struct pt_regs *regs, long id)
{
	if (bpf_get_current_cgroup_id() != target_cgroup)
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct entry e = { .ts = bpf_ktime_get_boot_ns(), .nr = id };
	e.args[0] = regs->di; e.args[1] = regs->si; e.args[2] = regs->dx;
	e.args[3] = regs->r10; e.args[4] = regs->r8; e.args[5] = regs->r9;
	bpf_map_update_elem(&entries, &tid, &e, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(naive_exit, struct pt_regs *regs, long ret)
{
	if (bpf_get_current_cgroup_id() != target_cgroup)
		return 0;
	__u64 pt = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pt;
	struct entry *e = bpf_map_lookup_elem(&entries, &tid);
	if (!e)
		return 0;
	struct naive_rec r = {};
	r.ts = bpf_ktime_get_boot_ns();
	r.dur = r.ts - e->ts;
	r.ret = ret;
	r.nr = e->nr;
	__builtin_memcpy(r.args, e->args, sizeof(r.args));
	r.pid = pt >> 32;
	r.tid = tid;
	bpf_get_current_comm(r.comm, sizeof(r.comm));
	bpf_map_delete_elem(&entries, &tid);
	bpf_ringbuf_output(&rb, &r, sizeof(r), BPF_RB_FORCE_WAKEUP);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
