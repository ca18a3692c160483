/* SPDX-License-Identifier: MIT */
#include "burst.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

enum { ST_IDLE, ST_CONNECTING, ST_UP, ST_DONE };

/* epoll data: target index in the high half, probe index + 1 in the low
 * half for connect mode's per-probe sockets (0: the target's own). */
#define EV_DATA(ti, pi) (((uint64_t)(ti) << 32) | (uint64_t)(pi))

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static void note(struct burst_target *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct burst_target *b, const char *fmt, ...)
{
	va_list ap;

	if (b->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(b->why, sizeof b->why, fmt, ap);
	va_end(ap);
}

/* 1,000 targets need 1,000 sockets; the usual soft limit is 1,024. */
static void raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= want + 64 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static int resolve(struct burst_target *b)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc;

	rc = getaddrinfo(b->t->host, b->t->port, &hints, &res);
	if (rc || !res) {
		note(b, "cannot resolve %s: %s", b->t->host,
		     rc ? gai_strerror(rc) : "no address");
		return -1;
	}
	memcpy(b->sa, res->ai_addr, res->ai_addrlen);
	b->salen = (unsigned)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* A non-blocking socket with connect() started; -1 on failure. */
static int start_connect(struct burst_target *b, int *inprogress)
{
	int one = 1;
	int fd = socket(b->sa->ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		note(b, "socket: %s", strerror(errno));
		return -1;
	}
	/* Probes are tiny and each one must leave at once. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)b->sa, b->salen) == 0) {
		*inprogress = 0;
		return fd;
	}
	if (errno != EINPROGRESS) {
		note(b, "connect: %s", strerror(errno));
		close(fd);
		return -1;
	}
	*inprogress = 1;
	return fd;
}

static int sock_error(int fd)
{
	int e = 0;
	socklen_t l = sizeof e;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l))
		return errno;
	return e;
}

/*
 * The loop keeps the targets that wait for a time (a send or a deadline)
 * in a binary min-heap on that time: each wake-up then visits only the
 * targets that are due, in O(log n) each, where a scan of all of them
 * cost O(n) per wake-up, and with 1,000 targets whose schedules start at
 * slightly different moments there is about one wake-up per probe.  Each
 * entry carries its time beside the target, so a sift compares adjacent
 * memory rather than following a pointer per level (one cache miss each
 * on 1,000 targets, twice per probe).
 */
struct hent {
	double due;
	struct burst_target *b;
};

struct loop {
	int ep;
	struct burst_target *bt;
	size_t n, left;
	const struct burst_opts *o;
	struct hent *heap;
	size_t nheap;
	double grace; /* how late a wake-up for a time may be */
	/* CLOCK_REALTIME - CLOCK_MONOTONIC at the start, in ns: a probe's
	 * Unix timestamp is its monotonic send time plus this, one clock
	 * read per probe instead of two, and steady through the burst. */
	int64_t wall_off;
};

static void heap_set(struct loop *L, size_t i, struct hent e)
{
	L->heap[i] = e;
	e.b->hpos = i + 1;
}

static void heap_up(struct loop *L, size_t i)
{
	struct hent e = L->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (L->heap[p].due <= e.due)
			break;
		heap_set(L, i, L->heap[p]);
		i = p;
	}
	heap_set(L, i, e);
}

static void heap_down(struct loop *L, size_t i)
{
	struct hent e = L->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= L->nheap)
			break;
		if (c + 1 < L->nheap && L->heap[c + 1].due < L->heap[c].due)
			c++;
		if (e.due <= L->heap[c].due)
			break;
		heap_set(L, i, L->heap[c]);
		i = c;
	}
	heap_set(L, i, e);
}

static void heap_remove(struct loop *L, struct burst_target *b)
{
	size_t i = b->hpos - 1;
	struct hent last;

	b->hpos = 0;
	last = L->heap[--L->nheap];
	if (last.b == b)
		return;
	heap_set(L, i, last);
	heap_up(L, i);
	heap_down(L, last.b->hpos - 1);
}

/* Put b in the heap at time t, move it there, or take it out (t is
 * INFINITY: it waits for an event only, or is done). */
