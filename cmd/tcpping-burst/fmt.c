/* SPDX-License-Identifier: MIT */
#include "fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"

/*
 * 1-2-5 steps from 10 us to 2 s.  The Go daemon started at 100 us; three
 * buckets below that keep loopback and same-rack RTTs (20-90 us) from all
 * landing in the first bucket.
 */
const double tcpping_buckets[] = {
	0.00001, 0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002,
	0.005,	 0.01,	  0.02,	   0.05,   0.1,	   0.2,	   0.5,	  1,
	2,
};
const unsigned tcpping_nbuckets =
	sizeof tcpping_buckets / sizeof tcpping_buckets[0];

void stats_init(struct tstats *s, const struct rto_params *p,
		enum probe_mode mode)
{
	memset(s, 0, sizeof *s);
	s->mode = mode;
	s->fresh = 1;
	histogram_init(&s->hist, tcpping_buckets, tcpping_nbuckets);
	s->last_rtt = NAN;
	rto_init(&s->rto, p);
}

/* "t/<name>/<field>", truncated to len like snprintf; built by hand
 * because a run of 1,000 targets builds 10,000 of them. */
static void key(char *buf, size_t len, const struct target *t,
		const char *field)
{
	const char *parts[3] = {"t/", t->name, "/"};
	size_t o = 0;

	if (!len)
		return;
	for (int i = 0; i < 4; i++) {
		const char *p = i < 3 ? parts[i] : field;
		size_t n = strlen(p);

		if (n > len - 1 - o)
			n = len - 1 - o;
		memcpy(buf + o, p, n);
		o += n;
	}
	buf[o] = '\0';
}

/*
 * Five keys per target keep the state small and quick to sort and write
 * (a thousand targets are 5,000 lines), and still readable:
 *     t/web/address 127.0.0.1:4000
 *     t/web/counters sent=30,received=29,timeouts=1,dropped=0,late=1,garbage=0
 *     t/web/rto srtt=0.0001,rttvar=2e-05,rto=0.05,samples=1,last_rtt=9e-05
 *     t/web/rtt_hist 29,0.0031,0,0,12,...     (count, sum, buckets)
 *     t/web/connect_hist 0,0,0,...
 */
static const char counters_scan[] =
	"sent=%" SCNu64 ",received=%" SCNu64 ",timeouts=%" SCNu64
	",dropped=%" SCNu64 ",late=%" SCNu64 ",garbage=%" SCNu64 "%n";

/*
 * Fast paths for the two scanf formats above, for the text stats_save
 * writes: each field after its exact "name=" is a run of 1..19 digits
 * (counters) or of decimal-number characters read by strtod (rto), ending
 * at the next ',' or the end of the string.  They return -1 for anything
 * else, and the caller then asks sscanf as before; where they succeed
 * sscanf reads the same values (decimal digits only, no spaces, no
 * overflow), at a fifth of the cost: a thousand targets are 2,000 lines.
 */
static int scan_u64_fields(const char *v, const char *const *names,
			   uint64_t *const *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]), d = 0;
		uint64_t x = 0;

		if (strncmp(v, names[i], nl))
			return -1;
		v += nl;
		while (v[d] >= '0' && v[d] <= '9' && d < 20)
			x = x * 10 + (uint64_t)(v[d++] - '0');
		if (d == 0 || d > 19 || v[d] != (i + 1 < n ? ',' : '\0'))
			return -1;
		*out[i] = x;
		v += d + (i + 1 < n);
	}
	return 0;
}

static const char *const counter_names[] = {
	"sent=", "received=", "timeouts=", "dropped=", "late=", "garbage="};

static int scan_counters(const char *v, struct tstats *s)
{
	uint64_t *const out[] = {&s->sent,    &s->received, &s->timeouts,
				 &s->dropped, &s->late,	    &s->garbage};

	return scan_u64_fields(v, counter_names, out, 6);
}

