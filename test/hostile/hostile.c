/* Hostile workloads the Go workload does not cover (static, copied into the busybox rootfs):
 *   hostile threads N      start N threads that each make one getppid, join them, exit 0
 *   hostile clone3         a child through raw clone3(), then a vfork() child; both getppid, exit 7/8
 *   hostile bpf PATH...    bpf(BPF_MAP_CREATE) of a ring buffer, then bpf(BPF_OBJ_GET) of each PATH;
 *                          prints "bpf <what>: <errno name or ok>" per call, exits 0 only if every
 *                          call failed (a container must not be able to use or reach the tracer)
 */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <linux/sched.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_main(void *arg)
{
	(void)arg;
	syscall(SYS_getppid);
	return NULL;
}

static int threads(int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], &a, thread_main, NULL)) {
			fprintf(stderr, "hostile: failed to create thread %d\n", i);
			return 1;
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("%d threads\n", n);
	return 0;
}

static int clone3_vfork(void)
{
	struct clone_args ca;
	int st;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		perror("hostile: clone3");
		return 1;
	}
	if (pid == 0) {
		syscall(SYS_getppid);
		_exit(7);
	}
	waitpid(pid, &st, 0);
	pid_t v = vfork();
	if (v == 0) {
		syscall(SYS_getppid);
		_exit(8);
	}
	waitpid(v, &st, 0);
	printf("clone3 %ld vfork %d\n", pid, v);
	return 0;
}

static int bpf_call(const char *what, int cmd, union bpf_attr *attr)
{
	long fd = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
	if (fd >= 0) {
		printf("bpf %s: ok\n", what);
		close(fd);
		return 1;
	}
	printf("bpf %s: %s\n", what, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	return 0;
}

static int try_bpf(int n, char **paths)
{
	union bpf_attr attr;
	int opened = 0;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_RINGBUF;
	attr.max_entries = 4096;
	opened += bpf_call("map_create", BPF_MAP_CREATE, &attr);
	for (int i = 0; i < n; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.pathname = (unsigned long)paths[i];
		opened += bpf_call(paths[i], BPF_OBJ_GET, &attr);
	}
	return opened ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "threads"))
		return threads(atoi(argv[2]));
	if (argc >= 2 && !strcmp(argv[1], "clone3"))
		return clone3_vfork();
	if (argc >= 2 && !strcmp(argv[1], "bpf"))
		return try_bpf(argc - 2, argv + 2);
	fprintf(stderr, "usage: hostile threads N | clone3 | bpf PATH...\n");
	return 2;
}
