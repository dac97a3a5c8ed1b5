// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trace-reader - test-only consumer: drains a container's pinned ring buffer
 * (or decodes a golden file) and prints one line per record for test.sh.
 *
 *   trace-reader PIN [WAIT_MS]      drain what is there, then keep polling WAIT_MS
 *   trace-reader --file FILE        decode records written by `runc-trace-bpf golden`
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "trace.h"

static const char *const kinds[] = { "?", "SYSCALL", "FORK", "EXEC", "EXIT", "THROTTLE" };

static void put_str(const char *s, size_t n, char sep)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (!c)
			putchar(sep);
		else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static int print_record(void *ctx, void *data, size_t len)
{
	const struct trace_hdr *h = data;

	if (len < sizeof(*h) || h->size > len) {
		printf("BAD len=%zu\n", len);
		return 0;
	}
	printf("%s phase=%s seq=%llu flags=0x%x size=%u pid=%u tid=%u vpid=%u vtid=%u ppid=%u uid=%u gid=%u "
	       "cg=%llu slot=%u comm=%.16s", h->kind <= TRACE_REC_THROTTLE ? kinds[h->kind] : "?",
	       (h->flags & TRACE_F_WORKLOAD) ? "workload" : "runtime",
	       (unsigned long long)h->seq, h->flags, h->size, h->pid, h->tid, h->vpid, h->vtid, h->ppid,
	       h->uid, h->gid, (unsigned long long)h->cgroup_id, h->slot, h->comm);
	switch (h->kind) {
	case TRACE_REC_SYSCALL: {
		const struct trace_syscall *sc = data;

		printf(" nr=%u ret=%lld dur=%llu a0=0x%llx a1=0x%llx a2=0x%llx", sc->nr, (long long)sc->ret,
		       (unsigned long long)sc->dur_ns, (unsigned long long)sc->args[0],
		       (unsigned long long)sc->args[1], (unsigned long long)sc->args[2]);
		if (h->flags & TRACE_F_STRINGS) {
			const struct trace_syscall_strings *ss = data;

			printf(" str0=");
			put_str(ss->str0, sc->str0_len < TRACE_STR0_MAX ? sc->str0_len : TRACE_STR0_MAX, ' ');
			printf(" str1=");
			if (h->flags & TRACE_F_STR1_SOCKADDR) {
				putchar('"');
				for (unsigned i = 0; i < sc->str1_len && i < TRACE_STR1_MAX; i++)
					printf("%02x", (unsigned char)ss->str1[i]);
				putchar('"');
			} else {
				put_str(ss->str1, sc->str1_len < TRACE_STR1_MAX ? sc->str1_len : TRACE_STR1_MAX,
					' ');
			}
		}
		break;
	}
	case TRACE_REC_FORK: {
		const struct trace_fork *f = data;

		printf(" child_pid=%u child_tid=%u child_vpid=%u child_vtid=%u", f->child_pid, f->child_tid,
		       f->child_vpid, f->child_vtid);
		break;
	}
	case TRACE_REC_EXEC: {
		const struct trace_exec *e = data;

		printf(" old_tid=%u filename=", e->old_tid);
		put_str(e->filename, e->filename_len < TRACE_STR0_MAX ? e->filename_len : TRACE_STR0_MAX, ' ');
		break;
	}
	case TRACE_REC_THROTTLE: {
		const struct trace_throttle *t = data;

		if (len < sizeof(*t))
			break;
		printf(" start=%llu end=%llu suppressed=%llu other=%llu rate=%u top=",
		       (unsigned long long)t->start_ns, (unsigned long long)t->end_ns,
		       (unsigned long long)t->suppressed, (unsigned long long)t->other, t->rate_limit);
		for (__u32 i = 0; i < t->ntop && i < TRACE_THROTTLE_TOP; i++)
			printf("%s%u:%u", i ? "," : "", t->top[i].nr, t->top[i].count);
		break;
	}
	case TRACE_REC_EXIT: {
		const struct trace_exit *e = data;

		printf(" exit_code=%d", e->exit_code);
		break;
	}
	}
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb;
	int fd, err, wait_ms;

	if (argc == 3 && !strcmp(argv[1], "--file")) {
		FILE *f = fopen(argv[2], "re");
		static char buf[1 << 16];
		size_t n, off = 0;

		if (!f) {
			fprintf(stderr, "trace-reader: failed to open %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		while (off + sizeof(struct trace_hdr) <= n) {
			const struct trace_hdr *h = (const void *)(buf + off);

			if (h->size < sizeof(*h) || off + h->size > n)
				break;
			print_record(NULL, buf + off, h->size);
			off += h->size;
		}
		return off == n ? 0 : 1;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: trace-reader PIN [WAIT_MS] | --file FILE\n");
		return 2;
	}
	wait_ms = argc > 2 ? atoi(argv[2]) : 0;
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "trace-reader: failed to open ring buffer %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	rb = ring_buffer__new(fd, print_record, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "trace-reader: failed to create ring buffer reader: %s\n", strerror(errno));
		return 1;
	}
	err = ring_buffer__consume(rb);
	while (err >= 0 && wait_ms > 0) {
		err = ring_buffer__poll(rb, wait_ms < 100 ? wait_ms : 100);
		wait_ms -= 100;
	}
	fflush(stdout);
	ring_buffer__free(rb);
	return err < 0 ? 1 : 0;
}
