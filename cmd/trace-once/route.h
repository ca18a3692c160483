/* SPDX-License-Identifier: MIT */
/*
 * route: what the reports of one target say about its path over time --
 * whether the hop sequence changed, how much the hop count and per-hop
 * latency move -- and the compact text form in which reports and history
 * are kept in state between runs.
 *
 *     struct route_hist h;             from route_hist_decode(state text)
 *     compute_route_update(&h, prev, cur, history_k, now);
 *     route_hist_encode(&h, buf, sizeof buf);   back into state
 *
 * Silent hops ("???") are wildcards when two hop sequences are compared:
 * a router that stopped answering is not a route change.  Pure: time is
 * an argument, no syscalls, no globals.
 */
#ifndef TRACE_ROUTE_H
#define TRACE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "mtr_json.h"

#define ROUTE_HISTORY_MAX 100

struct route_hist {
	size_t n; /* hop counts kept, oldest first */
	int counts[ROUTE_HISTORY_MAX];
	uint64_t changes;   /* reports that changed the path */
	double last_change; /* Unix time, 0: never */
	int changed;	    /* the last report changed it */
	double jitter_ms;   /* between the last two reports */
};

/* 1 if both have the same length and every position holds the same
 * address or a silent hop on either side. */
int route_same_path(const struct mtr_report *a, const struct mtr_report *b);
/* Mean |avg_cur - avg_prev| over positions where both reports have the
 * same, answering address; 0 when there is no such position. */
double compute_jitter(const struct mtr_report *prev,
		      const struct mtr_report *cur);
/* Population variance of counts[0..n). */
double compute_variance(const int *counts, size_t n);
/* 48-bit FNV-1a based hash of the hop addresses ("???" included). */
uint64_t compute_path_id(const struct mtr_report *r);
/* 1 if the destination answered: the last hop answered and, when the
 * destination is an address literal, it is that address. */
int compute_reached(const struct mtr_report *r);

/*
 * Fold report cur into h; prev is the report before (NULL for a target's
 * first report).  Keeps the last k (1..ROUTE_HISTORY_MAX) hop counts.
 */
void compute_route_update(struct route_hist *h, const struct mtr_report *prev,
			  const struct mtr_report *cur, size_t k, double now);

/* State text forms.  Encoders return 0 or -1 (ERANGE: buffer too small);
 * decoders return 0 or -1 (EINVAL) and then leave the struct zeroed, so a
 * damaged entry starts that target's history afresh. */
int route_hist_encode(const struct route_hist *h, char *buf, size_t len);
int route_hist_decode(const char *s, struct route_hist *h);
int route_report_encode(const struct mtr_report *r, char *buf, size_t len);
int route_report_decode(const char *s, struct mtr_report *r);

/* Room route_report_encode needs at most. */
#define ROUTE_REPORT_TEXT_MAX                                                  \
	(MTR_DST_MAX + 32 + MTR_MAX_HOPS * (MTR_HOST_MAX + 8 * 26))

#endif
