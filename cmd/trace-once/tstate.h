/* SPDX-License-Identifier: MIT */
/*
 * tstate: what trace-once remembers about each target between runs, as
 * entries of the tool's statefile (in memory; run_finish commits it):
 *     last/<name>    time of the last run's schedule slot
 *     result/<name>  "ok,1234.5": last run's result and duration in ms
 *     runs/<name>    "7,0,1,0": runs ok, mtr_failed, timeout, resolve_failed
 *     report/<name>  the last successful report (route_report_encode)
 *     hist/<name>    route history (route_hist_encode)
 *     sent/<name>/<ttl>/<ip>  "120,1795304200": probes, time last seen
 * Values hold no spaces, so the file needs no %XX escapes to be read.
 * A target that is not due is written from these, so its series stay in
 * the file between its runs.  Target names hold no '/' (tconfig refuses
 * it), which keeps the sent/ prefix of one target apart from another's.
 *
 * A damaged entry is dropped and that part starts afresh (logged by the
 * caller through the return flags); counters only reset that way.
 */
#ifndef TRACE_TSTATE_H
#define TRACE_TSTATE_H

#include <stdint.h>

#include "asn.h"
#include "fmt.h"
#include "mtr_json.h"
#include "route.h"
#include "statefile.h"
#include "tconfig.h"

/* Room for any state key of a target. */
#define TCONFIG_KEY_MAX (TCONFIG_NAME_MAX + MTR_HOST_MAX + 32)

/* sent/ entries of hops not seen for this long are forgotten, and a
 * target keeps at most TSTATE_SENT_MAX of them (the oldest go first). */
#define TSTATE_SENT_EXPIRE (7 * 86400.0)
#define TSTATE_SENT_MAX	   512
/* A target gone from the configuration is forgotten this long after its
 * last run: a target commented out for a while keeps its counters. */
#define TSTATE_TARGET_EXPIRE (7 * 86400.0)

struct tstate {
	double last_run; /* -1: never */
	int have_result;
	enum trace_result result;
	int have_duration;
	double duration_ms;
	uint64_t runs[TRACE_NRESULTS];
	int have_hist;
	struct route_hist hist;
	int damaged; /* some entry did not parse and was ignored */
	/* Set by tstate_record for rep's hops: the sent totals it just
	 * wrote, so tstate_view need not read them back. */
	int have_sent;
	double sent[MTR_MAX_HOPS];
	int have_report;
	/* Last: tstate_load clears the struct up to here and the report by
	 * its header only. */
	struct mtr_report rep;
};

void tstate_load(const struct statefile *st, const char *name,
		 struct tstate *ts);

/*
 * Record one run of target name: bump its run counter, set the result;
 * for TRACE_OK with rep, fold rep into the route history, keep it as the
 * last report and add each hop's probes to its sent counter.  slot >= 0
 * becomes last/<name>.  Updates ts to match.  -1 with errno on ENOMEM.
 */
int tstate_record(struct statefile *st, const char *name, struct tstate *ts,
		  enum trace_result res, const struct mtr_report *rep,
		  int have_duration, double duration_ms, int history,
		  double now, double slot);

/*
 * Delete every entry of targets that are not in names[0..n) and last ran
 * more than TSTATE_TARGET_EXPIRE before now.  Returns how many targets
 * were forgotten.
 */
size_t tstate_prune_targets(struct statefile *st, const char *const *names,
			    size_t n, double now);

/* Accumulated sent counters of rep's hops into out[rep->nhops]. */
void tstate_sent(const struct statefile *st, const char *name,
		 const struct mtr_report *rep, double *out);

/*
 * Fill v with what trace_fmt needs for target name from ts: labels from
 * db (may be NULL), sent totals from st (those tstate_record just wrote
 * come from ts; st NULL: this run's counts).  asn and sent are the caller's
 * arrays of MTR_MAX_HOPS entries; v points into them and into ts.
 */
void tstate_view(const struct statefile *st, const char *name,
		 const struct tstate *ts, const struct asn_db *db,
		 struct asn_info *asn, double *sent, int legacy,
		 struct trace_view *v);

#endif
