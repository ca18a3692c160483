/* SPDX-License-Identifier: MIT */
/*
 * fmt: a target's cumulative numbers (counters, histograms, RTO), kept in
 * the state file between runs and turned into metric families.
 *
 * Calling sequence per target and run:
 *     stats_load(st, t, &params, &s);   remembered numbers (or fresh ones)
 *     stats_add_burst(&s, &session, connected, dropped, conn_hist);
 *     stats_save(st, t, &s);  stats_fmt(pf, t, &s);
 * and once per run stats_prune(st, targets) forgets targets no longer
 * configured.  State keys are "t/<name>/<field>".  When a target's address
 * changes its counters restart from zero (an explicit reset: the series
 * labels change too).  Functions return -1 with errno set on failure.
 */
#ifndef TCPPING_FMT_H
#define TCPPING_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "promfile.h"
#include "rto.h"
#include "session.h"
#include "statefile.h"
#include "targets.h"

/* Bucket bounds shared by tcp_echo_rtt_seconds and
 * tcp_connect_duration_seconds. */
extern const double tcpping_buckets[];
extern const unsigned tcpping_nbuckets;

struct tstats {
	uint64_t sent, received, timeouts, dropped, late, garbage;
	/* The run's mode's histogram only (tcp_echo_rtt_seconds in echo
	 * mode, tcp_connect_duration_seconds in connect mode): the other one
	 * waits in the state file untouched, which halves this struct. */
	enum probe_mode mode;
	struct histogram hist;
	int fresh; /* nothing usable was loaded: the other one starts empty */
	double last_rtt; /* NaN until the first answered probe */
	int connected;
	double loss;
	struct rto rto;
};

void stats_init(struct tstats *s, const struct rto_params *p,
		enum probe_mode mode);
/* Returns 1 if the remembered numbers were dropped (address changed or a
 * value did not parse), else 0. */
int stats_load(const struct statefile *st, const struct target *t,
	       const struct rto_params *p, enum probe_mode mode,
	       struct tstats *s);
int stats_save(struct statefile *st, const struct target *t,
	       const struct tstats *s);
/* Fold one finished burst into the totals (the RTO was updated in place
 * by the session). */
void stats_add_burst(struct tstats *s, const struct session *se,
		     int connected, unsigned dropped);
/* Echo mode writes the RTT histogram, connect mode the handshake one: an
 * always-empty histogram would only add 20 series per target. */
int stats_fmt(struct promfile *pf, const struct target *t,
	      const struct tstats *s);
int stats_prune(struct statefile *st, const struct target_list *l);

/* ping-style summary of one burst for a terminal. */
void summary_fmt(char *buf, size_t len, const struct target *t,
		 const struct session *se, int connected);

#endif
