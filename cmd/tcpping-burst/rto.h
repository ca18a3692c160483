/* SPDX-License-Identifier: MIT */
/*
 * rto: the adaptive probe timeout of RFC 6298, one per target, carried from
 * burst to burst in the state file.
 *
 *     first sample R:   SRTT = R, RTTVAR = R/2
 *     later sample R:   RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|
 *                       SRTT   = 7/8 SRTT   + 1/8 R
 *     RTO = SRTT + max(G, 4 RTTVAR), clamped to [min, max]
 *     timeout:          RTO = min(2 RTO, max)   (back-off)
 *
 * With adaptive off the timeout is the initial value and never changes.
 * Pure arithmetic: times are seconds given by the caller.
 */
#ifndef TCPPING_RTO_H
#define TCPPING_RTO_H

struct rto_params {
	double initial;	    /* RTO before any sample (--timeout) */
	double min, max;    /* clamp (--min-timeout, --max-timeout) */
	double granularity; /* G: clock granularity */
	int adaptive;	    /* 0: always initial (--no-adaptive) */
};

struct rto {
	double srtt, rttvar, rto;
	int have_sample; /* 0 until the first RTT measurement */
};

void rto_init(struct rto *r, const struct rto_params *p);
/* Feed one RTT measurement (seconds, >= 0). */
void rto_compute_sample(struct rto *r, const struct rto_params *p,
			double rtt);
/* A probe timed out: double the RTO (up to max). */
void rto_compute_backoff(struct rto *r, const struct rto_params *p);
/* Restore remembered values; out-of-range or non-finite ones are ignored
 * and the state starts over (returns -1 then, 0 if accepted). */
int rto_restore(struct rto *r, const struct rto_params *p, double srtt,
		double rttvar, double rto, int have_sample);

#endif