/* The counters line, "sent=%" PRIu64 ",received=..." as printf would
 * write it, by hand (numtext): a thousand targets write 25,000 numbers a
 * run, and snprintf was most of the cost of the state. */
static void fmt_counters(char *buf, const struct tstats *s)
{
	const uint64_t v[] = {s->sent,	  s->received, s->timeouts,
			      s->dropped, s->late,     s->garbage};
	char *p = buf;

	for (size_t i = 0; i < 6; i++) {
		size_t nl = strlen(counter_names[i]);

		if (i)
			*p++ = ',';
		memcpy(p, counter_names[i], nl);
		p += nl;
		p += numtext_u64(p, v[i]);
	}
	*p = '\0';
}

/* A decimal number (digits, '.', exponent, signs) ending at sep. */
static int scan_dbl(const char **v, const char *name, char sep, double *out)
{
	size_t nl = strlen(name), d;
	char *end;

	if (strncmp(*v, name, nl))
		return -1;
	*v += nl;
	d = strspn(*v, "0123456789.eE+-");
	if (d == 0 || (*v)[d] != sep)
		return -1;
	*out = strtod(*v, &end);
	if (end != *v + d)
		return -1;
	*v += d + (sep != '\0');
	return 0;
}

static int scan_rto(const char *v, double *srtt, double *rttvar, double *rto,
		    uint64_t *samples, double *last)
{
	const char *const sn[] = {"samples="};
	uint64_t *const so[] = {samples};
	const char *p;

	if (scan_dbl(&v, "srtt=", ',', srtt) ||
	    scan_dbl(&v, "rttvar=", ',', rttvar) ||
	    scan_dbl(&v, "rto=", ',', rto))
		return -1;
	p = strchr(v, ',');
	if (!p)
		return -1;
	{
		char buf[40];

		if ((size_t)(p - v) >= sizeof buf)
			return -1;
		memcpy(buf, v, (size_t)(p - v));
		buf[p - v] = '\0';
		if (scan_u64_fields(buf, sn, so, 1))
			return -1;
	}
	v = p + 1;
	return scan_dbl(&v, "last_rtt=", '\0', last);
}

/* histogram.h's text ("count sum bucket..." with the sum as %.17g) uses
 * spaces, which the state file would write as %20; commas read better.
 * hist_save writes that text with commas directly, the integers by hand
 * (histogram_to_string takes 18 snprintf calls per histogram); the
 * fixture tests compare it byte for byte and read it back with
 * histogram_from_string. */
static int hist_load(struct histogram *h, const char *v)
{
	char buf[HISTOGRAM_MAX_BUCKETS * 24 + 64];

	if (!v || strlen(v) >= sizeof buf)
		return -1;
	strcpy(buf, v);
	for (char *q = buf; *q; q++) {
		if (*q == ' ')
			return -1;
		if (*q == ',')
			*q = ' ';
	}
	return histogram_from_string(h, buf);
}

static int hist_save(struct statefile *st, const char *k,
		     const struct histogram *h)
{
	/* 20 digits and a comma per number; a %.17g is at most 24 bytes. */
	char buf[(HISTOGRAM_MAX_BUCKETS + 1) * 21 + 32], *p;

	p = buf + numtext_u64(buf, h->count);
	p += snprintf(p, 32, ",%.17g", h->sum);
	for (unsigned i = 0; i < h->n && i < HISTOGRAM_MAX_BUCKETS; i++) {
		*p++ = ',';
		p += numtext_u64(p, h->bucket[i]);
	}
	*p = '\0';
	return statefile_set(st, k, buf);
}

static const char *hist_key(enum probe_mode mode, int other)
{
	return (mode == MODE_ECHO) != !!other ? "rtt_hist" : "connect_hist";
}

