/* SPDX-License-Identifier: MIT */
/*
 * tcpping_bench: the references bench/tcpping-burst.sh compares against.
 *
 *   tcpping_bench pingpong PORT COUNT INTERVAL_US
 *       The minimal C ping-pong: one blocking loopback TCP connection to
 *       127.0.0.1:PORT, COUNT 24-byte probes, each sent after the echo of
 *       the previous one and INTERVAL_US of sleep.  Prints
 *       "<median_rtt_us> <cpu_us_per_probe>".
 *   tcpping_bench floor PORT TARGETS COUNT INTERVAL_US fin|rst
 *       The kernel floor of a burst: TARGETS non-blocking connections to
 *       127.0.0.1:PORT (TCP_NODELAY), then COUNT rounds INTERVAL_US apart
 *       in which every connection sends one 24-byte probe and reads its
 *       echo, all through one epoll set (registered once, edge-triggered),
 *       then close (fin: plain close; rst: SO_LINGER 0).  Only the
 *       syscalls a burst cannot do without, nothing measured or kept; run
 *       it under "run" for its whole-process CPU.  Exits 1 unless every
 *       echo came back.
 *   tcpping_bench run CMD [ARGS...]
 *       Runs CMD (stdout and stderr to /dev/null unless TCPPING_BENCH_ERR
 *       names a file for stderr) and prints
 *       "<wall_ms> <user+sys_ms> <max_rss_kb> <exit_status>".
 * Loopback only; built by the bench script with cc -O2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double cpu(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

static int pingpong(int port, int count, long interval_us)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	unsigned char p[24] = "TCPPING", r[24];
	double *rtt = calloc((size_t)count, sizeof *rtt);
	struct timespec gap = {interval_us / 1000000,
			       (interval_us % 1000000) * 1000};
	struct rusage r0, r1;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!rtt || connect(fd, (struct sockaddr *)&a, sizeof a)) {
		perror("pingpong: connect");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	getrusage(RUSAGE_SELF, &r0);
	for (int i = 0; i < count; i++) {
		double t0;
		size_t got = 0;
		uint64_t seq = (uint64_t)i;

		memcpy(p + 8, &seq, 8); /* little-endian host */
		t0 = now();
		if (send(fd, p, sizeof p, 0) != (ssize_t)sizeof p)
			return 1;
		while (got < sizeof r) {
			ssize_t k = recv(fd, r + got, sizeof r - got, 0);
			if (k <= 0)
				return 1;
			got += (size_t)k;
		}
		rtt[i] = now() - t0;
		if (memcmp(p, r, sizeof p))
			return 1;
		if (interval_us)
			nanosleep(&gap, NULL);
	}
	getrusage(RUSAGE_SELF, &r1);
	qsort(rtt, (size_t)count, sizeof *rtt, cmp);
	printf("%.2f %.2f\n", rtt[count / 2] * 1e6,
	       (cpu(&r1) - cpu(&r0)) * 1e6 / count);
	close(fd);
	free(rtt);
	return 0;
}

static int floor_run(int port, int n, int count, long interval_us,
		     int rst)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	struct rlimit rl;
	struct epoll_event ev[256];
	unsigned char p[24] = "TCPPING", r[24 * 4];
	int *fd = calloc((size_t)n, sizeof *fd), one = 1, ep, up = 0;
	struct linger lg = {1, 0};
	double t0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!fd || ep < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
					.data.u32 = (uint32_t)i};
		fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd[i] < 0)
			return 1;
		setsockopt(fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd[i], (struct sockaddr *)&a, sizeof a) &&
		    errno != EINPROGRESS)
			return 1;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &e))
			return 1;
	}
	/* Every connection reports writable once its handshake is done. */
	while (up < n) {
		int k = epoll_wait(ep, ev, 256, 5000);
		if (k <= 0)
			return 1;
		for (int j = 0; j < k; j++)
			up += (ev[j].events & EPOLLOUT) != 0;
	}
	t0 = now();
	for (int c = 0; c < count; c++) {
		int got = 0;

		if (c) {
			double due = t0 + c * (interval_us / 1e6), dt = due - now();
			if (dt > 0) {
				struct timespec ts = {(time_t)dt,
						      (long)((dt - (time_t)dt) * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
		for (int i = 0; i < n; i++)
			if (send(fd[i], p, sizeof p, MSG_NOSIGNAL) != (ssize_t)sizeof p)
				return 1;
		while (got < n) {
			int k = epoll_wait(ep, ev, 256, 5000);
			if (k <= 0)
				return 1;
			for (int j = 0; j < k; j++)
				if ((ev[j].events & EPOLLIN) &&
				    recv(fd[ev[j].data.u32], r, sizeof r, 0) > 0)
					got++;
		}
	}
	for (int i = 0; i < n; i++) {
		if (rst)
			setsockopt(fd[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(fd[i]);
	}
	close(ep);
	free(fd);
	return 0;
}

static int run(char **argv)
{
	posix_spawn_file_actions_t fa;
	const char *errf = getenv("TCPPING_BENCH_ERR");
	struct rusage ru;
	double t0;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errf ? errf : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	t0 = now();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) {
		perror(argv[0]);
		return 1;
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 1;
	printf("%.2f %.2f %ld %d\n", (now() - t0) * 1e3, cpu(&ru) * 1e3,
	       ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "pingpong"))
		return pingpong(atoi(argv[2]), atoi(argv[3]), atol(argv[4]));
	if (argc == 7 && !strcmp(argv[1], "floor"))
		return floor_run(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
				 atol(argv[5]), !strcmp(argv[6], "rst"));
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argv + 2);
	fprintf(stderr, "usage: tcpping_bench pingpong PORT COUNT INTERVAL_US "
			"| floor PORT TARGETS COUNT INTERVAL_US fin|rst "
			"| run CMD [ARGS...]\n");
	return 64;
}
