/* SPDX-License-Identifier: MIT */
/*
 * snapshot: the records read from bpf-snap's pinned maps, decoded and
 * turned into metric families.  Pure code: no syscalls, no clock, no
 * globals, so it is unit-tested on fixture records without root.
 *
 * Calling sequence:
 *     struct snapshot s = {0};        filled by pins_read() or a test
 *     snapshot_fmt(&s, pf, err, sizeof err);
 *
 * The kernel keys rows by (target or comm, proto, dport, family, daddr);
 * snapshot_fmt() decodes each key into label values, folds rows whose
 * labels coincide (an IPv4 peer reached from an IPv6 socket as
 * ::ffff:a.b.c.d is the same destination as a.b.c.d), sums them for the
 * families that have fewer labels, and adds the families in a stable
 * order (sorted by labels), so the output does not depend on the order
 * in which the kernel's hash maps return their entries.
 */
#ifndef BPF_SNAP_SNAPSHOT_H
#define BPF_SNAP_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "bpf_snap.h"
#include "histogram.h"
#include "promfile.h"

/* Histogram bounds: 2^13 ns (8.192 us) .. 2^34 ns (17.2 s), one bucket
 * per power of two, covering 10 us .. 10 s. */
#define SNAPSHOT_LE_FIRST_SLOT 13
#define SNAPSHOT_LE_LAST_SLOT  34
#define SNAPSHOT_LE_N	       (SNAPSHOT_LE_LAST_SLOT - SNAPSHOT_LE_FIRST_SLOT + 1)

struct snap_edge {
	struct bpf_snap_key key;
	struct bpf_snap_count val;
};

struct snap_hist {
	struct bpf_snap_key key;
	struct bpf_snap_hist val;
};

struct snap_map {
	const char *name;
	uint64_t entries;
	uint64_t capacity;
	uint64_t dropped;
	int has_dropped; /* 1 for the maps whose inserts can fail */
};

#define SNAPSHOT_MAX_MAPS 16

struct snapshot {
	const struct snap_edge *edges;
	size_t n_edges;
	const struct snap_hist *conn;
	size_t n_conn;
	const struct snap_hist *tx;
	size_t n_tx;
	const struct bpf_snap_target *targets;
	size_t n_targets;
	struct snap_map maps[SNAPSHOT_MAX_MAPS];
	size_t n_maps;
	double attached_since; /* Unix time; NaN if unknown */
};

/* "a.b.c.d" or the RFC 5952 text of an IPv6 address; an IPv4-mapped
 * IPv6 address becomes its IPv4 text.  -1 (EINVAL) for another family. */
int decode_addr(uint8_t family, const uint8_t daddr[16], char *buf, size_t len);
/* "tcp", "udp", or NULL for another protocol number. */
const char *decode_proto(uint8_t proto);
/*
 * The process label of a key: the name of target key->target from
 * targets[], or, for target 0, the comm (at most 16 bytes, not
 * necessarily NUL-terminated).  A comm is bytes a process chose; it is
 * passed on as data (promfile escapes it).  -1 (ENOENT) for a target id
 * not in targets[] or an empty comm.
 */
int decode_process(const struct bpf_snap_key *key,
		   const struct bpf_snap_target *targets, size_t n_targets,
		   char *buf, size_t len);
/* Initialise h with the snapshot bounds and add the log2 slots of src:
 * slot i (durations in (2^(i-1), 2^i] ns) goes to bound 2^i ns, slots
 * below the first bound into the first, slots above the last only into
 * the count.  sum is sum_ns in seconds. */
void compute_histogram(const struct bpf_snap_hist *src, struct histogram *h);
/* Add the src histogram's buckets, sum and count into dst (same bounds). */
void compute_histogram_merge(struct histogram *dst,
			     const struct histogram *src);

/*
 * Add every netagent_* and bpf_snap_* family of s to pf.  Rows whose key
 * does not decode (unknown family, protocol or target) are skipped and
 * counted in *skipped (may be NULL).  Returns 0, or -1 with errno set and
 * err filled (promfile refused a sample, or out of memory).
 */
int snapshot_fmt(const struct snapshot *s, struct promfile *pf, size_t *skipped,
		 char *err, size_t errlen);
/*
 * snapshot_fmt() in two steps: the edge families, then the others; each
 * adds to *skipped (not reset).  Between the two the caller may free
 * s->edges (the largest input: 56 bytes a key), which keeps that memory
 * out of the run's peak, reached while the other families are added.
 */
int snapshot_fmt_edges(const struct snapshot *s, struct promfile *pf,
		       size_t *skipped, char *err, size_t errlen);
/*
 * snapshot_fmt_edges() in two steps, so that s->edges can go before the
 * families grow (at 16,384 keys the records are 0.9 MB of a snapshot's
 * peak): snapshot_edges_decode() reads s->edges and s->targets into
 * rows of its own (NULL, errno set and err filled, on failure; adds to
 * *skipped); snapshot_edges_fmt() adds their families to pf;
 * snapshot_edges_free() frees them (NULL is fine).
 */
struct snapshot_edges;
struct snapshot_edges *snapshot_edges_decode(const struct snapshot *s,
					     size_t *skipped, char *err,
					     size_t errlen);
int snapshot_edges_fmt(const struct snapshot_edges *e, struct promfile *pf,
		       char *err, size_t errlen);
void snapshot_edges_free(struct snapshot_edges *e);
int snapshot_fmt_others(const struct snapshot *s, struct promfile *pf,
			size_t *skipped, char *err, size_t errlen);

#endif
