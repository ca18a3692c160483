/* SPDX-License-Identifier: MIT */
/*
 * fmt: one target's report, run counters and route history as metric
 * families (trace_fmt), and as the mtr-like table shown on a terminal
 * (trace_table_fmt).
 *
 * The caller gathers everything into a struct trace_view -- the report
 * (from this run or, for a target that was not due, the one kept in
 * state), each hop's ASN labels and accumulated sent counter, the route
 * history -- and calls trace_fmt once per target.  Pure: no clock, no
 * syscalls, no globals; the same view always gives the same series.
 * Returns 0, or -1 with errno set and promfile_error() saying why.
 */
#ifndef TRACE_FMT_H
#define TRACE_FMT_H

#include <stdint.h>
#include <stdio.h>

#include "asn.h"
#include "mtr_json.h"
#include "promfile.h"
#include "route.h"

enum trace_result {
	TRACE_OK,
	TRACE_MTR_FAILED,
	TRACE_TIMEOUT,
	TRACE_RESOLVE_FAILED,
	TRACE_NRESULTS
};

/* "ok", "mtr_failed", "timeout", "resolve_failed". */
const char *trace_result_name(enum trace_result r);

struct trace_view {
	const char *target;
	/* The last run produced a report: hop series and mtr_report_*.
	 * Otherwise only mtr_report_success 0, the run counters and the
	 * route series are written. */
	int success;
	const struct mtr_report *rep; /* when success */
	const struct asn_info *asn;   /* rep->nhops entries */
	const double *sent_total;     /* rep->nhops entries */
	int have_duration;	      /* mtr ran (not --from-json) */
	double duration_ms;
	int have_runs;
	uint64_t runs[TRACE_NRESULTS];
	const struct route_hist *hist; /* NULL: no report yet */
	uint64_t path_id;	       /* of the last report */
	int legacy;		       /* also mtr_route_volatility{...} 1 */
};

int trace_fmt(struct promfile *pf, const struct trace_view *v);
/* The per-hop table: hop, address, ASN, organisation, loss %, sent and
 * the RTT columns.  -1 with errno on a write error. */
int trace_table_fmt(FILE *f, const struct trace_view *v);

#endif
