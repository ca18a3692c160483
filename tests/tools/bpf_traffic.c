/* SPDX-License-Identifier: MIT */
/*
 * bpf-traffic: test and benchmark helper for bpf-snap.  Renames itself
 * (comm) and makes an exact number of connects and sends, so tests can
 * assert exact counts per comm, port and destination; or serves as a
 * local listener for them.  Loopback and test namespaces only: the
 * callers choose the addresses.
 *
 *   bpf-traffic [-n COMM] ACTION HOST PORT COUNT [ARG]
 *     tcp      COUNT connects that must succeed (then close)
 *     tcprst   as tcp, but close with a reset (SO_LINGER 0): no TIME_WAIT
 *              piles up, so long benchmark loops stay comparable
 *     refused  COUNT connects that must fail with ECONNREFUSED
 *     udp      COUNT sendto() on an unconnected socket
 *     udpc     connect(), then COUNT send()
 *     rr       one TCP connect, then COUNT x (send 4 bytes, read 4)
 *     urr      unconnected UDP: COUNT x (sendto 4 bytes, recv 4)
 *     ucrr     connected UDP (as glibc's resolver): connect(), then
 *              COUNT x (send 4 bytes, recv 4)
 *     udpn     one sendto() to each of COUNT ports from PORT up (keys)
 *   bpf-traffic [-n COMM] serve-echo|serve-uecho HOST PORT DELAY_MS
 *     echo every read after DELAY_MS (TCP, or UDP datagrams)
 *   bpf-traffic [-n COMM] serve-sink HOST PORT 0
 *     bind a UDP socket and never read it (a sink without ICMP errors)
 *   bpf-traffic [-n COMM] serve-hold HOST PORT HOLD_MS
 *     listen with backlog 0; once the first connection is queued, accept
 *     nothing for HOLD_MS, then accept and close: while held, a second
 *     connect's SYN is dropped and is retransmitted about 1 s later
 * PORT 0 makes a server bind a port the kernel chooses.
 *   bpf-traffic freeport HOST 0 0
 *     print a TCP port on HOST that nothing listens on (for refusals)
 * A client action prints "ACTION COUNT SECONDS CPU_SECONDS" (wall time
 * of the loop, and the CPU time, user + system, this process spent in it)
 * and exits 0 only if every operation went as the action expects.
 * Servers print "ready PORT" once listening, then serve until killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int resolve(const char *host, int port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)port);
		*len = sizeof *a4;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)port);
		*len = sizeof *a6;
		return AF_INET6;
	}
	fprintf(stderr, "bpf-traffic: %s: not an address\n", host);
	exit(2);
}

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int die(const char *what)
{
	fprintf(stderr, "bpf-traffic: %s: %s\n", what, strerror(errno));
	return 1;
}

static int xfer(int fd, int udp, const struct sockaddr_storage *ss,
		socklen_t len)
{
	char buf[4] = "ping";
	ssize_t n;

	/* ss is NULL for a connected socket. */
	if (ss)
		n = sendto(fd, buf, sizeof buf, 0, (const struct sockaddr *)ss,
			   len);
	else
		n = send(fd, buf, sizeof buf, 0);
	if (n != (ssize_t)sizeof buf)
		return -1;
	for (size_t got = 0; got < sizeof buf; got += (size_t)n) {
		n = recv(fd, buf + got, sizeof buf - got, 0);
		if (n <= 0)
			return -1;
		if (udp)
			break;
	}
	return 0;
}

