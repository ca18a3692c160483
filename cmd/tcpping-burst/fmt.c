/* SPDX-License-Identifier: MIT */
#include "fmt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void stats_init(struct tstats *s, const struct rto_params *p)
{
	memset(s, 0, sizeof *s);
	histogram_init(&s->rtt, tcpping_buckets, tcpping_nbuckets);
	histogram_init(&s->conn, tcpping_buckets, tcpping_nbuckets);
	s->last_rtt = NAN;
	rto_init(&s->rto, p);
}

static void key(char *buf, size_t len, const struct target *t,
		const char *field)
{
	snprintf(buf, len, "t/%s/%s", t->name, field);
}

static const struct {
	const char *field;
	size_t off;
} counters[] = {
	{"sent", offsetof(struct tstats, sent)},
	{"received", offsetof(struct tstats, received)},
	{"timeouts", offsetof(struct tstats, timeouts)},
	{"dropped", offsetof(struct tstats, dropped)},
	{"late", offsetof(struct tstats, late)},
	{"garbage", offsetof(struct tstats, garbage)},
};
#define NCOUNTERS (sizeof counters / sizeof counters[0])

int stats_load(const struct statefile *st, const struct target *t,
	       const struct rto_params *p, struct tstats *s)
{
	char k[TARGET_NAME_MAX + 32];
	const char *addr, *v;
	double srtt = 0, rttvar = 0, rto = 0;
	uint64_t have = 0;
	int bad = 0;

	stats_init(s, p);
	key(k, sizeof k, t, "address");
	addr = statefile_get(st, k);
	if (!addr)
		return 0;
	if (strcmp(addr, t->address))
		return 1;
	for (size_t i = 0; i < NCOUNTERS; i++) {
		key(k, sizeof k, t, counters[i].field);
		bad |= statefile_get_u64(st, k,
					 (uint64_t *)((char *)s +
						      counters[i].off));
	}
	key(k, sizeof k, t, "rtt_hist");
	v = statefile_get(st, k);
	bad |= !v || histogram_from_string(&s->rtt, v);
	key(k, sizeof k, t, "connect_hist");
	v = statefile_get(st, k);
	bad |= !v || histogram_from_string(&s->conn, v);
	if (bad) {
		stats_init(s, p);
		return 1;
	}
	key(k, sizeof k, t, "last_rtt");
	statefile_get_double(st, k, &s->last_rtt);
	if (!isfinite(s->last_rtt) || s->last_rtt < 0)
		s->last_rtt = NAN; /* an edited file: better absent than wrong */
	/* The RTO is advice, not a counter: if it does not parse the target
	 * simply starts from --timeout again. */
	key(k, sizeof k, t, "srtt");
	bad |= statefile_get_double(st, k, &srtt);
	key(k, sizeof k, t, "rttvar");
	bad |= statefile_get_double(st, k, &rttvar);
	key(k, sizeof k, t, "rto");
	bad |= statefile_get_double(st, k, &rto);
	key(k, sizeof k, t, "rtt_samples");
	bad |= statefile_get_u64(st, k, &have);
	if (!bad)
		rto_restore(&s->rto, p, srtt, rttvar, rto, have > 0);
	return 0;
}

int stats_save(struct statefile *st, const struct target *t,
	       const struct tstats *s)
{
	char k[TARGET_NAME_MAX + 32], h[HISTOGRAM_MAX_BUCKETS * 24 + 64];
	int e = 0;

	key(k, sizeof k, t, "address");
	e |= statefile_set(st, k, t->address);
	for (size_t i = 0; i < NCOUNTERS; i++) {
		key(k, sizeof k, t, counters[i].field);
		e |= statefile_set_u64(
			st, k,
			*(const uint64_t *)((const char *)s + counters[i].off));
	}
	key(k, sizeof k, t, "rtt_hist");
	e |= histogram_to_string(&s->rtt, h, sizeof h);
	e |= statefile_set(st, k, h);
	key(k, sizeof k, t, "connect_hist");
	e |= histogram_to_string(&s->conn, h, sizeof h);
	e |= statefile_set(st, k, h);
	key(k, sizeof k, t, "last_rtt");
	if (isnan(s->last_rtt))
		statefile_del(st, k);
	else
		e |= statefile_set_double(st, k, s->last_rtt);
	key(k, sizeof k, t, "srtt");
	e |= statefile_set_double(st, k, s->rto.srtt);
	key(k, sizeof k, t, "rttvar");
	e |= statefile_set_double(st, k, s->rto.rttvar);
	key(k, sizeof k, t, "rto");
	e |= statefile_set_double(st, k, s->rto.rto);
	key(k, sizeof k, t, "rtt_samples");
	e |= statefile_set_u64(st, k, (uint64_t)s->rto.have_sample);
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
	      const struct tstats *s, enum probe_mode mode)
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
	if (mode == MODE_ECHO)
		e |= promfile_add_histogram(pf, "tcp_echo_rtt_seconds",
					    &s->rtt, "target", tn, "address",
					    ad, NULL);
	else
		e |= promfile_add_histogram(pf, "tcp_connect_duration_seconds",
					    &s->conn, "target", tn, "address",
					    ad, NULL);
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
