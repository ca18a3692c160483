/* SPDX-License-Identifier: MIT */
#include "rto.h"

#include <math.h>

static double clamp(double v, const struct rto_params *p)
{
	if (v < p->min)
		return p->min;
	if (v > p->max)
		return p->max;
	return v;
}

void rto_init(struct rto *r, const struct rto_params *p)
{
	r->srtt = 0;
	r->rttvar = 0;
	r->have_sample = 0;
	/* The initial timeout is clamped too, so --timeout 1s with
	 * --max-timeout 500ms cannot wait longer than the operator allowed. */
	r->rto = p->adaptive ? clamp(p->initial, p) : p->initial;
}

void rto_compute_sample(struct rto *r, const struct rto_params *p,
			double rtt)
{
	if (!p->adaptive)
		return;
	if (!r->have_sample) {
		r->srtt = rtt;
		r->rttvar = rtt / 2;
		r->have_sample = 1;
	} else {
		/* RFC 6298 2.3: RTTVAR first, from the old SRTT. */
		r->rttvar = 0.75 * r->rttvar + 0.25 * fabs(r->srtt - rtt);
		r->srtt = 0.875 * r->srtt + 0.125 * rtt;
	}
	r->rto = clamp(r->srtt + fmax(p->granularity, 4 * r->rttvar), p);
}

void rto_compute_backoff(struct rto *r, const struct rto_params *p)
{
	if (!p->adaptive)
		return;
	r->rto = clamp(2 * r->rto, p);
}

int rto_restore(struct rto *r, const struct rto_params *p, double srtt,
		double rttvar, double rto, int have_sample)
{
	rto_init(r, p);
	if (!p->adaptive)
		return 0;
	if (!isfinite(srtt) || !isfinite(rttvar) || !isfinite(rto) ||
	    srtt < 0 || rttvar < 0 || rto <= 0)
		return -1;
	r->srtt = srtt;
	r->rttvar = rttvar;
	r->have_sample = !!have_sample;
	/* Limits may have changed since the value was stored. */
	r->rto = clamp(rto, p);
	return 0;
}
