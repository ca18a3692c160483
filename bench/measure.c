/* SPDX-License-Identifier: MIT */
/*
 * bench-measure: whole-process cost of a command.
 *
 *     bench-measure RUNS CMD [ARGS...]   prints "<median_ms> <max_rss_kb>"
 *
 * A small C launcher, because a child forked from a big interpreter
 * inherits its resident set and ru_maxrss would report the parent's size.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench-measure RUNS CMD [ARGS...]\n");
		return 64;
	}
	int runs = atoi(argv[1]);
	if (runs < 1 || runs > 100000)
		return 64;
	double *w = calloc((size_t)runs, sizeof *w);
	long maxrss = 0;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int i = 0; i < runs; i++) {
		struct timespec a, b;
		struct rusage ru;
		pid_t pid;
		int status;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ)) {
			perror(argv[2]);
			return 1;
		}
		if (wait4(pid, &status, 0, &ru) < 0)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "bench-measure: %s failed\n", argv[2]);
			return 1;
		}
		w[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 +
		       (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	qsort(w, (size_t)runs, sizeof *w, cmp);
	printf("%.3f %ld\n", w[runs / 2], maxrss);
	free(w);
	return 0;
}
