/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "promfile.h"
#include "wire.h"

#define MAX_LISTEN 1024
/* 64 probes of echo in flight per connection; beyond that the peer is not
 * reading and we stop reading from it too. */
#define OUTCAP (64 * WIRE_PROBE_LEN)
#define LISTEN_TAG UINT64_MAX

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct conn {
	int fd;
	unsigned ip; /* index into the per-IP table */
	double last_read, write_since;
	unsigned inlen, outlen;
	int reading;
	uint8_t in[WIRE_PROBE_LEN];
	uint8_t out[OUTCAP];
};

struct ipcount {
	uint8_t addr[16];
	unsigned n;
};

enum close_reason { CL_EOF, CL_INVALID, CL_READ_TIMEOUT, CL_WRITE_TIMEOUT,
		    CL_ERROR, CL_SHUTDOWN, CL_N };
static const char *const close_names[CL_N] = {
	"eof", "invalid", "read_timeout", "write_timeout", "error", "shutdown"};

struct srv {
	const struct server_opts *o;
	int ep, lfd[MAX_LISTEN];
	unsigned nlisten;
	struct conn **conns; /* max_conns slots */
	unsigned open;
	struct ipcount *ips; /* max_conns entries at most */
	unsigned nips;
	uint64_t accepted, rej_max, rej_ip, probes, closed[CL_N];
	double start_wall;
	/* Out of descriptors: the listening sockets stay readable, so they
	 * leave epoll until this time instead of spinning. */
	double paused_until;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void addr_key(const struct sockaddr_storage *ss, uint8_t key[16])
{
	memset(key, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		key[10] = key[11] = 0xff; /* v4-mapped */
		memcpy(key + 12, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		memcpy(key, &s6->sin6_addr, 16);
	}
}

/* Index of addr in the table, added if new; the table never holds more
 * entries than open connections, so it cannot outgrow max_conns. */
static unsigned ip_ref(struct srv *S, const uint8_t key[16])
{
	for (unsigned i = 0; i < S->nips; i++)
		if (!memcmp(S->ips[i].addr, key, 16))
			return i;
	memcpy(S->ips[S->nips].addr, key, 16);
	S->ips[S->nips].n = 0;
	return S->nips++;
}

static void ip_unref(struct srv *S, unsigned i)
{
	if (--S->ips[i].n)
		return;
	/* Move the last entry into the hole and repoint its connections. */
	S->nips--;
	if (i == S->nips)
		return;
	S->ips[i] = S->ips[S->nips];
	for (unsigned k = 0; k < S->o->max_conns; k++)
		if (S->conns[k] && S->conns[k]->ip == S->nips)
			S->conns[k]->ip = i;
}

static void conn_close(struct srv *S, unsigned slot, enum close_reason why)
{
	struct conn *c = S->conns[slot];

	close(c->fd);
	ip_unref(S, c->ip);
	free(c);
	S->conns[slot] = NULL;
	S->open--;
	S->closed[why]++;
}

static int write_stats(struct srv *S)
{
	struct promfile *pf = promfile_new();
	char err[512];
	int e = 0;

	if (!pf)
		return -1;
	e |= promfile_add(pf, "tcpping_echo_connections_accepted_total",
			  (double)S->accepted, NULL);
	e |= promfile_add(pf, "tcpping_echo_connections_rejected_total",
			  (double)S->rej_max, "reason", "max_conns", NULL);
	e |= promfile_add(pf, "tcpping_echo_connections_rejected_total",
			  (double)S->rej_ip, "reason", "per_ip", NULL);
	for (int i = 0; i < CL_N; i++)
		e |= promfile_add(pf, "tcpping_echo_connections_closed_total",
				  (double)S->closed[i], "reason",
				  close_names[i], NULL);
	e |= promfile_add(pf, "tcpping_echo_probes_total", (double)S->probes,
			  NULL);
	e |= promfile_add(pf, "tcpping_echo_open_connections", S->open, NULL);
	e |= promfile_add(pf, "tcpping_echo_start_time_seconds", S->start_wall,
			  NULL);
	e |= promfile_add(pf, "promsnap_build_info", 1, "tool", "tcpping-echo",
			  "version", PROMSNAP_VERSION, NULL);
	if (e) {
		log_err("stats: %s", promfile_error(pf));
	} else if (!strcmp(S->o->stats_path, "-")) {
		e = promfile_write_stream(pf, stdout) || fflush(stdout);
	} else if (promfile_commit(pf, S->o->stats_path, err, sizeof err)) {
		log_err("%s", err);
		e = -1;
	}
	promfile_free(pf);
	return e ? -1 : 0;
}

/* Sockets from systemd socket activation; 0 if none were passed. */
static unsigned listen_fds(int *fds)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	long k;

	if (!pid || !n || strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	k = strtol(n, NULL, 10);
	if (k <= 0)
		return 0;
	if (k > MAX_LISTEN)
		k = MAX_LISTEN;
	for (long i = 0; i < k; i++) {
		fds[i] = 3 + (int)i;
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return (unsigned)k;
}

static int bind_listen(struct srv *S)
{
	const char *a = S->o->listen, *colon, *host = NULL;
	char hbuf[256], pbuf[8];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL, *ai;
	char *end;
	long port;
	int rc, one = 1, zero = 0, fd = -1;

	if (a[0] == '[') {
		const char *cl = strchr(a, ']');
		if (!cl || cl[1] != ':' || (size_t)(cl - a - 1) >= sizeof hbuf)
			goto usage;
		memcpy(hbuf, a + 1, (size_t)(cl - a - 1));
		hbuf[cl - a - 1] = '\0';
		host = hbuf;
		colon = cl + 1;
	} else {
		colon = strrchr(a, ':');
		if (!colon || (size_t)(colon - a) >= sizeof hbuf)
			goto usage;
		if (colon > a) {
			memcpy(hbuf, a, (size_t)(colon - a));
			hbuf[colon - a] = '\0';
			host = hbuf;
		}
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 0 || port > 65535)
		goto usage;
	snprintf(pbuf, sizeof pbuf, "%ld", port);
	if (!host)
		hints.ai_family = AF_INET6; /* dual-stack [::] */
	rc = getaddrinfo(host, pbuf, &hints, &res);
	if (rc && !host) {
		hints.ai_family = AF_UNSPEC;
		rc = getaddrinfo(host, pbuf, &hints, &res);
	}
	if (rc) {
		log_err("--serve %s: %s", a, gai_strerror(rc));
		return 64;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (ai->ai_family == AF_INET6 && !host)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof zero);
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 1024))
			break;
		rc = errno;
		close(fd);
		fd = -1;
		errno = rc;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		int e = errno;
		log_err("--serve %s: cannot listen: %s", a, strerror(e));
		return e == EACCES || e == EPERM ? 77
		       : e == EADDRINUSE	 ? 69
						 : 1;
	}
	S->lfd[S->nlisten++] = fd;
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char h[INET6_ADDRSTRLEN] = "?";
		int p = 0;
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (void *)&ss;
			inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h);
			p = ntohs(s4->sin_port);
			log_info("listening on %s:%d", h, p);
		} else {
			struct sockaddr_in6 *s6 = (void *)&ss;
			inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h);
			p = ntohs(s6->sin6_port);
			log_info("listening on [%s]:%d", h, p);
		}
	}
	return 0;
