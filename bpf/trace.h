/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trace.h - the only definition of what the kernel side hands to user space.
 *
 * Shared by trace.bpf.c (kernel), runc-trace-bpf (loader/arm helper) and, via
 * `runc-trace-bpf layout` + golden records, the TypeScript decoder in consumer/.
 * Change a layout here and bump TRACE_ABI_VERSION; the decoder tests fail until
 * consumer/ follows.
 */
#ifndef __RUNC_TRACE_H
#define __RUNC_TRACE_H

#define TRACE_ABI_VERSION	2	/* 2: TRACE_REC_THROTTLE, trace_slot rate limit fields */

#define TRACE_COMM_LEN		16
#define TRACE_STR0_MAX		256	/* first string: a path, execve filename */
#define TRACE_STR1_MAX		512	/* second string: a second path, argv (NUL-separated), raw sockaddr */
#define TRACE_MAX_CONTAINERS	1024	/* slots: traced containers existing at once */
#define TRACE_MAX_CGROUPS	16384	/* container cgroups and their descendants */

#define TRACE_DEFAULT_RINGBUF	(8u << 20)	/* bytes per container; power of two, >= page size */
#define TRACE_MIN_RINGBUF	(64u << 10)
#define TRACE_MAX_RINGBUF	(1u << 30)

#define TRACE_MAX_RATE		10000000u	/* io.trace.rate-limit: records per second, 1..10M (0 = unlimited) */
#define TRACE_THROTTLE_TOP	8		/* syscall numbers named in a throttle record */
#define TRACE_THROTTLE_NRS	512		/* syscall numbers counted one by one; larger ones go to `other` */

enum trace_record_kind {
	TRACE_REC_SYSCALL	= 1,	/* one per completed syscall, built at sys_exit */
	TRACE_REC_FORK		= 2,	/* sched_process_fork: a process or thread was created */
	TRACE_REC_EXEC		= 3,	/* sched_process_exec: a program image was replaced */
	TRACE_REC_EXIT		= 4,	/* sched_process_exit: a thread exited (group_dead says if the process did) */
	TRACE_REC_THROTTLE	= 5,	/* syscall records the rate limit suppressed since the last throttle record */
};

/* trace_hdr.flags */
#define TRACE_F_WORKLOAD	(1u << 0)	/* phase: set = workload (after the container's execve), clear = runtime (runc init) */
#define TRACE_F_STR0_TRUNC	(1u << 1)	/* str0 hit TRACE_STR0_MAX (or argv/str read failed part-way) */
#define TRACE_F_STR1_TRUNC	(1u << 2)
#define TRACE_F_STRINGS		(1u << 3)	/* a syscall record carries the str0/str1 payload */
#define TRACE_F_THREAD		(1u << 4)	/* fork: CLONE_THREAD (new thread, not a process) */
#define TRACE_F_GROUP_DEAD	(1u << 5)	/* exit: last thread of the process */
#define TRACE_F_INIT		(1u << 6)	/* exit: the container's init process */
#define TRACE_F_STR1_SOCKADDR	(1u << 7)	/* str1 holds a raw struct sockaddr of str1_len bytes */
#define TRACE_F_STR1_ARGV	(1u << 8)	/* str1 holds argv, NUL-separated: after a successful exec read from
						 * the new image's mm (the kernel's copy), after a failed one from
						 * the caller's argv pointers (at most 32 entries) */

/*
 * Every record starts with this header; records are 8-byte aligned and
 * hdr.size is the full record size including any payload.
 */
struct trace_hdr {
	__u16 kind;		/* enum trace_record_kind */
	__u16 flags;		/* TRACE_F_* */
	__u32 size;
	__u64 seq;		/* per container, kernel-assigned, counts lost records too */
	__u64 ts_boot_ns;	/* bpf_ktime_get_boot_ns() when the record was built */
	__u64 cgroup_id;	/* v2 cgroup id of the task at that time */
	__u32 pid;		/* host tgid */
	__u32 tid;		/* host tid */
	__u32 vpid;		/* tgid in the task's own pid namespace */
	__u32 vtid;
	__u32 ppid;		/* host tgid of the real parent */
	__u32 uid;
	__u32 gid;
	__u32 slot;		/* container slot */
	char comm[TRACE_COMM_LEN];
};

struct trace_syscall {
	struct trace_hdr hdr;
	__s64 ret;
	__u64 args[6];		/* raw, as passed at entry */
	__u64 dur_ns;		/* exit - entry */
	__u32 nr;		/* x86_64 syscall number */
	__u16 str0_len;		/* bytes in str0, without NUL */
	__u16 str1_len;		/* bytes in str1: a path without NUL, argv without its final NUL, a raw sockaddr */
	/*
	 * if (hdr.flags & TRACE_F_STRINGS): char str0[TRACE_STR0_MAX]; char str1[TRACE_STR1_MAX]; follow
	 * at the offsets of struct trace_syscall_strings, but the record is trimmed after the last
	 * string byte: hdr.size == trace_strings_size(str0_len, str1_len) (a reader also accepts the
	 * untrimmed sizeof(struct trace_syscall_strings)). Bytes past str0_len/str1_len are
	 * unspecified; a string that could not be read has length 0.
	 */
};

struct trace_syscall_strings {
	struct trace_syscall sc;
	char str0[TRACE_STR0_MAX];
	char str1[TRACE_STR1_MAX];
};