static int client(const char *act, const char *host, int port, long count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = resolve(host, port, &ss, &len), fd = -1;
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	double t0 = now(), c0 = cpu();
	char b = 'x';

	if (!strcmp(act, "tcp") || !strcmp(act, "tcprst") ||
	    !strcmp(act, "refused")) {
		int want_ok = strcmp(act, "refused") != 0;
		int rst = !strcmp(act, "tcprst");
		struct linger lg = {1, 0};

		for (long i = 0; i < count; i++) {
			int r;

			if ((fd = socket(af, SOCK_STREAM, 0)) < 0)
				return die("socket");
			r = connect(fd, sa, len);
			if (want_ok ? r < 0 : (r == 0 || errno != ECONNREFUSED))
				return die(want_ok ? "connect"
						   : "connect not refused");
			if (rst && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
					      sizeof lg))
				return die("SO_LINGER");
			close(fd);
		}
	} else if (!strcmp(act, "udp") || !strcmp(act, "udpc")) {
		if ((fd = socket(af, SOCK_DGRAM, 0)) < 0)
			return die("socket");
		if (!strcmp(act, "udpc") && connect(fd, sa, len) < 0)
			return die("connect");
		for (long i = 0; i < count; i++) {
			ssize_t n = act[3] ? send(fd, &b, 1, 0)
					   : sendto(fd, &b, 1, 0, sa, len);
			/* A closed local port answers with ICMP, which a
			 * connected socket reports on the next send. */
			if (n != 1 && !(act[3] && errno == ECONNREFUSED))
				return die("send");
		}
	} else if (!strcmp(act, "udpn")) {
		if ((fd = socket(af, SOCK_DGRAM, 0)) < 0)
			return die("socket");
		for (long i = 0; i < count; i++) {
			int p = 1 + (port - 1 + (int)i) % 65535;

			resolve(host, p, &ss, &len);
			if (sendto(fd, &b, 1, 0, sa, len) != 1 &&
			    errno != ECONNREFUSED)
				return die("sendto");
		}
	} else if (!strcmp(act, "rr") || !strcmp(act, "urr") ||
		   !strcmp(act, "ucrr")) {
		int udp = act[0] == 'u';
		int conn = !strcmp(act, "rr") || !strcmp(act, "ucrr");

		if ((fd = socket(af, udp ? SOCK_DGRAM : SOCK_STREAM, 0)) < 0)
			return die("socket");
		if (conn && connect(fd, sa, len) < 0)
			return die("connect");
		for (long i = 0; i < count; i++)
			if (xfer(fd, udp, conn ? NULL : &ss, len) < 0)
				return die("request/response");
	} else {
		fprintf(stderr, "bpf-traffic: %s: unknown action\n", act);
		return 2;
	}
	printf("%s %ld %.9f %.9f\n", act, count, now() - t0, cpu() - c0);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int server(const char *act, const char *host, int port, long ms)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = resolve(host, port, &ss, &len), one = 1;
	int sink = !strcmp(act, "serve-sink");
	int udp = sink || !strcmp(act, "serve-uecho");
	int hold = !strcmp(act, "serve-hold");
	int fd = socket(af, udp ? SOCK_DGRAM : SOCK_STREAM, 0);

	if (fd < 0)
		return die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return die("bind");
	if (!udp && listen(fd, hold ? 0 : 4096) < 0)
		return die("listen");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return die("getsockname");
	printf("ready %u\n",
	       ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				   : ((struct sockaddr_in6 *)&ss)->sin6_port));
	fflush(stdout);
	while (sink)
		pause();
	if (udp) {
		for (;;) {
			char buf[64];
			struct sockaddr_storage peer;
			socklen_t pl = sizeof peer;
			ssize_t n = recvfrom(fd, buf, sizeof buf, 0,
					     (struct sockaddr *)&peer, &pl);

			if (n <= 0)
				continue;
			if (ms)
				msleep(ms);
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer,
			       pl);
		}
	}
	if (hold) {
		/* The hold starts with the first queued connection, so it
		 * does not matter how long the caller took to connect. */
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		msleep(ms);
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);
		char buf[64];
		ssize_t n;

		if (c < 0)
			continue;
		if (hold) {
			close(c);
			continue;
		}
		/* One client at a time is all the tests need. */
		while ((n = recv(c, buf, sizeof buf, 0)) > 0) {
			if (ms)
				msleep(ms);
			if (send(c, buf, (size_t)n, 0) != n)
				break;
		}
		close(c);
	}
}

static int freeport(const char *host)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int af = resolve(host, 0, &ss, &len);
	int fd = socket(af, SOCK_STREAM, 0);

	/* A port the kernel just had free; nothing in a test binds ports
	 * other than through port 0, so it stays free for the test. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return die("freeport");
	printf("%u\n",
	       ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				   : ((struct sockaddr_in6 *)&ss)->sin6_port));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		if (prctl(PR_SET_NAME, argv[2], 0, 0, 0) < 0)
			return die("prctl");
		i = 3;
	}
	if (argc - i != 4) {
		fprintf(stderr,
			"usage: bpf-traffic [-n COMM] ACTION HOST PORT N\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A client that closes first must not kill an echo server. */
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[i], "freeport"))
		return freeport(argv[i + 1]);
	if (!strncmp(argv[i], "serve-", 6))
		return server(argv[i], argv[i + 1], atoi(argv[i + 2]),
			      atol(argv[i + 3]));
	return client(argv[i], argv[i + 1], atoi(argv[i + 2]),
		      atol(argv[i + 3]));
}