usage:
	log_err("--serve: expected [ADDR]:PORT, got \"%s\"", a);
	return 64;
}

static void set_events(struct srv *S, unsigned slot, struct conn *c)
{
	struct epoll_event ev = {.data.u64 = slot};

	ev.events = (c->reading ? EPOLLIN : 0) | (c->outlen ? EPOLLOUT : 0) |
		    EPOLLRDHUP;
	epoll_ctl(S->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void listen_ctl(struct srv *S, int op)
{
	for (unsigned i = 0; i < S->nlisten; i++) {
		struct epoll_event e = {.events = EPOLLIN,
					.data.u64 = LISTEN_TAG - i};
		epoll_ctl(S->ep, op, S->lfd[i], &e);
	}
}

static void do_accept(struct srv *S, int lfd)
{
	for (int burst = 0; burst < 256; burst++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		uint8_t key[16];
		unsigned slot, ip;
		struct conn *c;
		int one = 1;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_warn("accept: %s: pausing for 100 ms",
					 strerror(errno));
				listen_ctl(S, EPOLL_CTL_DEL);
				S->paused_until = mono_now() + 0.1;
			}
			return;
		}
		if (S->open >= S->o->max_conns) {
			S->rej_max++;
			close(fd);
			continue;
		}
		addr_key(&ss, key);
		ip = ip_ref(S, key);
		if (S->ips[ip].n >= S->o->max_per_ip) {
			S->rej_ip++;
			close(fd);
			continue;
		}
		c = malloc(sizeof *c);
		if (!c) {
			if (!S->ips[ip].n)
				ip_unref(S, (S->ips[ip].n++, ip));
			close(fd);
			continue;
		}
		for (slot = 0; S->conns[slot]; slot++)
			;
		S->ips[ip].n++;
		c->fd = fd;
		c->ip = ip;
		c->last_read = mono_now();
		c->write_since = 0;
		c->inlen = c->outlen = 0;
		c->reading = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		S->conns[slot] = c;
		S->open++;
		S->accepted++;
		{
			struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
						 .data.u64 = slot};
			if (epoll_ctl(S->ep, EPOLL_CTL_ADD, fd, &ev))
				conn_close(S, slot, CL_ERROR);
		}
	}
}

