// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * clone-parent FIFO DEPTH CMD...: hands over like runc's nsexec: waits for a line on FIFO (so it
 * can be armed first, before any exec), then DEPTH times clone(CLONE_PARENT) and lets the parent
 * exit; the last child execs CMD (test helper).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/sched.h>

int main(int argc, char **argv)
{
	int depth = argc > 3 ? atoi(argv[2]) : -1, fd;
	char c;

	if (depth < 0) {
		fprintf(stderr, "usage: clone-parent FIFO DEPTH CMD...\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &c, 1) != 1) {
		perror("clone-parent: wait on fifo");
		return 1;
	}
	close(fd);
	while (depth-- > 0) {
		long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);

		if (pid < 0) {
			perror("clone-parent: clone");
			return 1;
		}
		if (pid > 0)
			_exit(0);	/* the child carries on, like nsexec's stages */
		usleep(20000);	/* let the parent exit first */
	}
	execv(argv[3], argv + 3);
	perror("clone-parent: execv");
	return 127;
}
