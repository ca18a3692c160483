/* SPDX-License-Identifier: MIT */
/*
 * burst: one run's probing of every target at once, in one thread: an
 * epoll loop over non-blocking sockets, timed with CLOCK_MONOTONIC, so a
 * run with 1,000 targets takes about as long as a run with one.
 *
 * The caller fills one struct burst_target per target (target and its
 * loaded stats); burst_run() resolves, connects, probes and closes, and
 * leaves the outcome in each element: session (this burst), stats (its
 * histograms observed, its RTO updated), connected and dropped.  Folding
 * the burst into the totals is the caller's (stats_add_burst).
 *
 * Each element's slots array (which se points into) is allocated here and
 * is the caller's to free.
 * Returns 0, or -1 with errno set and err filled when the loop itself
 * could not run (no epoll, out of memory); an unreachable target is never
 * an error, only numbers.
 */
#ifndef TCPPING_BURST_H
#define TCPPING_BURST_H

#include <stddef.h>
#include <stdint.h>

#include "fmt.h"
#include "rto.h"
#include "session.h"
#include "targets.h"

struct burst_opts {
	unsigned count;
	double interval;
	enum probe_mode mode;
	const struct rto_params *params;
	double connect_timeout; /* echo mode: handshake limit */
};

struct burst_target {
	const struct target *t;
	struct tstats *stats;
	/* Outcome. */
	struct session se;
	int connected;
	unsigned dropped;
	char why[96]; /* first failure, for -v and the summary */
	/* Private to burst.c. */
	struct slot *slots;
	int *pfd; /* connect mode: one socket per probe */
	int fd, state;
	double conn_deadline;
	size_t hpos; /* position in the loop's deadline heap + 1; 0 when
		      * not in it */
	struct sockaddr_storage *sa;
	unsigned salen;
	unsigned inlen, outlen;
	uint8_t in[WIRE_PROBE_LEN], out[WIRE_PROBE_LEN];
};

int burst_run(struct burst_target *bt, size_t n, const struct burst_opts *o,
	      char *err, size_t errlen);

#endif
