/* SPDX-License-Identifier: MIT */
#include "fmt.h"

#include <stdio.h>
#include <string.h>

const char *trace_result_name(enum trace_result r)
{
	static const char *const names[TRACE_NRESULTS] = {
	    "ok", "mtr_failed", "timeout", "resolve_failed"};

	return (unsigned)r < TRACE_NRESULTS ? names[r] : "unknown";
}

static const char *hop_position(size_t i, size_t n)
{
	if (i + 1 == n)
		return "last";
	return i == 0 ? "first" : "intermediate";
}

static int fmt_hops(struct promfile *pf, const struct trace_view *v)
{
	const struct mtr_report *r = v->rep;

	for (size_t i = 0; i < r->nhops; i++) {
		const struct mtr_hop *h = &r->hops[i];
		char ttl[16];
		const char *labels[] = {
		    "target", v->target,     "hop", hop_position(i, r->nhops),
		    "ip",     h->host,	     "asn", v->asn[i].asn,
		    "org",    v->asn[i].org, "ttl", ttl,
		    NULL};
		const struct {
			const char *name;
			double value;
		} m[] = {
		    {"mtr_hop_loss_ratio", h->loss_pct / 100.0},
		    {"mtr_hop_sent_total", v->sent_total[i]},
		    {"mtr_hop_last_ms", h->last},
		    {"mtr_hop_avg_ms", h->avg},
		    {"mtr_hop_best_ms", h->best},
		    {"mtr_hop_worst_ms", h->worst},
		    {"mtr_hop_stddev_ms", h->stddev},
		};

		snprintf(ttl, sizeof ttl, "%d", h->ttl);
		if (promfile_labels_set(pf, labels))
			return -1;
		for (size_t j = 0; j < sizeof m / sizeof m[0]; j++)
			if (promfile_add_same(pf, m[j].name, m[j].value))
				return -1;
	}
	return 0;
}

static int fmt_report(struct promfile *pf, const struct trace_view *v)
{
	const struct mtr_report *r = v->rep;
	const char *t = v->target;
	double packets = 0, loss = 1;

	for (size_t i = 0; i < r->nhops; i++)
		packets += r->hops[i].sent;
	/* Loss at the destination, not the mean over hops: routers that
	 * rate-limit their own ICMP would otherwise read as path loss. */
	if (r->nhops)
		loss = r->hops[r->nhops - 1].loss_pct / 100.0;
	if (v->have_duration && promfile_add(pf, "mtr_report_duration_ms",
					     v->duration_ms, "target", t, NULL))
		return -1;
	if (promfile_add(pf, "mtr_report_hops", (double)r->nhops, "target", t,
			 NULL) ||
	    promfile_add(pf, "mtr_report_loss", loss, "target", t, NULL) ||
	    promfile_add(pf, "mtr_report_packets", packets, "target", t,
			 NULL) ||
	    promfile_add(pf, "mtr_report_reached", compute_reached(r), "target",
			 t, NULL))
		return -1;
	return 0;
}

static int fmt_route(struct promfile *pf, const struct trace_view *v)
{
	const struct route_hist *h = v->hist;
	const char *t = v->target;
	double var = compute_variance(h->counts, h->n);

	if (promfile_add(pf, "mtr_route_changed", h->changed, "target", t,
			 NULL) ||
	    promfile_add(pf, "mtr_route_changes_total", (double)h->changes,
			 "target", t, NULL) ||
	    promfile_add(pf, "mtr_route_hop_count_variance", var, "target", t,
			 NULL) ||
	    promfile_add(pf, "mtr_route_latency_jitter_ms", h->jitter_ms,
			 "target", t, NULL) ||
	    promfile_add(pf, "mtr_route_path_id", (double)v->path_id, "target",
			 t, NULL) ||
	    promfile_add(pf, "mtr_route_last_change_timestamp_seconds",
			 h->last_change, "target", t, NULL))
		return -1;
	if (v->legacy) {
		char vs[32], js[32];

		/* Tracer's spelling: values as labels, two decimals. */
		snprintf(vs, sizeof vs, "%.2f", var);
		snprintf(js, sizeof js, "%.2f", h->jitter_ms);
		if (promfile_add(pf, "mtr_route_volatility", 1, "target", t,
				 "route_changed", h->changed ? "true" : "false",
				 "hop_count_variance", vs, "latency_jitter", js,
				 NULL))
			return -1;
	}
	return 0;
}

int trace_fmt(struct promfile *pf, const struct trace_view *v)
{
	if (v->success && v->rep) {
		if (fmt_hops(pf, v) || fmt_report(pf, v))
			return -1;
	}
	if (promfile_add(pf, "mtr_report_success", v->success && v->rep,
			 "target", v->target, NULL))
		return -1;
	if (v->have_runs)
		for (int i = 0; i < TRACE_NRESULTS; i++)
			if (promfile_add(pf, "mtr_runs_total",
					 (double)v->runs[i], "target",
					 v->target, "result",
					 trace_result_name(i), NULL))
				return -1;
	if (v->hist && fmt_route(pf, v))
		return -1;
	return 0;
}

int trace_table_fmt(FILE *f, const struct trace_view *v)
{
	const struct mtr_report *r = v->rep;

	fprintf(f, "%s:", v->target);
	if (!v->success || !r) {
		fprintf(f, " no report\n");
		return ferror(f) ? -1 : 0;
	}
	fprintf(f, " %zu hops, %s\n", r->nhops,
		compute_reached(r) ? "reached" : "not reached");
	fprintf(f, "%4s  %-39s %-9s %-24s %6s %5s %8s %8s %8s %8s %8s\n", "Hop",
		"Address", "ASN", "Organisation", "Loss%", "Snt", "Last", "Avg",
		"Best", "Wrst", "StDev");
	for (size_t i = 0; i < r->nhops; i++) {
		const struct mtr_hop *h = &r->hops[i];

		fprintf(f,
			"%3d.  %-39s %-9s %-24.24s %5.1f%% %5.0f %8.3f %8.3f "
			"%8.3f %8.3f %8.3f\n",
			h->ttl, h->host, v->asn[i].asn, v->asn[i].org,
			h->loss_pct, h->sent, h->last, h->avg, h->best,
			h->worst, h->stddev);
	}
	return ferror(f) ? -1 : 0;
}