int stats_load(const struct statefile *st, const struct target *t,
	       const struct rto_params *p, enum probe_mode mode,
	       struct tstats *s)
{
	char k[TARGET_NAME_MAX + 32];
	const char *addr, *v;
	double srtt, rttvar, rto, last;
	uint64_t samples;
	int n = -1;

	stats_init(s, p, mode);
	key(k, sizeof k, t, "address");
	addr = statefile_get(st, k);
	if (!addr)
		return 0;
	if (strcmp(addr, t->address))
		return 1;
	key(k, sizeof k, t, "counters");
	v = statefile_get(st, k);
	if (!v ||
	    (scan_counters(v, s) &&
	     (sscanf(v, counters_scan, &s->sent, &s->received, &s->timeouts,
		     &s->dropped, &s->late, &s->garbage, &n) != 6 ||
	      v[n] != '\0')))
		goto reset;
	key(k, sizeof k, t, hist_key(mode, 0));
	if (hist_load(&s->hist, statefile_get(st, k)))
		goto reset;
	/* The other mode's histogram is only checked for presence: it is
	 * parsed, and reset if broken, when that mode runs. */
	key(k, sizeof k, t, hist_key(mode, 1));
	if (!statefile_get(st, k))
		goto reset;
	s->fresh = 0;
	/* The RTO is advice, not a counter: if it does not parse the target
	 * simply starts from --timeout again. */
	key(k, sizeof k, t, "rto");
	v = statefile_get(st, k);
	n = -1;
	if (v && (scan_rto(v, &srtt, &rttvar, &rto, &samples, &last) == 0 ||
		  (sscanf(v,
			  "srtt=%lg,rttvar=%lg,rto=%lg,samples=%" SCNu64
			  ",last_rtt=%lg%n",
			  &srtt, &rttvar, &rto, &samples, &last, &n) == 5 &&
		   v[n] == '\0'))) {
		rto_restore(&s->rto, p, srtt, rttvar, rto, samples > 0);
		/* An edited file: better absent than wrong. */
		s->last_rtt = isfinite(last) && last >= 0 ? last : NAN;
	}
	return 0;
reset:
	stats_init(s, p, mode);
	return 1;
}

int stats_save(struct statefile *st, const struct target *t,
	       const struct tstats *s)
{
	char k[TARGET_NAME_MAX + 32];
	/* Six names and six numbers of at most 20 digits. */
	char c[6 * (sizeof "received=" + 20)];
	int e = 0;

	key(k, sizeof k, t, "address");
	e |= statefile_set(st, k, t->address);
	key(k, sizeof k, t, "counters");
	fmt_counters(c, s);
	e |= statefile_set(st, k, c);
	key(k, sizeof k, t, "rto");
	e |= statefile_setf(st, k,
			    "srtt=%.17g,rttvar=%.17g,rto=%.17g,samples=%d,"
			    "last_rtt=%.17g",
			    s->rto.srtt, s->rto.rttvar, s->rto.rto,
			    s->rto.have_sample, s->last_rtt);
	key(k, sizeof k, t, hist_key(s->mode, 0));
	e |= hist_save(st, k, &s->hist);
	/* A new or reset target starts the other histogram empty too; an
	 * existing one keeps what it has. */
	key(k, sizeof k, t, hist_key(s->mode, 1));
	if (s->fresh || !statefile_get(st, k)) {
		struct histogram empty;
		histogram_init(&empty, tcpping_buckets, tcpping_nbuckets);
		e |= hist_save(st, k, &empty);
	}
	return e ? -1 : 0;
}

void stats_add_burst(struct tstats *s, const struct session *se,
		     int connected, unsigned dropped)
{
	s->sent += se->nsent;
	s->received += se->received;
	s->timeouts += se->timeouts;
	s->late += se->late;
	s->garbage += se->garbage;
	s->dropped += dropped;
	s->connected = connected;
	s->loss = session_loss_ratio(se);
	if (se->received)
		s->last_rtt = se->last_rtt;
}

