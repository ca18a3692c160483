/* SPDX-License-Identifier: MIT */
#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"
#include "promfile.h"

int route_same_path(const struct mtr_report *a, const struct mtr_report *b)
{
	if (a->nhops != b->nhops)
		return 0;
	for (size_t i = 0; i < a->nhops; i++) {
		const struct mtr_hop *x = &a->hops[i], *y = &b->hops[i];

		if (x->silent || y->silent)
			continue;
		if (x->ttl != y->ttl || strcmp(x->host, y->host))
			return 0;
	}
	return 1;
}

double compute_jitter(const struct mtr_report *prev,
		      const struct mtr_report *cur)
{
	double sum = 0;
	size_t n = 0;

	/* Hops are matched by position (ttl), not by index, so a report
	 * that lost its first hop still compares the rest. */
	for (size_t i = 0; i < cur->nhops; i++) {
		const struct mtr_hop *c = &cur->hops[i];

		for (size_t j = 0; j < prev->nhops; j++) {
			const struct mtr_hop *p = &prev->hops[j];

			if (p->ttl != c->ttl)
				continue;
			if (!p->silent && !c->silent &&
			    !strcmp(p->host, c->host) && p->loss_pct < 100 &&
			    c->loss_pct < 100) {
				sum += fabs(c->avg - p->avg);
				n++;
			}
			break;
		}
	}
	return n ? sum / (double)n : 0;
}

double compute_variance(const int *counts, size_t n)
{
	double mean = 0, var = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		mean += counts[i];
	mean /= (double)n;
	for (size_t i = 0; i < n; i++)
		var += (counts[i] - mean) * (counts[i] - mean);
	return var / (double)n;
}

uint64_t compute_path_id(const struct mtr_report *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < r->nhops; i++) {
		for (const char *p = r->hops[i].host; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 0x100000001b3ULL;
		}
		h ^= '\n';
		h *= 0x100000001b3ULL;
	}
	/* Fold to 48 bits: a gauge is a double, exact up to 2^53. */
	return (h ^ (h >> 48)) & 0xffffffffffffULL;
}

static int same_address(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && !memcmp(x, y, 4);
	if (inet_pton(AF_INET6, a, x) == 1)
		return inet_pton(AF_INET6, b, y) == 1 && !memcmp(x, y, 16);
	return -1; /* a is not an address literal */
}

int compute_reached(const struct mtr_report *r)
{
	const struct mtr_hop *last;
	int same;

	if (r->nhops == 0)
		return 0;
	last = &r->hops[r->nhops - 1];
	if (last->silent || last->loss_pct >= 100)
		return 0;
	same = same_address(r->dst, last->host);
	/* A host name target: mtr stops at the first hop that is the
	 * destination, so an answering last hop is the destination. */
	return same != 0;
}

void compute_route_update(struct route_hist *h, const struct mtr_report *prev,
			  const struct mtr_report *cur, size_t k, double now)
{
	if (k < 1)
		k = 1;
	if (k > ROUTE_HISTORY_MAX)
		k = ROUTE_HISTORY_MAX;
	if (h->n >= k) {
		size_t drop = h->n - k + 1;

		memmove(h->counts, h->counts + drop,
			(h->n - drop) * sizeof h->counts[0]);
		h->n -= drop;
	}
	h->counts[h->n++] = (int)cur->nhops;
	if (!prev) {
		h->changed = 0;
		h->jitter_ms = 0;
		h->last_change = now; /* the path was first seen now */
		return;
	}
	h->changed = !route_same_path(prev, cur);
	if (h->changed) {
		h->changes++;
		h->last_change = now;
	}
	h->jitter_ms = compute_jitter(prev, cur);
}

/* Append s; *off grows, overflow sets *bad (and buf is then unusable).
 * State text is built on every run for every target: by hand, not by
 * snprintf, whose format parsing cost more than the copying. */
static void put(char *buf, size_t len, size_t *off, int *bad, const char *s)
{
	size_t n = strlen(s);

	if (*bad || n >= len - *off) {
		*bad = 1;
		return;
	}
	memcpy(buf + *off, s, n + 1);
	*off += n;
}

/* Append v in decimal (as %llu would; neg: as %d of -v would). */
static void put_u(char *buf, size_t len, size_t *off, int *bad,
		  unsigned long long v, int neg)
{
	char d[24], *p = d + sizeof d;

	*--p = 0;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	if (neg)
		*--p = '-';
	put(buf, len, off, bad, p);
}

static void put_int(char *buf, size_t len, size_t *off, int *bad, int v)
{
	put_u(buf, len, off, bad,
	      v < 0 ? -(unsigned long long)v : (unsigned long long)v, v < 0);
}

