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

/* Decimal digits of v (0..65535) at p; returns how many. */
static size_t put_uint(char *p, unsigned v)
{
	size_t n = v < 10	 ? 1
		   : v < 100	 ? 2
		   : v < 1000	 ? 3
		   : v < 10000 ? 4
				 : 5;

	for (size_t i = n; i-- > 0; v /= 10)
		p[i] = (char)('0' + v % 10);
	return n;
}

/* What inet_ntop(AF_INET) writes, without its sprintf: a snapshot of a
 * full map formats 16,384 addresses, and inet_ntop was a tenth of its
 * instructions. */
static int ipv4_text(const uint8_t a[4], char *buf, size_t len)
{
	char t[16];
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			t[n++] = '.';
		n += put_uint(t + n, a[i]);
	}
	if (n + 1 > len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, t, n);
	buf[n] = '\0';
	return 0;
}

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
	if (af == AF_INET)
		return ipv4_text(a, buf, len);
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

/*
 * The label texts of the decoded rows, in one growing buffer that the
 * rows point into by offset: 16,384 rows then take 32 bytes each plus
 * their text (an IPv4 address is ~12 bytes; a process name is stored
 * once per run of equal names), where fixed 160-byte records took 2.6 MB.
 * Offset 0 is the empty string.
 */
struct text {
	char *p;
	size_t len, cap;
};

static int text_add(struct text *t, const char *str, uint32_t *off)
{
	size_t n = strlen(str) + 1;

	if (t->len + n > UINT32_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *q;

		while (cap < t->len + n)
			cap *= 2;
		q = realloc(t->p, cap);
		if (!q)
			return -1;
		t->p = q;
		t->cap = cap;
	}
	memcpy(t->p + t->len, str, n);
	*off = (uint32_t)t->len;
	t->len += n;
	return 0;
}

/* One decoded key, with what it points at. */
struct row {
	uint32_t process, dst; /* offsets into struct text */
	uint16_t dport;
	uint8_t proto; /* BPF_SNAP_PROTO_*, decodes to a name */
	union {
		struct {
			uint64_t count, failures;
		} c;				  /* edges */
		const struct bpf_snap_hist *hist; /* histograms */
	} v;
};

static int row_cmp(const void *pa, const void *pb, void *arg)
{
	const struct row *a = pa, *b = pb;
	const char *text = arg;
	int c;

	if (a->process != b->process &&
	    (c = strcmp(text + a->process, text + b->process)))
		return c;
	if (a->proto != b->proto &&
	    (c = strcmp(decode_proto(a->proto), decode_proto(b->proto))))
		return c;
	if (a->dport != b->dport)
		return a->dport < b->dport ? -1 : 1;
	if (a->dst == b->dst)
		return 0;
	return strcmp(text + a->dst, text + b->dst);
}

/*
 * Sorting 16,384 rows with qsort_r was a tenth of a snapshot's
 * instructions, nearly all in the merge sort's calls and copies.  Rows
 * are placed instead by a radix sort on a 64-bit key that orders them
 * as row_cmp does up to the destination (rank of the process name,
 * protocol, port); only rows with equal keys are then sorted among
 * themselves with row_cmp, on their destinations.
 */
struct sortkey {
	uint64_t key;
	size_t i;
};

static int by_name(const void *pa, const void *pb, void *arg)
{
	const uint32_t *a = pa, *b = pb;
	const char *text = arg;

	return strcmp(text + *a, text + *b);
}

