/* SPDX-License-Identifier: MIT */
#include "session.h"

#include <math.h>
#include <string.h>

void session_init(struct session *s, struct slot *slots, unsigned count,
		  uint64_t seq_base, double start, double interval,
		  struct rto *rto, const struct rto_params *p)
{
	memset(s, 0, sizeof *s);
	memset(slots, 0, count * sizeof slots[0]);
	s->slots = slots;
	s->count = count;
	s->planned = count;
	s->seq_base = seq_base;
	s->start = start;
	s->interval = interval;
	s->rto = rto;
	s->params = p;
}

int session_send_due(const struct session *s, double now)
{
	return s->nsent < s->count &&
	       now >= s->start + s->nsent * s->interval;
}

unsigned session_send(struct session *s, double now, uint64_t ts_ns,
		      uint8_t out[WIRE_PROBE_LEN])
{
	unsigned i = s->nsent++;
	struct slot *sl = &s->slots[i];

	sl->ts_ns = ts_ns;
	sl->sent = now;
	sl->deadline = now + s->rto->rto;
	sl->state = SLOT_PENDING;
	if (out) {
		struct wire_probe p = {.seq = s->seq_base + i, .ts_ns = ts_ns};
		wire_encode(out, &p);
	}
	return i;
}

static void advance(struct session *s)
{
	while (s->first_open < s->nsent &&
	       s->slots[s->first_open].state != SLOT_PENDING)
		s->first_open++;
}

enum echo_kind session_complete(struct session *s, unsigned idx,
				double now, double *rtt)
{
	struct slot *sl;
	double r;

	if (idx >= s->nsent)
		goto garbage;
	sl = &s->slots[idx];
	if (sl->state == SLOT_TIMEDOUT) {
		s->late++;
		return ECHO_LATE;
	}
	if (sl->state != SLOT_PENDING)
		goto garbage;
	r = now - sl->sent;
	if (r < 0)
		r = 0;
	sl->state = SLOT_RECEIVED;
	s->received++;
	if (s->received == 1 || r < s->rtt_min)
		s->rtt_min = r;
	if (r > s->rtt_max)
		s->rtt_max = r;
	s->rtt_sum += r;
	s->rtt_sumsq += r * r;
	s->last_rtt = r;
	rto_compute_sample(s->rto, s->params, r);
	advance(s);
	*rtt = r;
	return ECHO_RECEIVED;
garbage:
	s->garbage++;
	return ECHO_GARBAGE;
}

enum echo_kind session_on_echo(struct session *s,
			       const uint8_t rec[WIRE_PROBE_LEN], double now,
			       double *rtt)
{
	struct wire_probe p;
	uint64_t idx;

	if (wire_decode(rec, &p))
		goto garbage;
	/* Unsigned wrap-around makes a sequence below the base huge. */
	idx = p.seq - s->seq_base;
	if (idx >= s->nsent)
		goto garbage;
	/* A replayed or forged echo may guess the sequence but must also
	 * carry the exact timestamp that was sent. */
	if (s->slots[idx].ts_ns != p.ts_ns)
		goto garbage;
	if (s->slots[idx].state == SLOT_RECEIVED)
		goto garbage; /* a replay of an answered probe */
	return session_complete(s, (unsigned)idx, now, rtt);
garbage:
	s->garbage++;
	return ECHO_GARBAGE;
}

void session_fail(struct session *s, unsigned idx)
{
	if (idx >= s->nsent || s->slots[idx].state != SLOT_PENDING)
		return;
	s->slots[idx].state = SLOT_FAILED;
	s->failed++;
	advance(s);
}

unsigned session_expire(struct session *s, double now)
{
	unsigned n = 0;

	for (unsigned i = s->first_open; i < s->nsent; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->state == SLOT_PENDING && sl->deadline <= now) {
			sl->state = SLOT_TIMEDOUT;
			s->timeouts++;
			n++;
			rto_compute_backoff(s->rto, s->params);
		}
	}
	advance(s);
	return n;
}

void session_abort(struct session *s)
{
	for (unsigned i = s->first_open; i < s->nsent; i++) {
		if (s->slots[i].state == SLOT_PENDING) {
			s->slots[i].state = SLOT_TIMEDOUT;
			s->timeouts++;
		}
	}
	s->count = s->nsent;
	advance(s);
}

double session_next_deadline(const struct session *s)
{
	double t = INFINITY;

	if (s->nsent < s->count)
		t = s->start + s->nsent * s->interval;
	for (unsigned i = s->first_open; i < s->nsent; i++)
		if (s->slots[i].state == SLOT_PENDING &&
		    s->slots[i].deadline < t)
			t = s->slots[i].deadline;
	return t;
}

int session_done(const struct session *s)
{
	return s->nsent == s->count && s->first_open == s->nsent;
}

double session_loss_ratio(const struct session *s)
{
	if (s->planned == 0)
		return 0;
	return (double)(s->planned - s->received) / s->planned;
}