int stats_fmt(struct promfile *pf, const struct target *t,
	      const struct tstats *s)
{
	const char *tn = t->name, *ad = t->address;
	int e = 0;

	e |= promfile_add(pf, "tcp_echo_sent_total", (double)s->sent,
			  "target", tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_received_total", (double)s->received,
			  "target", tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_timeouts_total", (double)s->timeouts,
			  "target", tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_dropped_total", (double)s->dropped,
			  "target", tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_late_total", (double)s->late,
			  "target", tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_garbage_total", (double)s->garbage,
			  "target", tn, "address", ad, NULL);
	e |= promfile_add_histogram(pf,
				    s->mode == MODE_ECHO
					    ? "tcp_echo_rtt_seconds"
					    : "tcp_connect_duration_seconds",
				    &s->hist, "target", tn, "address", ad,
				    NULL);
	if (!isnan(s->last_rtt))
		e |= promfile_add(pf, "tcp_echo_last_rtt_seconds", s->last_rtt,
				  "target", tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_connected", s->connected, "target",
			  tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_estimated_timeout_seconds",
			  s->rto.rto, "target", tn, "address", ad, NULL);
	e |= promfile_add(pf, "tcp_echo_burst_loss_ratio", s->loss, "target",
			  tn, "address", ad, NULL);
	return e ? -1 : 0;
}

struct prune_ctx {
	const char **names; /* sorted */
	size_t n;
	struct statefile *st;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int prune_one(const char *k, const char *v, void *arg)
{
	struct prune_ctx *c = arg;
	const char *name = k + 2, *slash = strrchr(k, '/');
	char buf[TARGET_NAME_MAX + 1];
	const char *p = buf;
	size_t len;

	(void)v;
	if (slash < name)
		return statefile_del(c->st, k) < 0 ? -1 : 0;
	len = (size_t)(slash - name);
	if (len <= TARGET_NAME_MAX) {
		memcpy(buf, name, len);
		buf[len] = '\0';
		if (bsearch(&p, c->names, c->n, sizeof *c->names, cmp_name))
			return 0;
	}
	return statefile_del(c->st, k) < 0 ? -1 : 0;
}

int stats_prune(struct statefile *st, const struct target_list *l)
{
	struct prune_ctx c = {.n = l->n, .st = st};
	int rc;

	c.names = malloc((l->n ? l->n : 1) * sizeof *c.names);
	if (!c.names)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		c.names[i] = l->v[i].name;
	qsort(c.names, c.n, sizeof *c.names, cmp_name);
	rc = statefile_foreach(st, "t/", prune_one, &c);
	free(c.names);
	return rc ? -1 : 0;
}

void summary_fmt(char *buf, size_t len, const struct target *t,
		 const struct session *se, int connected)
{
	int k = snprintf(buf, len,
			 "--- %s (%s) tcpping statistics ---\n"
			 "%u probes sent, %u received, %.1f%% loss",
			 t->name, t->address, se->nsent, se->received,
			 100 * session_loss_ratio(se));
	size_t off = k < 0 ? 0 : (size_t)k;

	if (off >= len)
		return;
	if (se->late || se->garbage)
		off += (size_t)snprintf(buf + off, len - off,
					", %u late, %u garbage", se->late,
					se->garbage);
	if (off >= len)
		return;
	if (!connected)
		off += (size_t)snprintf(buf + off, len - off,
					", connection failed or lost");
	if (off >= len)
		return;
	if (se->received) {
		double n = se->received, avg = se->rtt_sum / n;
		double var = se->rtt_sumsq / n - avg * avg;
		snprintf(buf + off, len - off,
			 "\nrtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n",
			 se->rtt_min * 1e3, avg * 1e3, se->rtt_max * 1e3,
			 sqrt(var > 0 ? var : 0) * 1e3);
	} else {
		snprintf(buf + off, len - off, "\n");
	}
}
