/* SPDX-License-Identifier: MIT */
#include "snapshot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROCESS_MAX (BPF_SNAP_NAME_LEN + 1)
#define DST_MAX	    48

int decode_addr(uint8_t family, const uint8_t daddr[16], char *buf, size_t len)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	const void *a = daddr;
	int af = AF_INET;

	if (family == BPF_SNAP_AF_INET6) {
		if (!memcmp(daddr, mapped, sizeof mapped))
			a = daddr + 12;
		else
			af = AF_INET6;
	} else if (family != BPF_SNAP_AF_INET) {
		errno = EINVAL;
		return -1;
	}
	if (!inet_ntop(af, a, buf, (socklen_t)len))
		return -1;
	return 0;
}

const char *decode_proto(uint8_t proto)
{
	switch (proto) {
	case BPF_SNAP_PROTO_TCP:
		return "tcp";
	case BPF_SNAP_PROTO_UDP:
		return "udp";
	}
	return NULL;
}

static size_t bounded_len(const char *s, size_t max)
{
	const char *nul = memchr(s, '\0', max);

	return nul ? (size_t)(nul - s) : max;
}

int decode_process(const struct bpf_snap_key *key,
		   const struct bpf_snap_target *targets, size_t n_targets,
		   char *buf, size_t len)
{
	const char *src = NULL;
	size_t n = 0;

	if (key->target == 0) {
		src = key->comm;
		n = bounded_len(key->comm, sizeof key->comm);
	} else {
		for (size_t i = 0; i < n_targets; i++)
			if (targets[i].id == key->target) {
				src = targets[i].name;
				n = bounded_len(targets[i].name,
						sizeof targets[i].name);
				break;
			}
	}
	if (!src || n == 0 || n >= len) {
		errno = src && n ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(buf, src, n);
	buf[n] = '\0';
	return 0;
}

void compute_histogram(const struct bpf_snap_hist *src, struct histogram *h)
{
	double le[SNAPSHOT_LE_N];

	for (unsigned i = 0; i < SNAPSHOT_LE_N; i++)
		le[i] = ldexp(1.0, (int)(SNAPSHOT_LE_FIRST_SLOT + i)) / 1e9;
	histogram_init(h, le, SNAPSHOT_LE_N);
	for (unsigned s = 0; s < BPF_SNAP_SLOTS; s++) {
		uint64_t c = src->slots[s];

		if (s <= SNAPSHOT_LE_FIRST_SLOT)
			h->bucket[0] += c;
		else if (s <= SNAPSHOT_LE_LAST_SLOT)
			h->bucket[s - SNAPSHOT_LE_FIRST_SLOT] += c;
		/* The count is the sum of the slots: the kernel keeps no
		 * separate count (one atomic add fewer per event), and so
		 * no snapshot can show a bucket above +Inf. */
		h->count += c;
	}
	h->sum = (double)src->sum_ns / 1e9;
}

void compute_histogram_merge(struct histogram *dst, const struct histogram *src)
{
	for (unsigned i = 0; i < dst->n && i < src->n; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
}

/* One decoded key, with what it points at. */
struct row {
	char process[PROCESS_MAX];
	char dst[DST_MAX];
	const char *proto;
	uint16_t dport;
	uint64_t count, failures;
	const struct bpf_snap_hist *hist;
};

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	int c = strcmp(a->process, b->process);

	if (c)
		return c;
	if ((c = strcmp(a->proto, b->proto)))
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	return strcmp(a->dst, b->dst);
}

static int same_port(const struct row *a, const struct row *b)
{
	return !strcmp(a->process, b->process) && !strcmp(a->proto, b->proto) &&
	       a->dport == b->dport;
}

static int decode_row(const struct snapshot *s, const struct bpf_snap_key *k,
		      struct row *r)
{
	memset(r, 0, sizeof *r);
	r->proto = decode_proto(k->proto);
	if (!r->proto ||
	    decode_addr(k->family, k->daddr, r->dst, sizeof r->dst) < 0 ||
	    decode_process(k, s->targets, s->n_targets, r->process,
			   sizeof r->process) < 0)
		return -1;
	r->dport = k->dport;
	return 0;
}

static int fail(struct promfile *pf, char *err, size_t errlen, const char *what)
{
	int e = errno;

	snprintf(err, errlen, "%s: %s", what,
		 pf ? promfile_error(pf) : strerror(e));
	errno = e;
	return -1;
}

static int fmt_edges(const struct snapshot *s, struct promfile *pf,
		     size_t *skipped, char *err, size_t errlen)
{
	struct row *rows = NULL;
	size_t n = 0, i, j;
	char port[8];
	int rc = -1;

	if (s->n_edges) {
		rows = calloc(s->n_edges, sizeof *rows);
		if (!rows) {
			fail(NULL, err, errlen, "edges");
			goto out;
		}
	}
	for (i = 0; i < s->n_edges; i++) {
		if (decode_row(s, &s->edges[i].key, &rows[n]) < 0) {
			(*skipped)++;
			continue;
		}
		rows[n].count = s->edges[i].val.count;
		rows[n].failures = s->edges[i].val.failures;
		n++;
	}
	if (n)
		qsort(rows, n, sizeof *rows, row_cmp);
	/* Fold rows with equal labels into the first of them. */
	for (i = 0, j = 0; i < n; i++) {
		if (j && !row_cmp(&rows[j - 1], &rows[i])) {
			rows[j - 1].count += rows[i].count;
			rows[j - 1].failures += rows[i].failures;
		} else {
			rows[j++] = rows[i];
		}
	}
	n = j;
	for (i = 0; i < n; i++) {
		snprintf(port, sizeof port, "%u", rows[i].dport);
		if (promfile_add(pf, "netagent_edge_total",
				 (double)rows[i].count, "process",
				 rows[i].process, "proto", rows[i].proto,
				 "dport", port, "dst_ip", rows[i].dst, NULL)) {
			fail(pf, err, errlen, "netagent_edge_total");
			goto out;
		}
	}
	for (i = 0; i < n; i = j) {
		uint64_t count = 0, failures = 0;

		for (j = i; j < n && same_port(&rows[i], &rows[j]); j++) {
			count += rows[j].count;
			failures += rows[j].failures;
		}
		snprintf(port, sizeof port, "%u", rows[i].dport);
		if (promfile_add(pf, "netagent_connect_total", (double)count,
				 "process", rows[i].process, "proto",
				 rows[i].proto, "dport", port, NULL)) {
			fail(pf, err, errlen, "netagent_connect_total");
			goto out;
		}
		if (strcmp(rows[i].proto, "tcp"))
			continue;
		if (promfile_add(pf, "netagent_connect_failures_total",
				 (double)failures, "process", rows[i].process,
				 "dport", port, NULL)) {
			fail(pf, err, errlen,
			     "netagent_connect_failures_total");
			goto out;
		}
	}
	rc = 0;
out:
	free(rows);
	return rc;
}

/* by_dst: one series per destination (tx durations); otherwise one per
 * process and port (connect durations, TCP only). */
static int fmt_hists(const struct snapshot *s, const struct snap_hist *src,
		     size_t n_src, const char *name, int by_dst,
		     struct promfile *pf, size_t *skipped, char *err,
		     size_t errlen)
{
	struct row *rows = NULL;
	size_t n = 0, i, j;
	char port[8];
	int rc = -1;

	if (n_src) {
		rows = calloc(n_src, sizeof *rows);
		if (!rows) {
			fail(NULL, err, errlen, name);
			goto out;
		}
	}
	for (i = 0; i < n_src; i++) {
		if (decode_row(s, &src[i].key, &rows[n]) < 0 ||
		    (!by_dst && src[i].key.proto != BPF_SNAP_PROTO_TCP)) {
			(*skipped)++;
			continue;
		}
		rows[n].hist = &src[i].val;
		if (!by_dst)
			rows[n].dst[0] = '\0';
		n++;
	}
	if (n)
		qsort(rows, n, sizeof *rows, row_cmp);
	for (i = 0; i < n; i = j) {
		struct histogram acc, one;
		int r;

		compute_histogram(rows[i].hist, &acc);
		for (j = i + 1; j < n && !row_cmp(&rows[i], &rows[j]); j++) {
			compute_histogram(rows[j].hist, &one);
			compute_histogram_merge(&acc, &one);
		}
		snprintf(port, sizeof port, "%u", rows[i].dport);
		if (by_dst)
			r = promfile_add_histogram(pf, name, &acc, "process",
						   rows[i].process, "proto",
						   rows[i].proto, "dport", port,
						   "dst_ip", rows[i].dst, NULL);
		else
			r = promfile_add_histogram(pf, name, &acc, "process",
						   rows[i].process, "dport",
						   port, NULL);
		if (r) {
			fail(pf, err, errlen, name);
			goto out;
		}
	}
	rc = 0;
out:
	free(rows);
	return rc;
}

static int fmt_maps(const struct snapshot *s, struct promfile *pf, char *err,
		    size_t errlen)
{
	for (size_t i = 0; i < s->n_maps && i < SNAPSHOT_MAX_MAPS; i++) {
		const struct snap_map *m = &s->maps[i];

		if (promfile_add(pf, "bpf_snap_map_entries", (double)m->entries,
				 "map", m->name, NULL) ||
		    promfile_add(pf, "bpf_snap_map_capacity",
				 (double)m->capacity, "map", m->name, NULL) ||
		    (m->has_dropped &&
		     promfile_add(pf, "bpf_snap_dropped_keys_total",
				  (double)m->dropped, "map", m->name, NULL)))
			return fail(pf, err, errlen, "bpf_snap_map");
	}
	if (promfile_add(pf, "bpf_snap_attached", 1, NULL))
		return fail(pf, err, errlen, "bpf_snap_attached");
	if (!isnan(s->attached_since) &&
	    promfile_add(pf, "bpf_snap_attached_since_timestamp_seconds",
			 s->attached_since, NULL))
		return fail(pf, err, errlen,
			    "bpf_snap_attached_since_timestamp_seconds");
	return 0;
}

int snapshot_fmt(const struct snapshot *s, struct promfile *pf, size_t *skipped,
		 char *err, size_t errlen)
{
	size_t dummy = 0;

	if (!skipped)
		skipped = &dummy;
	*skipped = 0;
	if (fmt_edges(s, pf, skipped, err, errlen) < 0 ||
	    fmt_hists(s, s->conn, s->n_conn,
		      "netagent_connect_duration_seconds", 0, pf, skipped, err,
		      errlen) < 0 ||
	    fmt_hists(s, s->tx, s->n_tx, "netagent_tx_duration_seconds", 1, pf,
		      skipped, err, errlen) < 0 ||
	    fmt_maps(s, pf, err, errlen) < 0)
		return -1;
	return 0;
}
