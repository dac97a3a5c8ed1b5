// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * naive-tracer CGROUP_DIR OUT: the naive baseline of bench row 2. Loads naive.bpf.c filtered on
 * CGROUP_DIR's cgroup id, epoll-waits on the ring (woken once per record), writes one text line per
 * record to OUT (stdio-buffered). Prints "ready" once attached; SIGINT/SIGTERM: drain, print
 * "records <n>", exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "naive.skel.h"

struct naive_rec { unsigned long long ts, dur; long long ret; unsigned long long args[6]; unsigned pid, tid, nr, pad; char comm[16]; };

static volatile sig_atomic_t stop;
static FILE *out;
static unsigned long long n;
static void on_sig(int s) { stop = 1; }

static int handle(void *ctx, void *data, size_t sz)
{
	const struct naive_rec *r = data;
	fprintf(out, "%llu %u %u %.16s nr=%u ret=%lld dur=%llu args=%llx,%llx,%llx\n", r->ts, r->pid, r->tid, r->comm,
		r->nr, r->ret, r->dur, r->args[0], r->args[1], r->args[2]);
	n++;
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;
	if (argc != 3 || stat(argv[1], &st)) {
		fprintf(stderr, "usage: naive-tracer CGROUP_DIR OUT\n");
		return 2;
	}
	out = fopen(argv[2], "w");
	struct naive_bpf *skel = naive_bpf__open();
	if (!out || !skel) return 1;
	skel->rodata->target_cgroup = st.st_ino;
	if (naive_bpf__load(skel) || naive_bpf__attach(skel)) { fprintf(stderr, "naive-tracer: load/attach failed\n"); return 1; }
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.rb), handle, NULL, NULL);
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		int e = ring_buffer__poll(rb, 100);
		if (e < 0 && e != -EINTR) break;
	}
	ring_buffer__consume(rb);
	fclose(out);
	printf("records %llu\n", n);
	ring_buffer__free(rb);
	naive_bpf__destroy(skel);
	return 0;
}