/* Index of the first name in sorted names[] equal to name. */
static size_t name_rank(const uint32_t *names, size_t n, const char *text,
			const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(text + names[mid], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void sort_rows(struct row *rows, size_t n, const char *text)
{
	uint32_t *names = NULL;
	struct sortkey *k = NULL, *tmp = NULL;
	struct row *out = NULL;
	size_t nn = 0, i, a;
	uint64_t maxkey = 0;

	if (n < 64)
		goto fallback;
	names = malloc(n * sizeof *names);
	k = malloc(n * sizeof *k);
	tmp = malloc(n * sizeof *tmp);
	out = malloc(n * sizeof *out);
	if (!names || !k || !tmp || !out)
		goto fallback;
	for (i = 0; i < n; i++)
		if (!nn || names[nn - 1] != rows[i].process)
			names[nn++] = rows[i].process;
	qsort_r(names, nn, sizeof *names, by_name, (void *)text);
	for (i = 0; i < n; i++) {
		/* decode_row lets only TCP and UDP through: "tcp" < "udp". */
		uint64_t rank =
		    name_rank(names, nn, text, text + rows[i].process);

		k[i].key = rank << 17 |
			   (uint64_t)(rows[i].proto != BPF_SNAP_PROTO_TCP)
			       << 16 |
			   rows[i].dport;
		k[i].i = i;
		if (k[i].key > maxkey)
			maxkey = k[i].key;
	}
	/* LSD radix sort, 11 bits a pass, stable. */
	for (unsigned shift = 0; shift < 64 && (maxkey >> shift); shift += 11) {
		size_t count[2049] = {0};
		struct sortkey *sw;

		for (i = 0; i < n; i++)
			count[((k[i].key >> shift) & 2047) + 1]++;
		for (i = 1; i < 2049; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			tmp[count[(k[i].key >> shift) & 2047]++] = k[i];
		sw = k;
		k = tmp;
		tmp = sw;
	}
	for (i = 0; i < n; i++)
		out[i] = rows[k[i].i];
	for (a = 0; a < n; a = i) {
		for (i = a + 1; i < n && k[i].key == k[a].key; i++)
			;
		if (i - a > 1)
			qsort_r(out + a, i - a, sizeof *out, row_cmp,
				(void *)text);
	}
	memcpy(rows, out, n * sizeof *rows);
	goto out;
fallback:
	qsort_r(rows, n, sizeof *rows, row_cmp, (void *)text);
out:
	free(names);
	free(k);
	free(tmp);
	free(out);
}

static int same_port(const struct row *a, const struct row *b, const char *text)
{
	return (a->process == b->process ||
		!strcmp(text + a->process, text + b->process)) &&
	       a->proto == b->proto && a->dport == b->dport;
}

/* Decodes k into r, its texts added to t (with_dst: the address too, else
 * the empty string).  *last is the offset of the previous row's process,
 * reused when the name is the same.  -1 if the key does not decode, -2
 * (errno set) if out of memory. */
static int decode_row(const struct snapshot *s, const struct bpf_snap_key *k,
		      int with_dst, struct text *t, uint32_t *last,
		      struct row *r)
{
	char process[PROCESS_MAX], dst[DST_MAX];

	memset(r, 0, sizeof *r);
	if (!decode_proto(k->proto) ||
	    decode_addr(k->family, k->daddr, dst, sizeof dst) < 0 ||
	    decode_process(k, s->targets, s->n_targets, process,
			   sizeof process) < 0)
		return -1;
	r->proto = k->proto;
	r->dport = k->dport;
	if (*last && !strcmp(t->p + *last, process))
		r->process = *last;
	else if (text_add(t, process, &r->process) < 0)
		return -2;
	*last = r->process;
	if (with_dst && text_add(t, dst, &r->dst) < 0)
		return -2;
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

static void port_text(char buf[8], uint16_t port)
{
	buf[put_uint(buf, port)] = '\0';
}

struct snapshot_edges {
	struct row *rows;
	size_t n;
	struct text t;
};

void snapshot_edges_free(struct snapshot_edges *e)
{
	if (!e)
		return;
	free(e->rows);
	free(e->t.p);
	free(e);
}

struct snapshot_edges *snapshot_edges_decode(const struct snapshot *s,
					     size_t *skipped, char *err,
					     size_t errlen)
{
	struct snapshot_edges *e = calloc(1, sizeof *e);
	struct row *rows = NULL;
	uint32_t last = 0, empty;
	size_t n = 0, i, j;

	if (!e || text_add(&e->t, "", &empty) < 0 ||
	    (s->n_edges &&
	     !(e->rows = rows = malloc(s->n_edges * sizeof *rows))))
		goto fail;
	for (i = 0; i < s->n_edges; i++) {
		int r = decode_row(s, &s->edges[i].key, 1, &e->t, &last,
				   &rows[n]);

		if (r == -2)
			goto fail;
		if (r < 0) {
			(*skipped)++;
			continue;
		}
		rows[n].v.c.count = s->edges[i].val.count;
		rows[n].v.c.failures = s->edges[i].val.failures;
		n++;
	}
	if (n)
		sort_rows(rows, n, e->t.p);
	/* Fold rows with equal labels into the first of them. */
	for (i = 0, j = 0; i < n; i++) {
		if (j && !row_cmp(&rows[j - 1], &rows[i], e->t.p)) {
			rows[j - 1].v.c.count += rows[i].v.c.count;
			rows[j - 1].v.c.failures += rows[i].v.c.failures;
		} else {
			rows[j++] = rows[i];
		}
	}
	e->n = j;
	return e;
fail:
	fail(NULL, err, errlen, "edges");
	snapshot_edges_free(e);
	return NULL;
}

int snapshot_edges_fmt(const struct snapshot_edges *e, struct promfile *pf,
		       char *err, size_t errlen)
{
	const struct row *rows = e->rows;
	const char *text = e->t.p;
	size_t n = e->n, i, j;
	char port[8];

	for (i = 0; i < n; i++) {
		port_text(port, rows[i].dport);
		if (promfile_add(pf, "netagent_edge_total",
				 (double)rows[i].v.c.count, "process",
				 text + rows[i].process, "proto",
				 decode_proto(rows[i].proto), "dport", port,
				 "dst_ip", text + rows[i].dst, NULL))
			return fail(pf, err, errlen, "netagent_edge_total");
	}
	for (i = 0; i < n; i = j) {
		uint64_t count = 0, failures = 0;

		for (j = i; j < n && same_port(&rows[i], &rows[j], text); j++) {
			count += rows[j].v.c.count;
			failures += rows[j].v.c.failures;
		}
		port_text(port, rows[i].dport);
		if (promfile_add(pf, "netagent_connect_total", (double)count,
				 "process", text + rows[i].process, "proto",
				 decode_proto(rows[i].proto), "dport", port,
				 NULL))
			return fail(pf, err, errlen,
				    "netagent_connect_total");
		if (rows[i].proto != BPF_SNAP_PROTO_TCP)
			continue;
		if (promfile_add(pf, "netagent_connect_failures_total",
				 (double)failures, "process",
				 text + rows[i].process, "dport", port, NULL))
			return fail(pf, err, errlen,
				    "netagent_connect_failures_total");
	}
	return 0;
}

/* by_dst: one series per destination (tx durations); otherwise one per
 * process and port (connect durations, TCP only). */
static int fmt_hists(const struct snapshot *s, const struct snap_hist *src,
		     size_t n_src, const char *name, int by_dst,
		     struct promfile *pf, size_t *skipped, char *err,
		     size_t errlen)
{
	struct row *rows = NULL;
	struct text t = {0};
	uint32_t last = 0, empty;
	size_t n = 0, i, j;
	char port[8];
	int rc = -1;

	if (text_add(&t, "", &empty) < 0 ||
	    (n_src && !(rows = malloc(n_src * sizeof *rows)))) {
		fail(NULL, err, errlen, name);
		goto out;
	}
	for (i = 0; i < n_src; i++) {
		int r;

		if (!by_dst && src[i].key.proto != BPF_SNAP_PROTO_TCP) {
			(*skipped)++;
			continue;
		}
		r = decode_row(s, &src[i].key, by_dst, &t, &last, &rows[n]);
		if (r == -2) {
			fail(NULL, err, errlen, name);
			goto out;
		}
		if (r < 0) {
			(*skipped)++;
			continue;
		}
		rows[n].v.hist = &src[i].val;
		n++;
	}
	if (n)
		sort_rows(rows, n, t.p);
	for (i = 0; i < n; i = j) {
		struct histogram acc, one;
		int r;

		compute_histogram(rows[i].v.hist, &acc);
		for (j = i + 1; j < n && !row_cmp(&rows[i], &rows[j], t.p);
		     j++) {
			compute_histogram(rows[j].v.hist, &one);
			compute_histogram_merge(&acc, &one);
		}
		port_text(port, rows[i].dport);
		if (by_dst)
			r = promfile_add_histogram(
			    pf, name, &acc, "process", t.p + rows[i].process,
			    "proto", decode_proto(rows[i].proto), "dport", port,
			    "dst_ip", t.p + rows[i].dst, NULL);
		else
			r = promfile_add_histogram(pf, name, &acc, "process",
						   t.p + rows[i].process,
						   "dport", port, NULL);
		if (r) {
			fail(pf, err, errlen, name);
			goto out;
		}
	}
	rc = 0;
out:
	free(rows);
	free(t.p);
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

int snapshot_fmt_edges(const struct snapshot *s, struct promfile *pf,
		       size_t *skipped, char *err, size_t errlen)
{
	struct snapshot_edges *e = snapshot_edges_decode(s, skipped, err,
							 errlen);
	int rc;

	if (!e)
		return -1;
	rc = snapshot_edges_fmt(e, pf, err, errlen);
	snapshot_edges_free(e);
	return rc;
}

int snapshot_fmt_others(const struct snapshot *s, struct promfile *pf,
			size_t *skipped, char *err, size_t errlen)
{
	if (fmt_hists(s, s->conn, s->n_conn,
		      "netagent_connect_duration_seconds", 0, pf, skipped, err,
		      errlen) < 0 ||
	    fmt_hists(s, s->tx, s->n_tx, "netagent_tx_duration_seconds", 1, pf,
		      skipped, err, errlen) < 0 ||
	    fmt_maps(s, pf, err, errlen) < 0)
		return -1;
	return 0;
}

int snapshot_fmt(const struct snapshot *s, struct promfile *pf, size_t *skipped,
		 char *err, size_t errlen)
{
	size_t dummy = 0;

	if (!skipped)
		skipped = &dummy;
	*skipped = 0;
	if (snapshot_fmt_edges(s, pf, skipped, err, errlen) < 0 ||
	    snapshot_fmt_others(s, pf, skipped, err, errlen) < 0)
		return -1;
	return 0;
}
