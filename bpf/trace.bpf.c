// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trace.bpf.c - kernel side of runc-trace: one record per syscall of every task
 * of an armed container, plus fork/exec/exit records. See adr/0001 and trace.h.
 *
 * A task is traced iff it has `tasks` storage. Storage is created by the arm
 * helper for the container's init (through a pidfd), copied to children at
 * fork, and created for tasks attached to a registered cgroup (runc exec).
 * Every program looks the storage up first and returns on NULL: that lookup is
 * all an untraced task pays.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "trace.h"

#ifndef __TARGET_ARCH_x86
#error "syscall numbers and pt_regs argument registers below are x86_64 only"
#endif

#define NR_EXECVE	59
#define NR_EXECVEAT	322
#define NR_TABLE	512	/* syscall numbers covered by str_spec */
#define SOCKADDR_MAX	128	/* bytes of a sockaddr copied into str1 */
#define ARGV_MAX	32	/* argv entries read from user pointers after a failed exec */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACE_MAX_CONTAINERS);
	__type(key, __u32);
	__type(value, struct trace_slot);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_MAX_CGROUPS);
	__type(key, __u64);	/* v2 cgroup id */
	__type(value, __u32);	/* slot */
} cgroups SEC(".maps");

/* Template only: the helper creates one ring buffer per container, of the size it was asked for. */
struct ringbuf {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TRACE_MIN_RINGBUF);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, TRACE_MAX_CONTAINERS);
	__type(key, __u32);
	__array(values, struct ringbuf);
} buffers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct trace_task);
} tasks SEC(".maps");

/* Suppressed-record counters of rate-limited containers (trace.h, struct trace_throttle_state). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TRACE_MAX_CONTAINERS);
	__type(key, __u32);
	__type(value, struct trace_throttle_state);
} throttles SEC(".maps");

/*
 * Per-CPU scratch. data: argv of a failed exec is assembled here first (the verifier cannot bound a
 * read at a moving offset). rec: a syscall record with strings is built here and copied into the
 * ring with bpf_ringbuf_output() at its trimmed size (trace_strings_size), not the full 920 bytes.
 */
struct argv_buf {
	char data[2 * TRACE_STR1_MAX];
	struct trace_syscall_strings rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct argv_buf);
} scratch SEC(".maps");

/*
 * Which arguments of a syscall carry strings. bits 0-2: str0 = path at args[n-1];
 * bits 3-5: str1 source at args[n-1]; bits 6-7: how str1 is read.
 */
#define S0(a)		((a) + 1)
#define S1(a)		(((a) + 1) << 3)
#define K_PATH		(0 << 6)	/* str1 is a path */
#define K_SOCK_IN	(1 << 6)	/* str1 = sockaddr at args[i], length args[i+1] */
#define K_SOCK_OUT	(2 << 6)	/* str1 = sockaddr at args[i] written by the kernel, length at *args[i+1] */
#define K_EXEC		(3 << 6)	/* str0 = filename, str1 = argv */

