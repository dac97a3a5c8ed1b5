// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench-tool: static helper copied into the benchmark containers (busybox has no ns clock).
 *   bench-tool timeit CMD ARG...   runs CMD, prints "elapsed_ns <ns>" on stderr, exits with its status
 *   bench-tool stat N               N stat("/etc/passwd") (newfstatat: a syscall record with a path)
 *   bench-tool rate R SECS          R raw getppid() per second for SECS seconds (paced every 1 ms
 *                                   from CLOCK_MONOTONIC through the vDSO: no extra syscalls);
 *                                   prints "done <n> <achieved/s>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "timeit")) {
		long long a = now();
		pid_t p = fork();
		if (p == 0) {
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		waitpid(p, &st, 0);
		long long b = now();
		fprintf(stderr, "elapsed_ns %lld\n", b - a);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	if (argc == 4 && !strcmp(argv[1], "rate")) {
		double r = atof(argv[2]), secs = atof(argv[3]);
		long long t0 = now(), end = t0 + (long long)(secs * 1e9), n = 0, t;
		while ((t = now()) < end) {
			long long due = (long long)((t - t0) / 1e9 * r);
			if (n >= due) {	/* ahead of schedule: spin on the vDSO clock (no syscalls) */
				continue;
			}
			long long batch = due - n > 1000 ? 1000 : due - n;
			for (long long i = 0; i < batch; i++)
				syscall(SYS_getppid);
			n += batch;
		}
		printf("done %lld %.0f\n", n, n / ((now() - t0) / 1e9));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "stat")) {
		struct stat st;
		for (long i = atol(argv[2]); i > 0; i--)
			stat("/etc/passwd", &st);
		return 0;
	}
	fprintf(stderr, "usage: bench-tool timeit CMD ARG... | stat N | rate R SECS\n");
	return 2;
}
