/* SPDX-License-Identifier: MIT */
#include "tstate.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promfile.h"

static const char *key(char *buf, size_t len, const char *kind,
		       const char *name)
{
	snprintf(buf, len, "%s/%s", kind, name);
	return buf;
}

static const char *sent_key(char *buf, size_t len, const char *name,
			    const struct mtr_hop *h)
{
	snprintf(buf, len, "sent/%s/%d/%s", name, h->ttl, h->host);
	return buf;
}

void tstate_load(const struct statefile *st, const char *name,
		 struct tstate *ts)
{
	char k[TCONFIG_KEY_MAX];
	const char *v;

	memset(ts, 0, sizeof *ts);
	ts->last_run = -1;
	if (statefile_get_double(st, key(k, sizeof k, "last", name),
				 &ts->last_run) < 0 &&
	    statefile_get(st, k))
		ts->damaged = 1;
	if (!isfinite(ts->last_run))
		ts->last_run = -1;
	v = statefile_get(st, key(k, sizeof k, "result", name));
	if (v) {
		char res[32], dur[32];

		if (sscanf(v, "%31[^,],%31s", res, dur) == 2) {
			for (int i = 0; i < TRACE_NRESULTS; i++)
				if (!strcmp(res, trace_result_name(i))) {
					ts->result = i;
					ts->have_result = 1;
				}
			if (strcmp(dur, "-")) {
				char *end;

				ts->duration_ms = strtod(dur, &end);
				ts->have_duration =
				    !*end && isfinite(ts->duration_ms);
			}
		}
		if (!ts->have_result)
			ts->damaged = 1;
	}
	v = statefile_get(st, key(k, sizeof k, "runs", name));
	if (v) {
		unsigned long long r[TRACE_NRESULTS];
		char extra;

		if (sscanf(v, "%llu,%llu,%llu,%llu%c", &r[0], &r[1], &r[2],
			   &r[3], &extra) == 4) {
			for (int i = 0; i < TRACE_NRESULTS; i++)
				ts->runs[i] = r[i];
		} else {
			ts->damaged = 1;
		}
	}
	v = statefile_get(st, key(k, sizeof k, "report", name));
	if (v) {
		if (route_report_decode(v, &ts->rep) == 0)
			ts->have_report = 1;
		else
			ts->damaged = 1;
	}
	v = statefile_get(st, key(k, sizeof k, "hist", name));
	if (v) {
		if (route_hist_decode(v, &ts->hist) == 0)
			ts->have_hist = 1;
		else
			ts->damaged = 1;
	}
}

struct sent_entry {
	char *key;
	double seen;
};

struct prune_ctx {
	struct statefile *st;
	double now;
	struct sent_entry *kept;
	size_t n, cap;
	int oom;
};

/* Drops expired or unreadable sent/ entries, remembers the rest. */
static int prune_sent(const char *k, const char *v, void *arg)
{
	struct prune_ctx *p = arg;
	double total, seen;
	char extra;

	if (sscanf(v, "%lf,%lf%c", &total, &seen, &extra) != 2 ||
	    p->now - seen > TSTATE_SENT_EXPIRE) {
		statefile_del(p->st, k);
		return 0;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct sent_entry *e = realloc(p->kept, cap * sizeof *e);

		if (!e) {
			p->oom = 1;
			return 0;
		}
		p->kept = e;
		p->cap = cap;
	}
	p->kept[p->n].key = strdup(k);
	if (!p->kept[p->n].key) {
		p->oom = 1;
		return 0;
	}
	p->kept[p->n++].seen = seen;
	return 0;
}

static int by_seen(const void *a, const void *b)
{
	const struct sent_entry *x = a, *y = b;

	return (x->seen > y->seen) - (x->seen < y->seen);
}

/*
 * Expire a target's sent/ entries, and keep at most TSTATE_SENT_MAX of
 * them: hop addresses come from the network, and a path that flaps over
 * many addresses must not grow the state without bound.  The entries
 * seen longest ago go first.
 */
static void prune_target_sent(struct statefile *st, const char *name,
			      double now)
{
	struct prune_ctx pc = {st, now, NULL, 0, 0, 0};
	char prefix[TCONFIG_KEY_MAX];

	snprintf(prefix, sizeof prefix, "sent/%s/", name);
	statefile_foreach(st, prefix, prune_sent, &pc);
	if (pc.n > TSTATE_SENT_MAX && !pc.oom) {
		qsort(pc.kept, pc.n, sizeof pc.kept[0], by_seen);
		for (size_t i = 0; i < pc.n - TSTATE_SENT_MAX; i++)
			statefile_del(st, pc.kept[i].key);
	}
	for (size_t i = 0; i < pc.n; i++)
		free(pc.kept[i].key);
	free(pc.kept);
}