/*
 * Size of a syscall record with strings, trimmed: up to the end of str1 when str1_len > 0, else up
 * to the end of str0; rounded up to 8 bytes, never more than the full struct.
 */
#define TRACE_STRINGS_SIZE_RAW(s0, s1) \
	((s1) > 0 ? sizeof(struct trace_syscall) + TRACE_STR0_MAX + (s1) : sizeof(struct trace_syscall) + (s0))
#define trace_strings_size(s0, s1) \
	((__u32)(((TRACE_STRINGS_SIZE_RAW(s0, s1) + 7) & ~7ul) < sizeof(struct trace_syscall_strings) ? \
		 ((TRACE_STRINGS_SIZE_RAW(s0, s1) + 7) & ~7ul) : sizeof(struct trace_syscall_strings)))

struct trace_fork {
	struct trace_hdr hdr;	/* the parent */
	__u32 child_pid;
	__u32 child_tid;
	__u32 child_vpid;
	__u32 child_vtid;
};

struct trace_exec {
	struct trace_hdr hdr;	/* after the exec: comm is the new one */
	__u32 old_tid;		/* tid before exec (a non-leader thread may exec) */
	__u16 filename_len;
	__u16 pad;
	char filename[TRACE_STR0_MAX];	/* bprm->filename, copied by the kernel */
};

struct trace_exit {
	struct trace_hdr hdr;
	__s32 exit_code;	/* task->exit_code: wait status (code << 8 | signal) */
	__u32 pad;
};

struct trace_throttle_nr {
	__u32 nr;		/* x86_64 syscall number */
	__u32 count;		/* its suppressed records in this window */
};

/*
 * Emitted before the next record of the container (any kind) once syscall records were suppressed
 * by io.trace.rate-limit. Every suppressed record is in exactly one throttle record:
 * suppressed == sum(top[0..ntop).count) + other. Suppressed records take no seq number (they are
 * not lost: nothing was ever reserved for them). hdr is the task whose record ended the window.
 */
struct trace_throttle {
	struct trace_hdr hdr;
	__u64 start_ns;		/* boot ns of the first suppressed syscall's exit */
	__u64 end_ns;		/* boot ns of the last one (approximate if several CPUs were throttled) */
	__u64 suppressed;
	__u64 other;		/* suppressed records whose syscall is not in top[] */
	__u32 rate_limit;	/* records per second, from io.trace.rate-limit */
	__u32 ntop;		/* used entries of top[] (the largest counts, in no particular order) */
	struct trace_throttle_nr top[TRACE_THROTTLE_TOP];
};

/* Per-container state, map `slots` (array indexed by slot), shared by kernel and user space. */
struct trace_slot {
	__u64 cgroup_id;	/* the container's own v2 cgroup; 0 = free */
	__u64 seq;		/* next sequence number */
	__u64 lost;		/* records that could not be reserved (buffer full) */
	__u32 gen;		/* bumped on every arm, so tasks of a previous tenant are ignored */
	__u32 init_pid;		/* host tgid of the container's init */
	__u64 throttled;	/* syscall records suppressed by the rate limit and reported in throttle records */
	__u64 tat;		/* rate limit (GCRA): theoretical arrival time of the next record, boot ns */
	__u64 interval_ns;	/* 1e9 / rate_limit; 0 = unlimited */
	__u32 rate_limit;	/* records per second; 0 = unlimited */
	__u32 pad;
};

/*
 * Suppressed-record counters of a throttled container, map `throttles` (array indexed by slot).
 * Not part of the record ABI; written by any CPU with atomics and zeroed by the helper at arm.
 * A suppressed record adds 1 to count[nr] (count[TRACE_THROTTLE_NRS] for larger numbers), then
 * sets its bit in `bits` and `pending`; a flush swaps `pending`, the words of `bits` and then the
 * counters of the set bits to 0, so each count is taken by exactly one throttle record.
 */
struct trace_throttle_state {
	__u64 pending;
	__u64 start_ns;
	__u64 end_ns;
	__u64 bits[(TRACE_THROTTLE_NRS + 64) / 64];
	__u32 count[TRACE_THROTTLE_NRS + 1];
	__u32 pad;
};

/*
 * Per-task state, map `tasks` (BPF_MAP_TYPE_TASK_STORAGE). Not part of the record ABI: shared
 * only by trace.bpf.c and runc-trace-bpf (arm creates it for the init task through a pidfd).
 * A task without this storage is untraced; that lookup is the whole cost for untraced tasks.
 */
#define TRACE_TASK_WORKLOAD	(1u << 0)	/* phase: set after the task (or an ancestor) exec'd successfully */
#define TRACE_TASK_IN_SYSCALL	(1u << 1)	/* nr/ts/args hold a syscall entry not yet matched by its exit */

struct trace_task {
	__u32 slot;
	__u32 gen;		/* must equal slots[slot].gen, else the task belongs to a previous tenant */
	__u32 flags;		/* TRACE_TASK_* */
	__u32 nr;		/* saved at sys_enter */
	__u64 ts;		/* saved at sys_enter (boot ns) */
	__u64 args[6];		/* saved at sys_enter */
	__u32 vpid;		/* cached pid-ns ids (0 = not computed yet; reset at fork and exec) */
	__u32 vtid;
	__u16 filename_len;	/* bprm->filename stashed by sched_process_exec for execve's exit record */
	__u16 pad[3];
	char filename[TRACE_STR0_MAX];
};

#endif /* __RUNC_TRACE_H */