const volatile __u8 str_spec[NR_TABLE] = {
	[2] = S0(0),			/* open */
	[4] = S0(0),			/* stat */
	[6] = S0(0),			/* lstat */
	[21] = S0(0),			/* access */
	[42] = S1(1) | K_SOCK_IN,	/* connect */
	[43] = S1(1) | K_SOCK_OUT,	/* accept */
	[44] = S1(4) | K_SOCK_IN,	/* sendto */
	[45] = S1(4) | K_SOCK_OUT,	/* recvfrom */
	[49] = S1(1) | K_SOCK_IN,	/* bind */
	[59] = S0(0) | S1(1) | K_EXEC,	/* execve */
	[76] = S0(0),			/* truncate */
	[80] = S0(0),			/* chdir */
	[82] = S0(0) | S1(1),		/* rename */
	[83] = S0(0),			/* mkdir */
	[84] = S0(0),			/* rmdir */
	[85] = S0(0),			/* creat */
	[86] = S0(0) | S1(1),		/* link */
	[87] = S0(0),			/* unlink */
	[88] = S0(0) | S1(1),		/* symlink: target, linkpath */
	[89] = S0(0),			/* readlink */
	[90] = S0(0),			/* chmod */
	[92] = S0(0),			/* chown */
	[94] = S0(0),			/* lchown */
	[133] = S0(0),			/* mknod */
	[155] = S0(0) | S1(1),		/* pivot_root */
	[161] = S0(0),			/* chroot */
	[165] = S0(0) | S1(1),		/* mount: source, target */
	[166] = S0(0),			/* umount2 */
	[257] = S0(1),			/* openat */
	[258] = S0(1),			/* mkdirat */
	[259] = S0(1),			/* mknodat */
	[260] = S0(1),			/* fchownat */
	[262] = S0(1),			/* newfstatat */
	[263] = S0(1),			/* unlinkat */
	[264] = S0(1) | S1(3),		/* renameat */
	[265] = S0(1) | S1(3),		/* linkat */
	[266] = S0(0) | S1(2),		/* symlinkat: target, linkpath */
	[267] = S0(1),			/* readlinkat */
	[268] = S0(1),			/* fchmodat */
	[269] = S0(1),			/* faccessat */
	[280] = S0(1),			/* utimensat */
	[288] = S1(1) | K_SOCK_OUT,	/* accept4 */
	[316] = S0(1) | S1(3),		/* renameat2 */
	[322] = S0(1) | S1(2) | K_EXEC,	/* execveat */
	[332] = S0(1),			/* statx */
	[437] = S0(1),			/* openat2 */
	[439] = S0(1),			/* faccessat2 */
	[452] = S0(1),			/* fchmodat2 */
};

/* The slot of a traced task, or NULL (and the storage dropped) if it belongs to a previous tenant. */
static __always_inline struct trace_slot *task_slot(struct trace_task *t, struct task_struct *task)
{
	__u32 key = t->slot;
	struct trace_slot *s = bpf_map_lookup_elem(&slots, &key);

	if (s && s->gen == t->gen && s->cgroup_id)
		return s;
	bpf_task_storage_delete(&tasks, task);
	return NULL;
}

static __always_inline __u32 pid_nr_own_ns(struct pid *pid)
{
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;

	bpf_core_read(&nr, sizeof(nr), &pid->numbers[level].nr);
	return nr;
}

static __always_inline void task_vids(struct task_struct *task, __u32 *vpid, __u32 *vtid)
{
	*vtid = pid_nr_own_ns(BPF_CORE_READ(task, thread_pid));
	*vpid = pid_nr_own_ns(BPF_CORE_READ(task, group_leader, thread_pid));
}

static __always_inline void fill_hdr(struct trace_hdr *h, __u16 kind, __u16 flags, __u32 size,
				     __u64 seq, struct trace_task *t, struct task_struct *task)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ugid = bpf_get_current_uid_gid();

	if (!t->vtid)
		task_vids(task, &t->vpid, &t->vtid);
	h->kind = kind;
	h->flags = flags | ((t->flags & TRACE_TASK_WORKLOAD) ? TRACE_F_WORKLOAD : 0);
	h->size = size;
	h->seq = seq;
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->vpid = t->vpid;
	h->vtid = t->vtid;
	h->ppid = task->real_parent->tgid;	/* BTF pointer walk: no helper call on the hot path */
	h->uid = (__u32)ugid;
	h->gid = ugid >> 32;
	h->slot = t->slot;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/*
 * Records are submitted without a wakeup (the consumer polls on a short timer);
 * the record that makes unconsumed data cross a quarter of the ring wakes it.
 */