int route_hist_encode(const struct route_hist *h, char *buf, size_t len)
{
	char lc[32], jit[32];
	size_t off = 0;
	int bad = 0;

	prom_format_value(h->last_change, lc, sizeof lc);
	prom_format_value(h->jitter_ms, jit, sizeof jit);
	if (len)
		buf[0] = 0;
	put_u(buf, len, &off, &bad, h->changes, 0);
	put(buf, len, &off, &bad, ",");
	put(buf, len, &off, &bad, lc);
	put(buf, len, &off, &bad, h->changed ? ",1," : ",0,");
	put(buf, len, &off, &bad, jit);
	put(buf, len, &off, &bad, ",");
	for (size_t i = 0; i < h->n; i++) {
		if (i)
			put(buf, len, &off, &bad, "/");
		put_int(buf, len, &off, &bad, h->counts[i]);
	}
	if (h->n == 0)
		put(buf, len, &off, &bad, "-");
	if (bad) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

static int parse_dbl(const char *s, char **end, double *out)
{
	errno = 0;
	*out = numtext_strtod(s, end);
	return errno || *end == s || !isfinite(*out) || *out < 0 ? -1 : 0;
}

int route_hist_decode(const char *s, struct route_hist *h)
{
	char *end;
	unsigned long long ch;
	double d;

	memset(h, 0, sizeof *h);
	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	ch = strtoull(s, &end, 10);
	if (errno || *end != ',')
		goto bad;
	h->changes = ch;
	if (parse_dbl(end + 1, &end, &h->last_change) || *end != ',')
		goto bad;
	if ((end[1] != '0' && end[1] != '1') || end[2] != ',')
		goto bad;
	h->changed = end[1] == '1';
	if (parse_dbl(end + 3, &end, &h->jitter_ms) || *end != ',')
		goto bad;
	s = end + 1;
	if (!strcmp(s, "-"))
		return 0;
	for (;;) {
		if (h->n == ROUTE_HISTORY_MAX || *s < '0' || *s > '9' ||
		    parse_dbl(s, &end, &d) || d != floor(d) || d > MTR_MAX_HOPS)
			goto bad;
		h->counts[h->n++] = (int)d;
		if (!*end)
			return 0;
		if (*end != '/')
			goto bad;
		s = end + 1;
	}
bad:
	memset(h, 0, sizeof *h);
	errno = EINVAL;
	return -1;
}

/*
 * A report in state: "dst,tests;ttl,host,loss,sent,last,avg,best,worst,
 * stddev;..." -- ',' between fields, ';' between hops, so the statefile
 * needs no escapes and an operator reads it as it is.  decode_mtr_json
 * admits no ',' or ';' in dst or host.
 */
int route_report_encode(const struct mtr_report *r, char *buf, size_t len)
{
	size_t off = 0;
	int bad = 0;
	char v[32];

	if (strpbrk(r->dst, ",; ")) {
		errno = EINVAL;
		return -1;
	}
	prom_format_value(r->tests, v, sizeof v);
	if (len)
		buf[0] = 0;
	put(buf, len, &off, &bad, r->dst);
	put(buf, len, &off, &bad, ",");
	put(buf, len, &off, &bad, v);
	for (size_t i = 0; i < r->nhops; i++) {
		const struct mtr_hop *p = &r->hops[i];
		const double f[7] = {p->loss_pct, p->sent, p->last, p->avg,
				     p->best,	  p->worst, p->stddev};

		put(buf, len, &off, &bad, ";");
		put_int(buf, len, &off, &bad, p->ttl);
		put(buf, len, &off, &bad, ",");
		put(buf, len, &off, &bad, p->host);
		for (int k = 0; k < 7; k++) {
			prom_format_value(f[k], v, sizeof v);
			put(buf, len, &off, &bad, ",");
			put(buf, len, &off, &bad, v);
		}
	}
	if (bad) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

int route_report_decode(const char *s, struct mtr_report *r)
{
	const char *semi;
	char *end;
	size_t n;

	mtr_report_clear(r);
	n = strcspn(s, ",;");
	if (n == 0 || n >= sizeof r->dst || s[n] != ',')
		goto bad;
	memcpy(r->dst, s, n);
	r->dst[n] = 0;
	if (parse_dbl(s + n + 1, &end, &r->tests))
		goto bad;
	s = end;
	while (*s == ';') {
		struct mtr_hop *p;
		double *f[7];
		double ttl;

		if (r->nhops == MTR_MAX_HOPS)
			goto bad;
		p = &r->hops[r->nhops];
		memset(p, 0, sizeof *p);
		if (parse_dbl(s + 1, &end, &ttl) || ttl < 1 ||
		    ttl > MTR_MAX_HOPS || ttl != floor(ttl) || *end != ',')
			goto bad;
		p->ttl = (int)ttl;
		if (r->nhops && p->ttl <= r->hops[r->nhops - 1].ttl)
			goto bad;
		s = end + 1;
		semi = s + strcspn(s, ",;");
		n = (size_t)(semi - s);
		if (n == 0 || n >= sizeof p->host || *semi != ',')
			goto bad;
		memcpy(p->host, s, n);
		p->host[n] = 0;
		p->silent = !strcmp(p->host, "???");
		s = semi;
		f[0] = &p->loss_pct;
		f[1] = &p->sent;
		f[2] = &p->last;
		f[3] = &p->avg;
		f[4] = &p->best;
		f[5] = &p->worst;
		f[6] = &p->stddev;
		for (int i = 0; i < 7; i++) {
			if (*s != ',' || parse_dbl(s + 1, &end, f[i]))
				goto bad;
			s = end;
		}
		if (p->loss_pct > 100)
			goto bad;
		r->nhops++;
	}
	if (*s)
		goto bad;
	return 0;
bad:
	mtr_report_clear(r);
	errno = EINVAL;
	return -1;
}
