/* SPDX-License-Identifier: MIT */
/*
 * tcpping_delay_relay: a loopback TCP relay that holds every segment going
 * from the client to the server for a fixed time, so a test can inject a
 * known delay (this kernel has no netem).  Answers pass back at once, so
 * the round trip grows by exactly DELAY.
 *
 *     tcpping_delay_relay UPSTREAM_PORT DELAY_MS
 * listens on 127.0.0.1, an ephemeral port printed as "port N" on stdout,
 * relays to 127.0.0.1:UPSTREAM_PORT; up to 16 connections; runs until
 * killed.  Test-only: loopback in and out, bounded buffers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXPAIRS 16
#define QLEN 256
#define CHUNK 2048

struct chunk {
	double release;
	size_t len;
	unsigned char data[CHUNK];
};

struct pair {
	int c, s; /* client side, server side; -1 when free */
	struct chunk q[QLEN];
	unsigned head, n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void drop(struct pair *p)
{
	close(p->c);
	close(p->s);
	p->c = p->s = -1;
	p->n = 0;
}

int main(int argc, char **argv)
{
	static struct pair pairs[MAXPAIRS];
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof a;
	int lfd, one = 1, up;
	double delay;

	if (argc != 3) {
		fprintf(stderr, "usage: %s UPSTREAM_PORT DELAY_MS\n", argv[0]);
		return 64;
	}
	up = atoi(argv[1]);
	delay = atof(argv[2]) / 1000;
	for (int i = 0; i < MAXPAIRS; i++)
		pairs[i].c = pairs[i].s = -1;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 16) ||
	    getsockname(lfd, (struct sockaddr *)&a, &al)) {
		perror("relay: listen");
		return 1;
	}
	printf("port %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		struct pollfd pf[1 + 2 * MAXPAIRS];
		int np = 1, idx[1 + 2 * MAXPAIRS];
		double t = now(), next = t + 1;
		struct timespec ts;

		/* Release what is due, in order. */
		for (int i = 0; i < MAXPAIRS; i++) {
			struct pair *p = &pairs[i];
			while (p->c >= 0 && p->n && p->q[p->head].release <= t) {
				struct chunk *ch = &p->q[p->head];
				if (send(p->s, ch->data, ch->len, MSG_NOSIGNAL) !=
				    (ssize_t)ch->len) {
					drop(p);
					break;
				}
				p->head = (p->head + 1) % QLEN;
				p->n--;
			}
			if (p->c >= 0 && p->n && p->q[p->head].release < next)
				next = p->q[p->head].release;
		}
		pf[0].fd = lfd;
		pf[0].events = POLLIN;
		for (int i = 0; i < MAXPAIRS; i++) {
			if (pairs[i].c < 0)
				continue;
			/* Stop reading the client while the queue is full. */
			pf[np].fd = pairs[i].n < QLEN ? pairs[i].c : -1;
			pf[np].events = POLLIN;
			idx[np++] = i;
			pf[np].fd = pairs[i].s;
			pf[np].events = POLLIN;
			idx[np++] = i;
		}
		t = next - now();
		if (t < 0)
			t = 0;
		ts.tv_sec = (time_t)t;
		ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
		if (ppoll(pf, (nfds_t)np, &ts, NULL) < 0 && errno != EINTR)
			return 1;
		if (pf[0].revents & POLLIN) {
			int c = accept(lfd, NULL, NULL), s, k;
			struct sockaddr_in u = {.sin_family = AF_INET,
						.sin_port = htons((uint16_t)up)};
			u.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			for (k = 0; k < MAXPAIRS && pairs[k].c >= 0; k++)
				;
			s = socket(AF_INET, SOCK_STREAM, 0);
			if (c < 0 || k == MAXPAIRS ||
			    connect(s, (struct sockaddr *)&u, sizeof u)) {
				close(c);
				close(s);
			} else {
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof one);
				setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof one);
				pairs[k].c = c;
				pairs[k].s = s;
				pairs[k].head = pairs[k].n = 0;
			}
		}
		for (int j = 1; j < np; j++) {
			struct pair *p = &pairs[idx[j]];
			unsigned char buf[CHUNK];
			ssize_t r;

			if (!pf[j].revents || p->c < 0)
				continue;
			r = read(pf[j].fd, buf, sizeof buf);
			if (r <= 0) {
				drop(p);
				continue;
			}
			if (pf[j].fd == p->c) {
				struct chunk *ch =
					&p->q[(p->head + p->n) % QLEN];
				ch->release = now() + delay;
				ch->len = (size_t)r;
				memcpy(ch->data, buf, (size_t)r);
				p->n++;
			} else if (send(p->c, buf, (size_t)r, MSG_NOSIGNAL) !=
				   r) {
				drop(p);
			}
		}
	}
}