static __always_inline void submit(void *rb, void *rec, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	__u64 thresh = bpf_ringbuf_query(rb, BPF_RB_RING_SIZE) / 4;

	bpf_ringbuf_submit(rec, avail >= thresh && avail < thresh + size + 8 ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* Reserve a record of `size` for slot t->slot; NULL if untraceable or lost (counted). */
static __always_inline void *reserve(struct trace_slot *s, struct trace_task *t, __u32 size,
				     void **rbp, __u64 *seq)
{
	__u32 key = t->slot;
	void *rb = bpf_map_lookup_elem(&buffers, &key);
	void *rec;

	if (!rb)
		return NULL;
	*seq = __sync_fetch_and_add(&s->seq, 1);
	rec = bpf_ringbuf_reserve(rb, size, 0);
	if (!rec) {
		__sync_fetch_and_add(&s->lost, 1);
		return NULL;
	}
	*rbp = rb;
	return rec;
}

/*
 * io.trace.rate-limit, as a GCRA (a token bucket kept as one timestamp): one record every
 * interval_ns on average, bursts of up to one second's worth. One state for the whole container,
 * not a budget per CPU, so the limit is the container's whatever its threads' placement; updated
 * with a compare-and-swap on the slot's cache line, which the record's seq fetch-add touches
 * anyway. A CAS that keeps losing to other CPUs suppresses the record: it is counted, never lost.
 */
#define NSEC_PER_SEC	1000000000ull
#define RATE_CAS_TRIES	4

static __always_inline bool rate_allows(struct trace_slot *s, __u64 now)
{
	__u64 iv = s->interval_ns, tat, next;
	int i;

	for (i = 0; i < RATE_CAS_TRIES; i++) {
		tat = s->tat;
		next = (tat > now ? tat : now) + iv;
		if (next > now + NSEC_PER_SEC)
			return false;
		if (__sync_val_compare_and_swap(&s->tat, tat, next) == tat)
			return true;
	}
	return false;
}

/*
 * Counts a suppressed syscall record. Order matters (trace.h, trace_throttle_state): the count
 * first, then its bit and `pending`, so a flush that misses this count leaves a bit and pending set.
 */
static __always_inline void suppress(__u32 key, __u32 nr, __u64 now)
{
	struct trace_throttle_state *st = bpf_map_lookup_elem(&throttles, &key);
	__u32 i = nr < TRACE_THROTTLE_NRS ? nr : TRACE_THROTTLE_NRS;
	__u64 bit = 1ull << (i & 63);

	if (!st)
		return;
	if (!st->start_ns)
		__sync_val_compare_and_swap(&st->start_ns, 0, now);
	st->end_ns = now;
	__sync_fetch_and_add(&st->count[i], 1);
	if (!(st->bits[i >> 6] & bit))
		__sync_fetch_and_or(&st->bits[i >> 6], bit);
	if (!st->pending)
		__sync_lock_test_and_set(&st->pending, 1);
}

struct flush_ctx {
	__u64 bits[(TRACE_THROTTLE_NRS + 64) / 64];
	__u64 total;
	__u64 other;
	__u32 key;
	__u32 ntop;
	struct trace_throttle_nr top[TRACE_THROTTLE_TOP];
};

/*
 * A flush's working state lives in a per-CPU map, not on the stack: the verifier then treats the
 * running totals as unknown and verifies the bpf_loop callback once instead of per value.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flush_ctx);
} flush_scratch SEC(".maps");

/* bpf_loop callback over syscall numbers: takes count[i] if its bit was set, keeps the top counts. */
static long flush_nr(__u64 i, void *unused)
{
	struct trace_throttle_state *st;
	__u32 idx = i, n, j, min = 0, zero = 0;
	struct flush_ctx *c = bpf_map_lookup_elem(&flush_scratch, &zero);

	if (!c || idx > TRACE_THROTTLE_NRS)
		return 1;
	barrier_var(idx);	/* index the stack with the bounded 32-bit value, not the loop's u64 */
	if (!(c->bits[(idx >> 6) & 15] & (1ull << (idx & 63))))
		return 0;
	st = bpf_map_lookup_elem(&throttles, &c->key);
	if (!st)
		return 1;
	n = __sync_lock_test_and_set(&st->count[idx], 0);
	if (!n)
		return 0;
	c->total += n;
	if (idx == TRACE_THROTTLE_NRS) {
		c->other += n;
		return 0;
	}
	j = c->ntop;
	if (j < TRACE_THROTTLE_TOP) {
		c->top[j].nr = idx;
		c->top[j].count = n;
		c->ntop = j + 1;
		return 0;
	}
	for (j = 1; j < TRACE_THROTTLE_TOP; j++)
		if (c->top[j].count < c->top[min].count)
			min = j;
	if (min < TRACE_THROTTLE_TOP && c->top[min].count < n) {
		c->other += c->top[min].count;
		c->top[min].nr = idx;
		c->top[min].count = n;
	} else {
		c->other += n;
	}
	return 0;
}

/*
 * Writes what the rate limit suppressed since the last throttle record, if anything, as one
 * TRACE_REC_THROTTLE record. Called before every other record of a rate-limited container, so
 * the throttle record precedes the record that ended the window.
 */
static __always_inline void flush_throttled(struct trace_slot *s, struct trace_task *t,
					    struct task_struct *task)
{
	struct trace_throttle_state *st;
	__u32 key = t->slot, zero = 0;
	struct trace_throttle *r;
	struct flush_ctx *c;
	__u64 seq, start, end;
	void *rb;
	int i;

	st = bpf_map_lookup_elem(&throttles, &key);
	if (!st || !st->pending)
		return;
	c = bpf_map_lookup_elem(&flush_scratch, &zero);
	if (!c)
		return;
	__builtin_memset(c, 0, sizeof(*c));
	c->key = key;
	__sync_lock_test_and_set(&st->pending, 0);
	start = __sync_lock_test_and_set(&st->start_ns, 0);
	end = st->end_ns;
	for (i = 0; i < (TRACE_THROTTLE_NRS + 64) / 64; i++)
		c->bits[i] = __sync_lock_test_and_set(&st->bits[i], 0);
	bpf_loop(TRACE_THROTTLE_NRS + 1, flush_nr, NULL, 0);
	if (!c->total)
		return;
	__sync_fetch_and_add(&s->throttled, c->total);
	r = reserve(s, t, sizeof(*r), &rb, &seq);
	if (!r)
		return;	/* counted in lost like any record; the slot's `throttled` still has the count */
	fill_hdr(&r->hdr, TRACE_REC_THROTTLE, 0, sizeof(*r), seq, t, task);
	r->start_ns = start ? start : end;
	r->end_ns = end;
	r->suppressed = c->total;
	r->other = c->other;
	r->rate_limit = s->rate_limit;
	r->ntop = c->ntop;
	for (i = 0; i < TRACE_THROTTLE_TOP; i++) {
		r->top[i].nr = i < c->ntop ? c->top[i].nr : 0;
		r->top[i].count = i < c->ntop ? c->top[i].count : 0;
	}
	submit(rb, r, sizeof(*r));
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct trace_task *t = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, 0);

	if (!t)
		return 0;
	t->nr = id;
	t->ts = bpf_ktime_get_boot_ns();
	t->args[0] = regs->di;
	t->args[1] = regs->si;
	t->args[2] = regs->dx;
	t->args[3] = regs->r10;
	t->args[4] = regs->r8;
	t->args[5] = regs->r9;
	t->flags |= TRACE_TASK_IN_SYSCALL;
	return 0;
}

static __always_inline __u16 read_user_path(char *dst, __u32 max, __u64 uptr, __u16 *flags, __u16 trunc)
{
	long n;

	if (!uptr)
		return 0;
	n = bpf_probe_read_user_str(dst, max, (const void *)uptr);
	if (n <= 0)
		return 0;
	if (n >= max)
		*flags |= trunc;
	return n - 1;
}

/* argv of a successful exec: the NUL-separated block the kernel copied to the new stack. */
static __always_inline __u16 read_new_argv(char *dst, struct task_struct *task, __u16 *flags)
{
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end - start;

	if (end <= start)
		return 0;
	if (len > TRACE_STR1_MAX) {
		len = TRACE_STR1_MAX;
		*flags |= TRACE_F_STR1_TRUNC;
		if (bpf_probe_read_user(dst, TRACE_STR1_MAX, (const void *)start))
			return 0;
		return TRACE_STR1_MAX;
	}
	if (bpf_probe_read_user(dst, len, (const void *)start))
		return 0;
	return len - 1;	/* without the final NUL */
}

/* argv of a failed exec: only the caller's pointers are left. */
static __always_inline __u16 read_user_argv(char *dst, __u64 uargv, __u16 *flags)
{
	const char *const *argv = (const char *const *)uargv;
	struct argv_buf *buf;
	__u32 off = 0, zero = 0;
	int i;

	buf = bpf_map_lookup_elem(&scratch, &zero);
	if (!argv || !buf)
		return 0;
	for (i = 0; i < ARGV_MAX; i++) {
		const char *p = NULL;
		long n;

		if (bpf_probe_read_user(&p, sizeof(p), &argv[i]) || !p)
			goto done;
		if (off > TRACE_STR1_MAX - 1)
			break;
		n = bpf_probe_read_user_str(&buf->data[off], TRACE_STR1_MAX, p);
		if (n <= 0)
			break;
		off += n;
	}
	*flags |= TRACE_F_STR1_TRUNC;
done:
	if (off > TRACE_STR1_MAX)
		off = TRACE_STR1_MAX;
	bpf_probe_read_kernel(dst, TRACE_STR1_MAX, buf->data);
	return off == TRACE_STR1_MAX ? off : (off ? off - 1 : 0);
}

static __always_inline __u16 read_sockaddr(char *dst, __u64 uaddr, __u64 len, __u16 *flags)
{
	if (!uaddr || !len || len > 0x7fffffff)
		return 0;
	if (len > SOCKADDR_MAX) {
		len = SOCKADDR_MAX;
		*flags |= TRACE_F_STR1_TRUNC;
	}
	*flags |= TRACE_F_STR1_SOCKADDR;
	if (bpf_probe_read_user(dst, len, (const void *)uaddr))
		return 0;
	return len;
}

static __always_inline __u64 arg_at(const __u64 *args, __u32 i)
{
	return i < 6 ? args[i] : 0;
}

static __always_inline void fill_strings(struct trace_syscall_strings *r, struct trace_task *t,
					 struct task_struct *task, __u32 spec, long ret, __u16 *flags)
{
	__u32 a0 = spec & 7, a1 = (spec >> 3) & 7, kind = spec & (3 << 6);
	const __u64 *args = r->sc.args;

	r->sc.str0_len = 0;
	r->sc.str1_len = 0;
	if (kind == K_EXEC) {
		*flags |= TRACE_F_STR1_ARGV;
		if (ret == 0) {
			__u16 n = t->filename_len;

			bpf_probe_read_kernel(r->str0, TRACE_STR0_MAX, t->filename);
			r->sc.str0_len = n < TRACE_STR0_MAX ? n : TRACE_STR0_MAX - 1;
			r->sc.str1_len = read_new_argv(r->str1, task, flags);
		} else {
			r->sc.str0_len = read_user_path(r->str0, TRACE_STR0_MAX, arg_at(args, a0 - 1),
							flags, TRACE_F_STR0_TRUNC);
			r->sc.str1_len = read_user_argv(r->str1, arg_at(args, a1 - 1), flags);
		}
		return;
	}
	if (a0)
		r->sc.str0_len = read_user_path(r->str0, TRACE_STR0_MAX, arg_at(args, a0 - 1),
						flags, TRACE_F_STR0_TRUNC);
	if (!a1)
		return;
	if (kind == K_PATH) {
		r->sc.str1_len = read_user_path(r->str1, TRACE_STR1_MAX, arg_at(args, a1 - 1),
						flags, TRACE_F_STR1_TRUNC);
	} else if (kind == K_SOCK_IN) {
		r->sc.str1_len = read_sockaddr(r->str1, arg_at(args, a1 - 1), arg_at(args, a1), flags);
	} else if (ret >= 0) {	/* K_SOCK_OUT: the kernel wrote the peer and its length */
		__u64 lenp = arg_at(args, a1);
		__u32 len = 0;

		if (lenp && !bpf_probe_read_user(&len, sizeof(len), (const void *)lenp))
			r->sc.str1_len = read_sockaddr(r->str1, arg_at(args, a1 - 1), len, flags);
	}
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct trace_task *t = bpf_task_storage_get(&tasks, task, 0, 0);
	struct trace_syscall *sc;
	struct trace_slot *s;
	__u64 seq, now;
	__u16 flags = 0;
	__u32 nr, spec, size;
	void *rb = NULL;

	if (!t)
		return 0;
	s = task_slot(t, task);
	if (!s)
		return 0;
	if (!(t->flags & TRACE_TASK_IN_SYSCALL)) {
		/* no entry seen (armed mid-syscall, or seccomp skipped sys_enter): take regs as they are */
		t->nr = regs->orig_ax;
		t->ts = 0;
		t->args[0] = regs->di;
		t->args[1] = regs->si;
		t->args[2] = regs->dx;
		t->args[3] = regs->r10;
		t->args[4] = regs->r8;
		t->args[5] = regs->r9;
	}
	t->flags &= ~TRACE_TASK_IN_SYSCALL;
	nr = t->nr;
	if ((nr == NR_EXECVE || nr == NR_EXECVEAT) && ret == 0)
		t->flags |= TRACE_TASK_WORKLOAD;	/* the exec itself is the first workload record */

	/*
	 * Rate limit: only workload records. runc init's records (phase runtime) are bounded and say
	 * how the container was set up; process records are never throttled (flush_throttled).
	 */
	if (s->interval_ns) {
		if (t->flags & TRACE_TASK_WORKLOAD) {
			now = bpf_ktime_get_boot_ns();
			if (!rate_allows(s, now)) {
				suppress(t->slot, nr, now);
				return 0;
			}
		}
		flush_throttled(s, t, task);
	}

	spec = nr < NR_TABLE ? str_spec[nr] : 0;
	size = sizeof(struct trace_syscall);
	if (spec) {
		/* built in per-CPU scratch, then copied into the ring at its trimmed size */
		__u32 zero = 0, key = t->slot;
		struct argv_buf *buf = bpf_map_lookup_elem(&scratch, &zero);

		rb = bpf_map_lookup_elem(&buffers, &key);
		if (!buf || !rb)
			return 0;
		sc = &buf->rec.sc;
		seq = __sync_fetch_and_add(&s->seq, 1);
		flags = TRACE_F_STRINGS;
	} else {
		sc = reserve(s, t, sizeof(struct trace_syscall), &rb, &seq);
		if (!sc)
			return 0;
	}
	sc->ret = ret;
	sc->args[0] = t->args[0];
	sc->args[1] = t->args[1];
	sc->args[2] = t->args[2];
	sc->args[3] = t->args[3];
	sc->args[4] = t->args[4];
	sc->args[5] = t->args[5];
	sc->nr = nr;
	sc->str0_len = 0;
	sc->str1_len = 0;
	if (spec) {
		fill_strings((struct trace_syscall_strings *)sc, t, task, spec, ret, &flags);
		size = trace_strings_size(sc->str0_len, sc->str1_len);
		barrier_var(size);	/* keep the clamp below on the register the verifier tracks */
		if (size > sizeof(struct trace_syscall_strings))	/* never true */
			size = sizeof(struct trace_syscall_strings);
	}
	fill_hdr(&sc->hdr, TRACE_REC_SYSCALL, flags, size, seq, t, task);
	now = sc->hdr.ts_boot_ns;
	sc->dur_ns = t->ts && now > t->ts ? now - t->ts : 0;
	if (spec) {
		__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
		__u64 thresh = bpf_ringbuf_query(rb, BPF_RB_RING_SIZE) / 4;

		/* same wakeup rule as submit(): the record that makes the backlog cross a quarter */
		if (bpf_ringbuf_output(rb, sc, size, avail < thresh && avail + size + 8 >= thresh ?
				       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP))
			__sync_fetch_and_add(&s->lost, 1);
		return 0;
	}
	submit(rb, sc, size);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct trace_task *t = bpf_task_storage_get(&tasks, p, 0, 0);
	struct trace_exec *r;
	struct trace_slot *s;
	long n;
	__u64 seq;
	void *rb;

	if (!t)
		return 0;
	s = task_slot(t, p);
	if (!s)
		return 0;
	/* a non-leader exec takes over the leader's pid: recompute the cached ids */
	t->vtid = 0;
	n = bpf_probe_read_kernel_str(t->filename, sizeof(t->filename), BPF_CORE_READ(bprm, filename));
	t->filename_len = n > 0 ? n - 1 : 0;

	if (s->interval_ns)
		flush_throttled(s, t, p);
	r = reserve(s, t, sizeof(*r), &rb, &seq);
	if (!r)
		return 0;
	fill_hdr(&r->hdr, TRACE_REC_EXEC, n >= TRACE_STR0_MAX ? TRACE_F_STR0_TRUNC : 0,
		 sizeof(*r), seq, t, p);
	r->old_tid = old_pid;
	r->filename_len = t->filename_len;
	r->pad = 0;
	bpf_probe_read_kernel(r->filename, sizeof(r->filename), t->filename);
	submit(rb, r, sizeof(*r));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	struct trace_task *t = bpf_task_storage_get(&tasks, p, 0, 0);
	struct trace_exit *r;
	struct trace_slot *s;
	__u16 flags = 0;
	__u64 seq;
	void *rb;

	if (!t)
		return 0;
	s = task_slot(t, p);
	if (!s)
		return 0;
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		flags |= TRACE_F_GROUP_DEAD;
	if (BPF_CORE_READ(p, tgid) == s->init_pid)
		flags |= TRACE_F_INIT;
	if (s->interval_ns)
		flush_throttled(s, t, p);
	r = reserve(s, t, sizeof(*r), &rb, &seq);
	if (!r)
		return 0;
	fill_hdr(&r->hdr, TRACE_REC_EXIT, flags, sizeof(*r), seq, t, p);
	r->exit_code = BPF_CORE_READ(p, exit_code);
	r->pad = 0;
	submit(rb, r, sizeof(*r));
	return 0;
}

/* The default (v2) hierarchy has id 0; v1 hierarchies of a hybrid host are ignored. */
static __always_inline bool on_default_hierarchy(struct cgroup *cgrp)
{
	return BPF_CORE_READ(cgrp, root, hierarchy_id) == 0;
}

/* Open-coded task iterator (kernel >= 6.7); weak, so a kernel without it traces only the leader. */
extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task, unsigned int flags) __weak __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __weak __ksym;

