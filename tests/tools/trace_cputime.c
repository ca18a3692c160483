/* SPDX-License-Identifier: MIT */
/*
 * trace_cputime CMD ARGS...: run CMD and print on stderr the CPU time the
 * process itself used from exec to exit, without its children, as
 *     cputime: <ms> ms self, <ms> ms children
 * The process is left a zombie (waitid WNOWAIT) so /proc/PID/schedstat,
 * the scheduler's nanosecond sum of its own run time, can still be read;
 * then it is reaped and its children's total comes from wait4's rusage
 * minus its own.  For bench/trace-once.sh: a tool that runs mtr children
 * is judged on its own cost.  Exits with CMD's exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char path[64];
	unsigned long long ns = 0;
	struct rusage ru;
	siginfo_t si;
	FILE *f;
	pid_t pid;
	int st;
	double all;

	if (argc < 2) {
		fprintf(stderr, "usage: trace_cputime CMD [ARG...]\n");
		return 64;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
		return 1;
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &ns) != 1) {
		fprintf(stderr, "trace_cputime: cannot read %s\n", path);
		return 1;
	}
	fclose(f);
	if (wait4(pid, &st, 0, &ru) < 0)
		return 1;
	all = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	fprintf(stderr, "cputime: %.3f ms self, %.3f ms children\n", ns / 1e6,
		all - ns / 1e6 > 0 ? all - ns / 1e6 : 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
