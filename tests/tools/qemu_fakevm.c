/* SPDX-License-Identifier: MIT */
/*
 * qemu-fakevm: test helper for qemu-netsnap.  Not QEMU: a process that
 * holds tap devices the way QEMU does and shows a QEMU-like command line,
 * so tests and the benchmark can make many "VMs" cheaply.
 *
 *   qemu-fakevm [--tap NAME[:QUEUES]]... [--send N:SIZE] -- ARGV0 ARG...
 *       Opens the taps (QUEUES > 1: multiqueue, one fd per queue), turns
 *       IPv6 off on them and brings them up, then execs itself with the
 *       given argv, so /proc/<pid>/cmdline reads "ARGV0 ARG..." and the
 *       tap fds are its own.  It then writes N frames of SIZE bytes into
 *       each tap (what a guest would send), prints "ready" on stdout,
 *       reads and discards every frame the host sends (as a running guest
 *       does, which is when the kernel counts them), and exits on SIGTERM
 *       or when its parent dies.
 *   qemu-fakevm --idle N
 *       Forks N children that only sleep (the "other processes" of a busy
 *       host), prints "ready", and waits for SIGTERM (children die with
 *       it).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXFDS 256

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "qemu-fakevm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_queue(const char *name, int multi)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR);

	if (fd < 0)
		die("/dev/net/tun");
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (multi ? IFF_MULTI_QUEUE : 0);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die(name);
	return fd;
}

static void bring_up(const char *name)
{
	char path[128];
	struct ifreq ifr;
	int s, fd;

	/* No IPv6 on the tap: the host would otherwise send router and
	 * multicast listener solicitations into it, and the byte counts
	 * would no longer be exactly what the test sent. */
	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 name);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1\n", 2) != 2)
			die(path);
		close(fd);
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket");
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die("SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die("SIOCSIFFLAGS");
	close(s);
}

static int hold(void)
{
	const char *fds = getenv("QEMU_FAKEVM_FDS");
	const char *send = getenv("QEMU_FAKEVM_SEND");
	struct pollfd pfd[MAXFDS];
	int n = 0;
	long frames = 0, size = 0;
	static char buf[65536];

	char copy[MAXFDS * 8];

	snprintf(copy, sizeof copy, "%s", fds ? fds : "");
	for (char *tok = strtok(copy, ","); tok && n < MAXFDS;
	     tok = strtok(NULL, ",")) {
		pfd[n].fd = atoi(tok);
		pfd[n].events = POLLIN;
		if (pfd[n].fd >= 0)
			fcntl(pfd[n].fd, F_SETFL,
			      fcntl(pfd[n].fd, F_GETFL) | O_NONBLOCK);
		n++;
	}
	if (send && sscanf(send, "%ld:%ld", &frames, &size) == 2 &&
	    size >= 14 && size <= (long)sizeof buf) {
		memset(buf, 0, (size_t)size);
		memset(buf, 0xff, 6); /* broadcast */
		buf[6] = 0x02;	      /* a locally administered source */
		buf[12] = (char)0x88; /* local experimental ethertype */
		buf[13] = (char)0xb5;
		for (int i = 0; i < n; i++)
			for (long k = 0; k < frames; k++)
				if (write(pfd[i].fd, buf, (size_t)size) != size)
					die("write to tap");
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		int k = poll(pfd, (nfds_t)n, 1000);

		if (k < 0 && errno != EINTR)
			die("poll");
		for (int i = 0; k > 0 && i < n; i++)
			if (pfd[i].revents & POLLIN)
				while (read(pfd[i].fd, buf, sizeof buf) > 0)
					;
	}
	return 0;
}

static int idle(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	while (wait(NULL) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	char fdlist[MAXFDS * 8] = "";
	size_t o = 0;
	int i;

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (getenv("QEMU_FAKEVM_FDS"))
		return hold();
	if (argc == 3 && !strcmp(argv[1], "--idle")) {
		/* Own process group so the children are signalled with it. */
		setpgid(0, 0);
		return idle(strtol(argv[2], NULL, 10));
	}
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--tap") && i + 1 < argc) {
			char name[IFNAMSIZ];
			long q = 1;
			char *colon;

			snprintf(name, sizeof name, "%s", argv[++i]);
			colon = strchr(name, ':');
			if (colon) {
				*colon = '\0';
				q = strtol(colon + 1, NULL, 10);
			}
			for (long k = 0; k < q && q <= 16; k++)
				o += (size_t)snprintf(
				    fdlist + o, sizeof fdlist - o, "%s%d",
				    o ? "," : "", open_queue(name, q > 1));
			bring_up(name);
		} else if (!strcmp(argv[i], "--send") && i + 1 < argc) {
			setenv("QEMU_FAKEVM_SEND", argv[++i], 1);
		} else {
			fprintf(stderr,
				"usage: qemu-fakevm [--tap NAME[:Q]]... "
				"[--send N:SIZE] -- ARGV0 ARG...\n"
				"       qemu-fakevm --idle N\n");
			return 64;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "qemu-fakevm: no argv after --\n");
		return 64;
	}
	setenv("QEMU_FAKEVM_FDS", fdlist[0] ? fdlist : "-1", 1);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execv("/proc/self/exe", argv + i + 1);
	die("exec");
	return 1;
}
