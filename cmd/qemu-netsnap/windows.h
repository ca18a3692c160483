/* SPDX-License-Identifier: MIT */
/*
 * windows: bytes moved in the last 30 s, 1 min, 5 min, 15 min and 1 h,
 * from a ring of timestamped readings of a VM's (monotonic) byte totals
 * kept in state between runs.  Pure: the time is an argument.
 *
 * Calling sequence, once per VM and run:
 *     compute_ring_trim(&ring, now);          drop readings "in the future"
 *     compute_windows(&ring, now, rx, tx, w); the five window values
 *     compute_ring_push(&ring, now, rx, tx);  remember this reading
 *
 * A window [now - W, now] whose start falls between two readings takes
 * the counter at now - W by linear interpolation between them, and its
 * coverage is W.  When the ring does not reach back that far, the value
 * covers what there is (from the oldest reading to now) and the coverage
 * says how much; with no earlier reading both are 0.
 *
 * The ring keeps readings thinned by age (every reading of the last
 * minute 2 s apart at most, then 15 s, then 60 s) and drops all but the
 * newest reading older than 1 h, so it stays below QN_RING_MAX entries at
 * any run frequency.
 */
#ifndef QEMU_NETSNAP_WINDOWS_H
#define QEMU_NETSNAP_WINDOWS_H

#include <stddef.h>
#include <stdint.h>

/* Thinning keeps at most ~31 + 60 + 45 readings plus the one before the
 * horizon, at any run frequency (check_qemu_windows runs two hours at
 * one run a second); every VM carries this array, so it is kept tight. */
#define QN_RING_MAX 160
#define QN_HORIZON  3600.0 /* the longest window */

struct qn_sample {
	double t; /* Unix time of the reading */
	uint64_t rx, tx;
};

/* Oldest first, times strictly increasing. */
struct qn_ring {
	size_t n;
	struct qn_sample s[QN_RING_MAX];
};

enum { QN_W_30S, QN_W_1M, QN_W_5M, QN_W_15M, QN_W_1H, QN_NWINDOWS };

struct qn_window {
	const char *metric; /* qemu_network_30s_bytes ... */
	const char *label;  /* the window label of the coverage metric */
	double seconds;
};

extern const struct qn_window qn_windows[QN_NWINDOWS];

struct qn_window_value {
	double rx, tx;	 /* bytes, rounded to whole bytes */
	double coverage; /* seconds, <= the window's length */
};

/* Drop readings later than now (the clock was stepped back) and, if the
 * totals went down (never on a monotonic total; a damaged state), the
 * whole ring. */
void compute_ring_trim(struct qn_ring *ring, double now, uint64_t rx,
		       uint64_t tx);
void compute_windows(const struct qn_ring *ring, double now, uint64_t rx,
		     uint64_t tx, struct qn_window_value out[QN_NWINDOWS]);
/* Append (now, rx, tx), replacing a reading at the same time, then thin
 * and prune as described above. */
void compute_ring_push(struct qn_ring *ring, double now, uint64_t rx,
		       uint64_t tx);

/* State text: "t:rx:tx,t:rx:tx,..." with t in milliseconds precision.
 * decode returns 0, or -1 on malformed text or times not increasing. */
int windows_ring_decode(const char *text, struct qn_ring *ring);
/* Writes at most len bytes including the NUL; returns the length, or -1
 * if it did not fit. */
int windows_ring_fmt(const struct qn_ring *ring, char *buf, size_t len);

#endif
