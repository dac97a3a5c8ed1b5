// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* clone-into-cgroup DIR CMD...: runs CMD as a child created by clone3(CLONE_INTO_CGROUP) in DIR (test helper). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>

int main(int argc, char **argv)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	int status, fd;
	long pid;

	if (argc < 3) {
		fprintf(stderr, "usage: clone-into-cgroup DIR CMD...\n");
		return 2;
	}
	fd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "clone-into-cgroup: failed to open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	args.flags = CLONE_INTO_CGROUP;
	args.cgroup = fd;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0) {
		fprintf(stderr, "clone-into-cgroup: failed to clone3: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execv(argv[2], argv + 2);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	printf("%ld\n", pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
