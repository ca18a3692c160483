/* SPDX-License-Identifier: MIT */
/*
 * session: the bookkeeping of one target's burst, apart from its socket.
 *
 * Probe i is due at start + i * interval; when sent it records its
 * sequence (seq_base + i), the timestamp written into it, and a deadline of
 * send time + the RTO at that moment.  An echo is accepted only if its
 * magic, sequence and timestamp match a probe that is still waiting; an
 * echo of a probe that already timed out counts as late (no RTT sample,
 * since the probe was already given up), and anything else is garbage
 * (which cannot complete a probe: that probe then times out).
 *
 * Calling sequence, with now = CLOCK_MONOTONIC seconds given by the caller:
 *     session_init(&s, slots, count, seq_base, start, interval, &rto, &p);
 *     loop: while (session_send_due(&s, now)) session_send(&s, now, ns, buf);
 *           session_on_echo(&s, rec, now, &rtt) for each 24-byte record;
 *           session_expire(&s, now);
 *           sleep until session_next_deadline(&s);
 *     until session_done(&s).
 * Pure: no syscalls, no clock, no allocation (slots are the caller's).
 */
#ifndef TCPPING_SESSION_H
#define TCPPING_SESSION_H

#include <stdint.h>

#include "rto.h"
#include "wire.h"

enum slot_state { SLOT_UNSENT, SLOT_PENDING, SLOT_RECEIVED, SLOT_TIMEDOUT,
		  SLOT_FAILED };

struct slot {
	uint64_t ts_ns;
	double sent, deadline;
	uint8_t state;
};

enum echo_kind { ECHO_RECEIVED, ECHO_LATE, ECHO_GARBAGE };

struct session {
	struct slot *slots;
	unsigned count, nsent;
	unsigned planned; /* count as initialised (abort lowers count) */
	unsigned first_open; /* slots below are all resolved */
	uint64_t seq_base;
	double start, interval;
	struct rto *rto;
	const struct rto_params *params;
	/* This burst's results. */
	unsigned received, timeouts, failed, late, garbage;
	double rtt_min, rtt_max, rtt_sum, rtt_sumsq, last_rtt;
};

void session_init(struct session *s, struct slot *slots, unsigned count,
		  uint64_t seq_base, double start, double interval,
		  struct rto *rto, const struct rto_params *p);
int session_send_due(const struct session *s, double now);
/* Record probe number s->nsent as sent now with timestamp ts_ns; fills
 * out with its wire form when out is not NULL.  Returns its index. */
unsigned session_send(struct session *s, double now, uint64_t ts_ns,
		      uint8_t out[WIRE_PROBE_LEN]);
/* Judge one 24-byte record read back; on ECHO_RECEIVED *rtt is set and
 * the RTO has learnt from it. */
enum echo_kind session_on_echo(struct session *s,
			       const uint8_t rec[WIRE_PROBE_LEN], double now,
			       double *rtt);
/* Probe idx completed by other means (connect mode: the handshake). */
enum echo_kind session_complete(struct session *s, unsigned idx,
				double now, double *rtt);
/* Probe idx failed outright (connect mode: refused). */
void session_fail(struct session *s, unsigned idx);
/* Time out every waiting probe whose deadline has passed; returns how many
 * (each one backs the RTO off). */
unsigned session_expire(struct session *s, double now);
/* The connection is gone: waiting probes count as timed out (without
 * back-off: a lost connection says nothing about RTT) and no more probes
 * are due. */
void session_abort(struct session *s);
/* Earliest time something is due (a send or a deadline); INFINITY when
 * nothing is left. */
double session_next_deadline(const struct session *s);
int session_done(const struct session *s);
/* Fraction of the probes planned for the burst that got no valid echo in
 * time: probes never sent because the connection failed count as lost. */
double session_loss_ratio(const struct session *s);

#endif