int tstate_record(struct statefile *st, const char *name, struct tstate *ts,
		  enum trace_result res, const struct mtr_report *rep,
		  int have_duration, double duration_ms, int history,
		  double now, double slot)
{
	char k[TCONFIG_KEY_MAX], v[64], d[32];
	int e = 0;

	ts->runs[res]++;
	ts->result = res;
	ts->have_result = 1;
	ts->have_duration = have_duration;
	ts->duration_ms = duration_ms;
	if (have_duration)
		route_value_fmt(duration_ms, d, sizeof d);
	else
		strcpy(d, "-");
	snprintf(v, sizeof v, "%s,%s", trace_result_name(res), d);
	e |= statefile_set(st, key(k, sizeof k, "result", name), v);
	snprintf(
	    v, sizeof v, "%llu,%llu,%llu,%llu", (unsigned long long)ts->runs[0],
	    (unsigned long long)ts->runs[1], (unsigned long long)ts->runs[2],
	    (unsigned long long)ts->runs[3]);
	e |= statefile_set(st, key(k, sizeof k, "runs", name), v);
	if (slot >= 0) {
		ts->last_run = slot;
		e |= statefile_set_double(st, key(k, sizeof k, "last", name),
					  slot);
	}
	if (res == TRACE_OK && rep) {
		char *buf = malloc(ROUTE_REPORT_TEXT_MAX);
		char hb[ROUTE_HISTORY_MAX * 4 + 128];

		if (!buf)
			return -1;
		if (!ts->have_hist)
			memset(&ts->hist, 0, sizeof ts->hist);
		compute_route_update(&ts->hist,
				     ts->have_report ? &ts->rep : NULL, rep,
				     (size_t)history, now);
		ts->have_hist = 1;
		if (route_hist_encode(&ts->hist, hb, sizeof hb) == 0)
			e |= statefile_set(st, key(k, sizeof k, "hist", name),
					   hb);
		if (route_report_encode(rep, buf, ROUTE_REPORT_TEXT_MAX) == 0)
			e |= statefile_set(st, key(k, sizeof k, "report", name),
					   buf);
		free(buf);
		if (&ts->rep != rep)
			ts->rep = *rep;
		ts->have_report = 1;
		char sv[32];

		/* The same time for every hop: formatted once. */
		route_value_fmt(now, sv, sizeof sv);
		for (size_t i = 0; i < rep->nhops; i++) {
			const struct mtr_hop *h = &rep->hops[i];
			double total = 0, seen;
			const char *old;
			char nv[80], tv[32];

			sent_key(k, sizeof k, name, h);
			old = statefile_get(st, k);
			if (old && sscanf(old, "%lf,%lf", &total, &seen) != 2)
				total = 0;
			if (!isfinite(total) || total < 0)
				total = 0;
			total += h->sent;
			route_value_fmt(total, tv, sizeof tv);
			snprintf(nv, sizeof nv, "%s,%s", tv, sv);
			e |= statefile_set(st, k, nv);
		}
		prune_target_sent(st, name, now);
	}
	return e ? -1 : 0;
}

void tstate_sent(const struct statefile *st, const char *name,
		 const struct mtr_report *rep, double *out)
{
	char k[TCONFIG_KEY_MAX];

	for (size_t i = 0; i < rep->nhops; i++) {
		const char *v = statefile_get(
		    st, sent_key(k, sizeof k, name, &rep->hops[i]));
		double total = 0, seen;

		if (!v || sscanf(v, "%lf,%lf", &total, &seen) != 2 ||
		    !isfinite(total) || total < 0)
			total = rep->hops[i].sent;
		out[i] = total;
	}
}

void tstate_view(const struct statefile *st, const char *name,
		 const struct tstate *ts, const struct asn_db *db,
		 struct asn_info *asn, double *sent, int legacy,
		 struct trace_view *v)
{
	memset(v, 0, sizeof *v);
	v->target = name;
	v->success =
	    ts->have_result && ts->result == TRACE_OK && ts->have_report;
	v->rep = ts->have_report ? &ts->rep : NULL;
	if (v->rep) {
		for (size_t i = 0; i < v->rep->nhops; i++)
			asn_lookup(db, v->rep->hops[i].host, &asn[i]);
		if (st)
			tstate_sent(st, name, v->rep, sent);
		else
			for (size_t i = 0; i < v->rep->nhops; i++)
				sent[i] = v->rep->hops[i].sent;
		v->path_id = compute_path_id(v->rep);
	}
	v->asn = asn;
	v->sent_total = sent;
	v->have_duration = ts->have_duration;
	v->duration_ms = ts->duration_ms;
	v->have_runs = ts->have_result;
	memcpy(v->runs, ts->runs, sizeof v->runs);
	v->hist = ts->have_hist ? &ts->hist : NULL;
	v->legacy = legacy;
}

struct prune_targets_ctx {
	struct statefile *st;
	const char *const *names;
	size_t n, pruned;
	double now;
};

static int del_entry(const char *k, const char *v, void *arg)
{
	(void)v;
	statefile_del(arg, k);
	return 0;
}

static int prune_target(const char *k, const char *v, void *arg)
{
	struct prune_targets_ctx *p = arg;
	const char *name = k + strlen("runs/");
	static const char *const kinds[] = {"last", "result", "runs", "report",
					    "hist"};
	char key_buf[TCONFIG_KEY_MAX];
	double last = 0;

	(void)v;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->names[i], name))
			return 0;
	statefile_get_double(p->st, key(key_buf, sizeof key_buf, "last", name),
			     &last);
	if (p->now - last <= TSTATE_TARGET_EXPIRE)
		return 0;
	snprintf(key_buf, sizeof key_buf, "sent/%s/", name);
	statefile_foreach(p->st, key_buf, del_entry, p->st);
	/* name points into the walk's own copy of the key: safe to
	 * delete the entries themselves. */
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		statefile_del(p->st,
			      key(key_buf, sizeof key_buf, kinds[i], name));
	p->pruned++;
	return 0;
}

size_t tstate_prune_targets(struct statefile *st, const char *const *names,
			    size_t n, double now)
{
	struct prune_targets_ctx p = {st, names, n, 0, now};

	statefile_foreach(st, "runs/", prune_target, &p);
	return p.pruned;
}