/* Returns -1 if the connection was closed. */
static int conn_flush(struct srv *S, unsigned slot, struct conn *c)
{
	ssize_t w;

	if (!c->outlen)
		return 0;
	w = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			w = 0;
		else {
			conn_close(S, slot, CL_ERROR);
			return -1;
		}
	}
	if (w) {
		memmove(c->out, c->out + w, c->outlen - (size_t)w);
		c->outlen -= (unsigned)w;
		/* The write deadline restarts whenever the peer takes data. */
		c->write_since = c->outlen ? mono_now() : 0;
	} else if (!c->write_since) {
		c->write_since = mono_now();
	}
	return 0;
}

static void conn_read(struct srv *S, unsigned slot, struct conn *c)
{
	uint8_t buf[OUTCAP];
	int was_reading = c->reading, had_out = c->outlen > 0;

	while (c->reading) {
		/* Never read more than the output buffer can echo. */
		size_t room = OUTCAP - c->outlen - c->inlen;
		ssize_t r;

		if (room < WIRE_PROBE_LEN) {
			c->reading = 0;
			break;
		}
		r = recv(c->fd, buf, room, MSG_DONTWAIT);
		if (r == 0) {
			conn_close(S, slot, CL_EOF);
			return;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			conn_close(S, slot, CL_ERROR);
			return;
		}
		c->last_read = mono_now();
		for (ssize_t i = 0; i < r;) {
			size_t take = WIRE_PROBE_LEN - c->inlen;
			if (take > (size_t)(r - i))
				take = (size_t)(r - i);
			memcpy(c->in + c->inlen, buf + i, take);
			c->inlen += (unsigned)take;
			i += (ssize_t)take;
			if (!wire_prefix_ok(c->in, c->inlen)) {
				conn_close(S, slot, CL_INVALID);
				return;
			}
			if (c->inlen == WIRE_PROBE_LEN) {
				memcpy(c->out + c->outlen, c->in,
				       WIRE_PROBE_LEN);
				c->outlen += WIRE_PROBE_LEN;
				c->inlen = 0;
				S->probes++;
			}
		}
		if (conn_flush(S, slot, c))
			return;
	}
	if (was_reading != c->reading || had_out != (c->outlen > 0))
		set_events(S, slot, c);
}

static void conn_event(struct srv *S, unsigned slot, uint32_t ev)
{
	struct conn *c = S->conns[slot];

	if (!c)
		return;
	if (ev & EPOLLOUT) {
		int had_out = c->outlen > 0, was_reading = c->reading;
		if (conn_flush(S, slot, c))
			return;
		if (!c->reading && OUTCAP - c->outlen - c->inlen >=
					   WIRE_PROBE_LEN)
			c->reading = 1;
		if (had_out != (c->outlen > 0) || was_reading != c->reading)
			set_events(S, slot, c);
	}
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		if (!c->reading && (ev & (EPOLLHUP | EPOLLERR))) {
			conn_close(S, slot, CL_ERROR);
			return;
		}
		conn_read(S, slot, c);
	}
}

