/* SPDX-License-Identifier: MIT */
/*
 * trace_spawn_floor HOST... -- MTR ARG...: the least a wrapper of mtr can
 * do: start `MTR ARG... HOST` for every HOST at once (vfork and exec,
 * stdout and stderr on one pipe each), read every pipe to its end, reap
 * every child, and nothing else: no parsing, no state, no output file.
 * bench/trace-once.sh measures its own CPU time the way it measures
 * trace-once's, as the floor of the "own CPU" figure.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXN 256

int main(int argc, char **argv)
{
	struct pollfd pfd[MAXN];
	pid_t pid[MAXN];
	char buf[65536], *args[64];
	int n = 0, sep = 0, open_fds;
	volatile int na = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			sep = i;
			break;
		}
	if (!sep || sep > MAXN || argc - sep > 60) {
		fprintf(stderr, "usage: trace_spawn_floor HOST... -- MTR ARG...\n");
		return 64;
	}
	for (int i = sep + 1; i < argc; i++)
		args[na++] = argv[i];
	for (int h = 1; h < sep; h++) {
		int p[2];

		if (pipe2(p, O_CLOEXEC))
			return 1;
		args[na] = argv[h];
		args[na + 1] = NULL;
		pid[n] = vfork();
		if (pid[n] == 0) {
			dup2(p[1], 1);
			dup2(p[1], 2);
			execvp(args[0], args);
			_exit(127);
		}
		close(p[1]);
		pfd[n].fd = p[0];
		pfd[n].events = POLLIN;
		n++;
	}
	for (open_fds = n; open_fds > 0;) {
		if (poll(pfd, (nfds_t)n, -1) < 0)
			return 1;
		for (int i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (read(pfd[i].fd, buf, sizeof buf) <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < n; i++)
		waitpid(pid[i], NULL, 0);
	return 0;
}
