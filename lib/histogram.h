/* SPDX-License-Identifier: MIT */
/*
 * histogram: a Prometheus-style histogram kept as plain numbers, so a tool
 * can accumulate observations across runs in its state file and hand the
 * result to promfile_add_histogram().
 *
 * bucket[i] counts observations v with le[i-1] < v <= le[i] (not
 * cumulative); observations above the last bound only raise count.
 * promfile makes the buckets cumulative on output.
 */
#ifndef PROMSNAP_HISTOGRAM_H
#define PROMSNAP_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MAX_BUCKETS 40

struct histogram {
	unsigned n;
	double le[HISTOGRAM_MAX_BUCKETS];
	uint64_t bucket[HISTOGRAM_MAX_BUCKETS];
	uint64_t count;
	double sum;
};

/* le must be strictly increasing and finite; returns -1 (EINVAL) if not or
 * if n is 0 or above HISTOGRAM_MAX_BUCKETS. */
int histogram_init(struct histogram *h, const double *le, unsigned n);
void histogram_observe(struct histogram *h, double v);

/*
 * A one-line text form for state files: "count sum b0 b1 ...", with the
 * bounds implied by the caller's init.  histogram_from_string() fills the
 * counts of an initialised histogram and returns -1 (EINVAL) if the line
 * does not match its bucket layout, leaving h unchanged.
 */
int histogram_to_string(const struct histogram *h, char *buf, size_t len);
int histogram_from_string(struct histogram *h, const char *s);

#endif