static void check_deadlines(struct srv *S, double now)
{
	for (unsigned i = 0; i < S->o->max_conns; i++) {
		struct conn *c = S->conns[i];
		if (!c)
			continue;
		if (c->outlen && c->write_since &&
		    now - c->write_since >= S->o->write_timeout)
			conn_close(S, i, CL_WRITE_TIMEOUT);
		else if (now - c->last_read >= S->o->read_timeout)
			conn_close(S, i, CL_READ_TIMEOUT);
	}
}

int server_run(const struct server_opts *o)
{
	struct srv S = {.o = o, .ep = -1};
	struct epoll_event ev[256];
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, orig;
	double next_stats, next_check, tick;
	int rc = 1;

	S.start_wall = (double)time(NULL);
	S.conns = calloc(o->max_conns, sizeof *S.conns);
	S.ips = calloc(o->max_conns + 1, sizeof *S.ips);
	if (!S.conns || !S.ips) {
		log_err("out of memory");
		goto out;
	}
	{
		struct rlimit rl;
		if (!getrlimit(RLIMIT_NOFILE, &rl) &&
		    rl.rlim_cur < o->max_conns + 64u) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	S.nlisten = listen_fds(S.lfd);
	if (!S.nlisten && (rc = bind_listen(&S)))
		goto out;
	rc = 1;
	S.ep = epoll_create1(EPOLL_CLOEXEC);
	if (S.ep < 0) {
		log_err("epoll_create1: %s", strerror(errno));
		goto out;
	}
	listen_ctl(&S, EPOLL_CTL_ADD);
	/* SIGTERM is blocked except inside the wait, so a signal arriving
	 * between the flag test and the wait cannot be missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	write_stats(&S);
	tick = fmin(0.25, fmin(o->read_timeout, o->write_timeout) / 4);
	next_stats = mono_now() + o->stats_interval;
	next_check = mono_now() + tick;
	while (!stop) {
		double now = mono_now(), dt = fmin(next_stats, next_check) - now;

		if (S.paused_until)
			dt = fmin(dt, S.paused_until - now);
		struct timespec ts;
		int k;

		if (dt < 0)
			dt = 0;
		ts.tv_sec = (time_t)dt;
		ts.tv_nsec = (long)((dt - (double)ts.tv_sec) * 1e9);
		k = epoll_pwait2(S.ep, ev, (int)(sizeof ev / sizeof ev[0]), &ts,
				 &orig);
		if (k < 0 && errno != EINTR) {
			log_err("epoll_pwait2: %s", strerror(errno));
			goto out;
		}
		for (int j = 0; j < k; j++) {
			uint64_t d = ev[j].data.u64;
			if (d > LISTEN_TAG - MAX_LISTEN)
				do_accept(&S, S.lfd[LISTEN_TAG - d]);
			else
				conn_event(&S, (unsigned)d, ev[j].events);
		}
		now = mono_now();
		if (S.paused_until && now >= S.paused_until) {
			S.paused_until = 0;
			listen_ctl(&S, EPOLL_CTL_ADD);
		}
		if (now >= next_check) {
			check_deadlines(&S, now);
			next_check = now + tick;
		}
		if (now >= next_stats) {
			write_stats(&S);
			next_stats = now + o->stats_interval;
		}
	}
	rc = 0;
out:
	for (unsigned i = 0; S.conns && i < o->max_conns; i++)
		if (S.conns[i])
			conn_close(&S, i, CL_SHUTDOWN);
	for (unsigned i = 0; i < S.nlisten; i++)
		close(S.lfd[i]);
	if (S.ep >= 0)
		close(S.ep);
	if (rc == 0 && write_stats(&S))
		rc = 74;
	free(S.conns);
	free(S.ips);
	return rc;
}
