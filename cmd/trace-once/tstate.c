/* SPDX-License-Identifier: MIT */
#include "tstate.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"
#include "promfile.h"

/* Append s to buf[*off], as far as it fits (snprintf's truncation). */
static void put_str(char *buf, size_t len, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off + n >= len)
		n = *off + 1 < len ? len - 1 - *off : 0;
	memcpy(buf + *off, s, n);
	*off += n;
	buf[*off] = 0;
}

/* Keys are built on every run for every target: by hand, not by
 * snprintf, whose format parsing cost more than the rest of a lookup. */
static const char *key(char *buf, size_t len, const char *kind,
		       const char *name)
{
	size_t off = 0;

	buf[0] = 0;
	put_str(buf, len, &off, kind);
	put_str(buf, len, &off, "/");
	put_str(buf, len, &off, name);
	return buf;
}

static const char *sent_key(char *buf, size_t len, const char *name,
			    const struct mtr_hop *h)
{
	char ttl[12], *p = ttl + sizeof ttl;
	unsigned t = (unsigned)h->ttl; /* 1..MTR_MAX_HOPS */
	size_t off;

	*--p = 0;
	do
		*--p = (char)('0' + t % 10);
	while ((t /= 10));
	key(buf, len, "sent", name);
	off = strlen(buf);
	put_str(buf, len, &off, "/");
	put_str(buf, len, &off, p);
	put_str(buf, len, &off, "/");
	put_str(buf, len, &off, h->host);
	return buf;
}

/*
 * A sent/ value "total,seen" as sscanf("%lf,%lf") reads it: returns 0,
 * or -1 if it does not start with two numbers; *rest is what follows
 * them.  What trace-once writes (two plain decimals) is read with
 * numtext_strtod; anything else, sscanf decides as it always did.
 */
static int sent_parse(const char *v, double *total, double *seen,
		      const char **rest)
{
	char *end;
	int n = -1;

	*total = numtext_strtod(v, &end);
	if (end != v && *end == ',') {
		const char *s = end + 1;

		*seen = numtext_strtod(s, &end);
		if (end != s && !*end) {
			*rest = end;
			return 0;
		}
	}
	if (sscanf(v, "%lf,%lf%n", total, seen, &n) != 2 || n < 0)
		return -1;
	*rest = v + n;
	return 0;
}

/* prom_format_value of the run's time, the same for every hop and target:
 * formatted once per run, not once per target (it takes the slow path
 * of a full-precision value). */
static const char *now_text(double now)
{
	static double memo_now = -1;
	static char memo[32];

	if (now != memo_now || !memo[0]) {
		prom_format_value(now, memo, sizeof memo);
		memo_now = now;
	}
	return memo;
}

void tstate_load(const struct statefile *st, const char *name,
		 struct tstate *ts)
{
	char k[TCONFIG_KEY_MAX];
	const char *v;

	/* All but the report, which is cleared by its header (see
	 * mtr_report_clear): rep is the last member. */
	memset(ts, 0, offsetof(struct tstate, rep));
	mtr_report_clear(&ts->rep);
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
	const char *rest;

	if (sent_parse(v, &total, &seen, &rest) || *rest ||
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
		prom_format_value(duration_ms, d, sizeof d);
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
			mtr_report_copy(&ts->rep, rep);
		ts->have_report = 1;
		const char *sv = now_text(now);

		for (size_t i = 0; i < rep->nhops; i++) {
			const struct mtr_hop *h = &rep->hops[i];
			double total = 0, seen;
			const char *old, *rest;
			char nv[80];
			size_t off;

			sent_key(k, sizeof k, name, h);
			old = statefile_get(st, k);
			if (old && sent_parse(old, &total, &seen, &rest))
				total = 0;
			if (!isfinite(total) || total < 0)
				total = 0;
			total += h->sent;
			/* What tstate_sent would read back from nv (it
			 * takes this run's count for a total that is not
			 * finite). */
			ts->sent[i] = isfinite(total) ? total : h->sent;
			prom_format_value(total, nv, 32);
			off = strlen(nv);
			put_str(nv, sizeof nv, &off, ",");
			put_str(nv, sizeof nv, &off, sv);
			e |= statefile_set(st, k, nv);
		}
		ts->have_sent = 1;
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
		const char *rest;

		if (!v || sent_parse(v, &total, &seen, &rest) ||
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
		if (st && ts->have_sent)
			memcpy(sent, ts->sent, v->rep->nhops * sizeof *sent);
		else if (st)
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