/* Starts tracing `task` for slot `key`, in phase runtime, unless it is already traced there. */
static __always_inline void adopt(struct task_struct *task, __u32 key, __u32 gen)
{
	struct trace_task *t = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!t || (t->slot == key && t->gen == gen))
		return;	/* moving inside its own container keeps its phase */
	t->slot = key;
	t->gen = gen;
	t->flags = 0;
	t->vpid = 0;
	t->vtid = 0;
	t->filename_len = 0;
}

/* The slot a v2 cgroup is registered to, or NULL. */
static __always_inline struct trace_slot *cgroup_slot(__u64 cgid, __u32 *key)
{
	struct trace_slot *s;
	__u32 *slot = bpf_map_lookup_elem(&cgroups, &cgid);

	if (!slot)
		return NULL;
	*key = *slot;
	s = bpf_map_lookup_elem(&slots, key);
	return s && s->cgroup_id ? s : NULL;
}

/* runc exec: a task (or thread group) joining a registered cgroup becomes traced, in phase runtime. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(cgroup_attach_task, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	struct bpf_iter_task it;
	struct task_struct *th;
	struct trace_slot *s;
	__u32 key = 0;

	if (!on_default_hierarchy(dst))
		return 0;
	s = cgroup_slot(dst->kn->id, &key);
	if (!s)
		return 0;
	if (!threadgroup || !bpf_iter_task_new) {
		adopt(task, key, s->gen);
		return 0;
	}
	/* the tracepoint fires once, for the leader, when a whole process moves (cgroup.procs) */
	bpf_iter_task_new(&it, task, BPF_TASK_ITER_PROC_THREADS);
	while ((th = bpf_iter_task_next(&it)))
		adopt(th, key, s->gen);
	bpf_iter_task_destroy(&it);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	struct trace_task *pt = bpf_task_storage_get(&tasks, parent, 0, 0);
	struct trace_task *ct;
	struct trace_fork *r;
	struct trace_slot *s;
	__u32 vpid = 0, vtid = 0, key = 0;
	__u64 seq;
	void *rb;

	if (!pt) {
		/* clone3(CLONE_INTO_CGROUP) puts a child straight into a container's cgroup */
		s = cgroup_slot(child->cgroups->dfl_cgrp->kn->id, &key);
		if (s)
			adopt(child, key, s->gen);
		return 0;
	}
	s = task_slot(pt, parent);
	if (!s)
		return 0;
	/*
	 * runc's nsexec hands the init role down with clone(CLONE_PARENT): the armed
	 * process (stage 0) -> stage 1 -> stage 2, the container's init. Follow it while
	 * in phase runtime, so that TRACE_F_INIT marks the exit of the real init.
	 */
	if (!(pt->flags & TRACE_TASK_WORKLOAD) && parent->tgid == s->init_pid &&
	    child->tgid != parent->tgid && child->real_parent->tgid != parent->tgid)
		s->init_pid = child->tgid;
	task_vids(child, &vpid, &vtid);
	ct = bpf_task_storage_get(&tasks, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ct) {
		/* the child returns from the same clone: its exit record reuses the parent's entry */
		ct->slot = pt->slot;
		ct->gen = pt->gen;
		ct->flags = pt->flags;
		ct->nr = pt->nr;
		ct->ts = pt->ts;
		ct->args[0] = pt->args[0];
		ct->args[1] = pt->args[1];
		ct->args[2] = pt->args[2];
		ct->args[3] = pt->args[3];
		ct->args[4] = pt->args[4];
		ct->args[5] = pt->args[5];
		ct->vpid = vpid;
		ct->vtid = vtid;
		ct->filename_len = 0;
	}
	if (s->interval_ns)
		flush_throttled(s, pt, parent);
	r = reserve(s, pt, sizeof(*r), &rb, &seq);
	if (!r)
		return 0;
	fill_hdr(&r->hdr, TRACE_REC_FORK, child->tgid == parent->tgid ? TRACE_F_THREAD : 0,
		 sizeof(*r), seq, pt, parent);
	r->child_pid = child->tgid;
	r->child_tid = child->pid;
	r->child_vpid = vpid;
	r->child_vtid = vtid;
	submit(rb, r, sizeof(*r));
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	__u64 parent, cgid;
	__u32 *slot;

	if (!on_default_hierarchy(cgrp))
		return 0;
	parent = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
	slot = bpf_map_lookup_elem(&cgroups, &parent);
	if (!slot)
		return 0;
	cgid = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_update_elem(&cgroups, &cgid, slot, BPF_NOEXIST);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	__u64 cgid;

	if (!on_default_hierarchy(cgrp))
		return 0;
	cgid = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_delete_elem(&cgroups, &cgid);
	return 0;
}