static void heap_put(struct loop *L, struct burst_target *b, double t)
{
	size_t i;

	if (t == INFINITY) {
		if (b->hpos)
			heap_remove(L, b);
		return;
	}
	if (!b->hpos) {
		heap_set(L, L->nheap++, (struct hent){t, b});
		heap_up(L, L->nheap - 1);
		return;
	}
	i = b->hpos - 1;
	if (L->heap[i].due == t)
		return;
	L->heap[i].due = t;
	if (i > 0 && t < L->heap[(i - 1) / 2].due)
		heap_up(L, i);
	else
		heap_down(L, i);
}

static void finish(struct loop *L, struct burst_target *b)
{
	if (b->fd >= 0) {
		close(b->fd);
		b->fd = -1;
	}
	b->state = ST_DONE;
	L->left--;
}

static void lost(struct loop *L, struct burst_target *b, const char *why)
{
	note(b, "%s", why);
	session_abort(&b->se);
	b->connected = 0;
	b->dropped++;
	finish(L, b);
}

static double target_deadline(const struct loop *L,
			      const struct burst_target *b)
{
	double t = INFINITY;

	switch (b->state) {
	case ST_CONNECTING:
		return b->conn_deadline;
	case ST_UP:
		if (L->o->mode == MODE_ECHO && b->outlen) {
			/* Sends wait for EPOLLOUT; only deadlines count. */
			for (unsigned i = b->se.first_open; i < b->se.nsent;
			     i++)
				if (b->se.slots[i].state == SLOT_PENDING &&
				    b->se.slots[i].deadline < t)
					t = b->se.slots[i].deadline;
			return t;
		}
		return session_next_deadline(&b->se);
	default:
		return INFINITY;
	}
}

/* After anything happened to b: file it under its next time. */
static void want(struct loop *L, struct burst_target *b)
{
	/* A session whose last probe was just answered is over now, not at
	 * its next time (it has none). */
	if (b->state == ST_UP && session_done(&b->se))
		finish(L, b);
	heap_put(L, b, target_deadline(L, b));
}

/* Echo mode: write what is pending, then every probe that is due. */
static void echo_send(struct loop *L, struct burst_target *b, double now)
{
	while (!b->outlen && session_send_due(&b->se, now)) {
		uint8_t buf[WIRE_PROBE_LEN];
		int64_t t = clock_ns(CLOCK_MONOTONIC);
		ssize_t w;

		session_send(&b->se, (double)t / 1e9,
			     (uint64_t)(t + L->wall_off), buf);
		w = send(b->fd, buf, sizeof buf, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			lost(L, b, errno == EPIPE ? "connection closed"
						  : "connection reset");
			return;
		}
		if (w < (ssize_t)sizeof buf) {
			/* The rest goes when the socket reports room again
			 * (it is registered for EPOLLOUT throughout). */
			size_t done = w > 0 ? (size_t)w : 0;
			b->outlen = (unsigned)(sizeof buf - done);
			memcpy(b->out, buf + done, b->outlen);
		}
	}
}

static void echo_flush(struct loop *L, struct burst_target *b)
{
	ssize_t w = send(b->fd, b->out, b->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (w < 0) {
		lost(L, b, "connection reset");
		return;
	}
	memmove(b->out, b->out + w, b->outlen - (size_t)w);
	b->outlen -= (unsigned)w;
}

/*
 * The socket is edge-triggered: read until the kernel has nothing left.  A
 * read shorter than asked for has emptied the queue, and data that comes
 * later reports itself anew, so that read ends the loop and saves the
 * recv() that would only say EAGAIN; except when the event also reported
 * the peer's end (or an error), which no later event would repeat.
 * Returns the time of the last read, which serves the caller as "now".
 */
static double echo_read(struct loop *L, struct burst_target *b, uint32_t ev)
{
	uint8_t buf[4096];
	double now = 0;

	for (;;) {
		ssize_t r = recv(b->fd, buf + b->inlen, sizeof buf - b->inlen,
				 MSG_DONTWAIT);
		size_t have, off = 0;

		now = mono_now();
		if (r == 0) {
			lost(L, b, "connection closed by peer");
			return now;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return now;
			if (errno == EINTR)
				continue;
			lost(L, b, "connection reset");
			return now;
		}
		memcpy(buf, b->in, b->inlen);
		have = b->inlen + (size_t)r;
		for (; have - off >= WIRE_PROBE_LEN; off += WIRE_PROBE_LEN) {
			double rtt;
			if (session_on_echo(&b->se, buf + off, now, &rtt) ==
			    ECHO_RECEIVED) {
				histogram_observe(&b->stats->hist, rtt);
				/* -vv: every sample, for benchmarks and
				 * debugging (the check is one compare). */
				if (log_verbosity() >= 2)
					log_debug("%s: rtt %.9f", b->t->name,
						  rtt);
			}
		}
		b->inlen = (unsigned)(have - off);
		memcpy(b->in, buf + off, b->inlen);
		if ((size_t)r < sizeof buf - WIRE_PROBE_LEN &&
		    !(ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
			return now;
	}
}

static void echo_connected(struct loop *L, struct burst_target *b,
			   double now)
{
	b->state = ST_UP;
	b->connected = 1;
	/* The schedule starts when the connection is up, so a slow
	 * handshake does not eat into the first probe's time. */
	b->se.start = now;
	echo_send(L, b, now);
}

static void echo_start(struct loop *L, struct burst_target *b, double now)
{
	size_t ti = (size_t)(b - L->bt);
	/* Registered once for everything, edge-triggered: the handshake's
	 * end, echoes and room to write each report themselves, with no
	 * epoll_ctl() as the connection moves from one to the next. */
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
					   EPOLLET,
				 .data.u64 = EV_DATA(ti, 0)};
	int inprogress;

	b->conn_deadline = now + L->o->connect_timeout;
	b->fd = start_connect(b, &inprogress);
	if (b->fd < 0) {
		lost(L, b, "connect failed");
		return;
	}
	if (epoll_ctl(L->ep, EPOLL_CTL_ADD, b->fd, &ev)) {
		lost(L, b, "epoll_ctl failed");
		return;
	}
	b->state = ST_CONNECTING;
	if (!inprogress)
		echo_connected(L, b, mono_now());
}

static void echo_event(struct loop *L, struct burst_target *b, uint32_t ev)
{
	double now = 0;

	if (b->state == ST_CONNECTING) {
		/* Only a failed handshake raises EPOLLERR or EPOLLHUP; a
		 * writable socket without them is connected, and needs no
		 * getsockopt() to say so. */
		int e = ev & (EPOLLERR | EPOLLHUP) ? sock_error(b->fd) : 0;
		if (e) {
			char why[80];
			snprintf(why, sizeof why, "connect: %s", strerror(e));
			lost(L, b, why);
			return;
		}
		if (!(ev & (EPOLLOUT | EPOLLIN)))
			return;
		echo_connected(L, b, mono_now());
		/* The same edge may already carry the peer's end: no later
		 * event would report it again. */
	}
	if (b->state != ST_UP)
		return;
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		now = echo_read(L, b, ev);
	if (b->state == ST_UP && (ev & EPOLLOUT) && b->outlen)
		echo_flush(L, b);
	/* A send that falls due later than the read's time is the deadline
	 * heap's to start. */
	if (b->state == ST_UP)
		echo_send(L, b, now ? now : mono_now());
}

static void echo_timers(struct loop *L, struct burst_target *b, double now)
{
	if (b->state == ST_CONNECTING && now >= b->conn_deadline) {
		lost(L, b, "connect timed out");
		return;
	}
	if (b->state != ST_UP)
		return;
	session_expire(&b->se, now);
	echo_send(L, b, now);
	if (b->state == ST_UP && session_done(&b->se))
		finish(L, b);
}

/* Connect mode: one socket per probe, each probe a handshake. */
/* close() alone takes the socket out of the epoll set: it is the only
 * descriptor of its file (never duplicated, close-on-exec). */
static void conn_close_probe(struct burst_target *b, unsigned i)
{
	if (b->pfd[i] >= 0) {
		close(b->pfd[i]);
		b->pfd[i] = -1;
	}
}

static void conn_send(struct loop *L, struct burst_target *b, double now)
{
	size_t ti = (size_t)(b - L->bt);

	while (session_send_due(&b->se, now)) {
		int inprogress, fd;
		double t = mono_now();
		unsigned i = session_send(&b->se, t, 0, NULL);
		struct epoll_event ev = {.events = EPOLLOUT,
					 .data.u64 = EV_DATA(ti, i + 1)};

		fd = start_connect(b, &inprogress);
		if (fd < 0) {
			session_fail(&b->se, i);
			continue;
		}
		b->pfd[i] = fd;
		if (!inprogress) {
			double rtt;
			if (session_complete(&b->se, i, mono_now(), &rtt) ==
			    ECHO_RECEIVED)
				histogram_observe(&b->stats->hist, rtt);
			conn_close_probe(b, i);
		} else if (epoll_ctl(L->ep, EPOLL_CTL_ADD, fd, &ev)) {
			session_fail(&b->se, i);
			conn_close_probe(b, i);
		}
	}
}

static void conn_event(struct loop *L, struct burst_target *b, unsigned i,
		       uint32_t ev)
{
	double now = mono_now(), rtt;
	int e;

	if (b->state != ST_UP || i >= b->se.nsent || b->pfd[i] < 0)
		return;
	/* Writable without EPOLLERR or EPOLLHUP: the handshake succeeded. */
	e = ev & (EPOLLERR | EPOLLHUP) ? sock_error(b->pfd[i]) : 0;
	if (e) {
		note(b, "connect: %s", strerror(e));
		session_fail(&b->se, i);
	} else if (session_complete(&b->se, i, now, &rtt) == ECHO_RECEIVED) {
		histogram_observe(&b->stats->hist, rtt);
	}
	conn_close_probe(b, i);
	if (session_done(&b->se))
		finish(L, b);
}

static void conn_timers(struct loop *L, struct burst_target *b, double now)
{
	if (b->state != ST_UP)
		return;
	if (session_expire(&b->se, now))
		for (unsigned i = 0; i < b->se.nsent; i++)
			if (b->se.slots[i].state == SLOT_TIMEDOUT)
				conn_close_probe(b, i);
	conn_send(L, b, now);
	if (session_done(&b->se))
		finish(L, b);
}

static int no_pwait2; /* epoll_pwait2 said ENOSYS once */

static int wait_events(int ep, struct epoll_event *ev, int max, double dt)
{
	struct timespec ts;

	if (dt == INFINITY) /* cannot happen while targets are left */
		dt = 1;
	if (dt < 0)
		dt = 0;
	ts.tv_sec = (time_t)dt;
	ts.tv_nsec = (long)((dt - (double)ts.tv_sec) * 1e9);
	/* epoll_pwait2 takes nanoseconds: epoll_wait's milliseconds would
	 * make every sub-millisecond interval a whole millisecond.  Where it
	 * is missing (kernels before 5.11, valgrind), epoll_wait with the
	 * time rounded up: late by under a millisecond, never early. */
	if (!no_pwait2) {
		int k = epoll_pwait2(ep, ev, max, &ts, NULL);

		if (k >= 0 || errno != ENOSYS)
			return k;
		no_pwait2 = 1;
	}
	return epoll_wait(ep, ev, max, (int)ceil(dt * 1e3));
}

int burst_run(struct burst_target *bt, size_t n, const struct burst_opts *o,
	      char *err, size_t errlen)
{
	/* A wake-up for a send or a deadline may come this much late, so
	 * that one wake-up serves every target due within it: 1,000
	 * targets whose schedules start a little apart (each when its
	 * handshake completed) then cost a few dozen wake-ups per round of
	 * probes instead of one or two per target.  RTTs are timed from the
	 * actual send, so they do not change; a probe leaves and a timeout
	 * is called at most 1 ms (or a twentieth of the interval) late. */
	struct loop L = {.bt = bt, .n = n, .left = n, .o = o,
			 .grace = fmin(o->interval / 20, 0.001)};
	struct epoll_event ev[256];
	uint64_t seed = 0;
	int rc = -1;

	raise_nofile(o->mode == MODE_ECHO ? n : 2 * n);
	L.wall_off = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
		seed = (uint64_t)clock_ns(CLOCK_REALTIME);
	L.heap = malloc((n ? n : 1) * sizeof *L.heap);
	if (!L.heap) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	L.ep = epoll_create1(EPOLL_CLOEXEC);
	if (L.ep < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		free(L.heap);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct burst_target *b = &bt[i];
		b->fd = -1;
		b->state = ST_IDLE;
		b->connected = 0;
		b->dropped = 0;
		b->why[0] = '\0';
		b->inlen = b->outlen = 0;
		b->hpos = 0;
		b->slots = calloc(o->count, sizeof *b->slots);
		b->sa = calloc(1, sizeof *b->sa);
		if (o->mode == MODE_CONNECT)
			b->pfd = malloc(o->count * sizeof *b->pfd);
		if (!b->slots || !b->sa ||
		    (o->mode == MODE_CONNECT && !b->pfd)) {
			snprintf(err, errlen, "out of memory");
			errno = ENOMEM;
			goto out;
		}
		for (unsigned k = 0; o->mode == MODE_CONNECT && k < o->count;
		     k++)
			b->pfd[k] = -1;
		/* A fresh random sequence base per target and run: an echo
		 * replayed from an earlier burst cannot match. */
		session_init(&b->se, b->slots, o->count, splitmix64(&seed), 0,
			     o->interval, &b->stats->rto, o->params);
	}
	/* Names are resolved before any probe goes out, so the probes of
	 * all targets leave together. */
	for (size_t i = 0; i < n; i++) {
		if (resolve(&bt[i])) {
			session_abort(&bt[i].se);
			bt[i].dropped = 1;
			bt[i].state = ST_DONE;
			L.left--;
		}
	}
	{
		double now = mono_now();
		for (size_t i = 0; i < n; i++) {
			struct burst_target *b = &bt[i];
			if (b->state == ST_DONE)
				continue;
			if (o->mode == MODE_ECHO) {
				echo_start(&L, b, now);
			} else {
				b->state = ST_UP;
				b->se.start = now;
				conn_send(&L, b, now);
				if (session_done(&b->se))
					finish(&L, b);
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		want(&L, &bt[i]);
	while (L.left) {
		double now = mono_now(), dt;
		int k;

		if (L.nheap && L.heap[0].due <= now) {
			/* At most one visit per target and wake-up, so a target
			 * whose time does not move cannot hold the loop. */
			for (size_t c = 0; c < n && L.nheap &&
					   L.heap[0].due <= now;
			     c++) {
				struct burst_target *b = L.heap[0].b;
				if (o->mode == MODE_ECHO)
					echo_timers(&L, b, now);
				else
					conn_timers(&L, b, now);
				want(&L, b);
			}
			if (!L.left)
				break;
			now = mono_now();
		}
		dt = L.nheap ? L.heap[0].due + L.grace - now : INFINITY;
		k = wait_events(L.ep, ev, (int)(sizeof ev / sizeof ev[0]), dt);
		if (k < 0 && errno != EINTR) {
			snprintf(err, errlen, "epoll_pwait2: %s",
				 strerror(errno));
			goto out;
		}
		for (int j = 0; j < k; j++) {
			size_t ti = (size_t)(ev[j].data.u64 >> 32);
			unsigned pi = (unsigned)(ev[j].data.u64 & 0xffffffffu);
			struct burst_target *b = &bt[ti];
			if (pi == 0)
				echo_event(&L, b, ev[j].events);
			else
				conn_event(&L, b, pi - 1, ev[j].events);
			want(&L, b);
		}
	}
	if (o->mode == MODE_CONNECT)
		for (size_t i = 0; i < n; i++) {
			/* Each refused or failed handshake is a dropped
			 * connection; the gauge says whether any succeeded. */
			bt[i].dropped += bt[i].se.failed;
			bt[i].connected = bt[i].se.received > 0;
		}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		struct burst_target *b = &bt[i];
		if (b->fd >= 0)
			close(b->fd);
		b->fd = -1;
		for (unsigned k = 0; b->pfd && k < b->se.nsent; k++)
			if (b->pfd[k] >= 0)
				close(b->pfd[k]);
		free(b->pfd);
		free(b->sa);
		b->pfd = NULL;
		b->sa = NULL;
		/* slots stay: se points into them for the caller. */
	}
	close(L.ep);
	free(L.heap);
	return rc;
}
