/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cmd/bpf-snap/snapshot.c: key decoding, IPv4-mapped
 * normalisation, log2-slot to histogram conversion, and the whole
 * map-records-to-.prom formatting on fixture records
 * (tests/fixtures/bpf-snap/snapshot/<case>/{input,expected}).
 *
 * Fixture input, one record per line (# comments):
 *   target ID NAME
 *   edge TARGET COMM PROTO FAMILY DADDR DPORT COUNT FAILURES
 *   conn|tx TARGET COMM PROTO FAMILY DADDR DPORT SUM_NS SLOT:N,SLOT:N...
 *   map NAME ENTRIES CAPACITY [DROPPED]
 *   since UNIX_SECONDS
 *   skipped N                 (the number of rows snapshot_fmt must skip)
 * DADDR is the 16 raw key bytes in hex (32 digits), exactly as the kernel
 * stores them; COMM is "-" for none, %XX escapes any byte.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/bpf-snap/snapshot.h"

static void unpct(const char *s, char *out, size_t len)
{
	size_t o = 0;

	memset(out, 0, len);
	if (!strcmp(s, "-"))
		return;
	for (; *s && o < len; s++) {
		unsigned v;

		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
			out[o++] = (char)v;
			s += 2;
		} else {
			out[o++] = *s;
		}
	}
}

static void parse_key(char **tok, struct bpf_snap_key *k)
{
	unsigned t, proto, fam, port;

	memset(k, 0, sizeof *k);
	ck_assert_int_eq(sscanf(tok[0], "%u", &t), 1);
	k->target = t;
	unpct(tok[1], k->comm, sizeof k->comm);
	ck_assert_int_eq(sscanf(tok[2], "%u", &proto), 1);
	ck_assert_int_eq(sscanf(tok[3], "%u", &fam), 1);
	ck_assert_uint_eq(strlen(tok[4]), 32);
	for (int i = 0; i < 16; i++) {
		unsigned b;

		ck_assert_int_eq(sscanf(tok[4] + 2 * i, "%2x", &b), 1);
		k->daddr[i] = (uint8_t)b;
	}
	ck_assert_int_eq(sscanf(tok[5], "%u", &port), 1);
	k->proto = (uint8_t)proto;
	k->family = (uint8_t)fam;
	k->dport = (uint16_t)port;
}

struct fixture {
	struct snap_edge edges[512];
	struct snap_hist conn[128], tx[128];
	struct bpf_snap_target targets[16];
	struct snapshot s;
	char names[SNAPSHOT_MAX_MAPS][32];
	long skipped;
};

static void load_fixture(const char *name, struct fixture *fx)
{
	char path[1024], *text, *save = NULL, *line;

	tu_fixture_path(path, sizeof path, "bpf-snap/snapshot/%s/input", name);
	text = tu_fixture(NULL, "bpf-snap/snapshot/%s/input", name);

	memset(fx, 0, sizeof *fx);
	fx->s.attached_since = NAN;
	fx->s.edges = fx->edges;
	fx->s.conn = fx->conn;
	fx->s.tx = fx->tx;
	fx->s.targets = fx->targets;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tok[12], *ts = NULL;
		int n = 0;

		if (line[0] == '#' || !line[0])
			continue;
		for (char *t = strtok_r(line, " ", &ts); t && n < 12;
		     t = strtok_r(NULL, " ", &ts))
			tok[n++] = t;
		if (!strcmp(tok[0], "target")) {
			struct bpf_snap_target *t =
			    &fx->targets[fx->s.n_targets++];
			ck_assert_int_eq(n, 3);
			t->id = (uint32_t)atoi(tok[1]);
			unpct(tok[2], t->name, sizeof t->name);
		} else if (!strcmp(tok[0], "edge")) {
			struct snap_edge *e;

			ck_assert_uint_lt(fx->s.n_edges,
					  sizeof fx->edges /
					      sizeof fx->edges[0]);
			e = &fx->edges[fx->s.n_edges++];
			ck_assert_int_eq(n, 9);
			parse_key(tok + 1, &e->key);
			e->val.count = strtoull(tok[7], NULL, 10);
			e->val.failures = strtoull(tok[8], NULL, 10);
		} else if (!strcmp(tok[0], "conn") || !strcmp(tok[0], "tx")) {
			ck_assert_uint_lt(tok[0][0] == 'c' ? fx->s.n_conn
							   : fx->s.n_tx,
					  sizeof fx->conn / sizeof fx->conn[0]);
			struct snap_hist *h = tok[0][0] == 'c'
						  ? &fx->conn[fx->s.n_conn++]
						  : &fx->tx[fx->s.n_tx++];
			char *ss = NULL;
			ck_assert_int_eq(n, 9);
			parse_key(tok + 1, &h->key);
			h->val.sum_ns = strtoull(tok[7], NULL, 10);
			for (char *p = strtok_r(tok[8], ",", &ss); p;
			     p = strtok_r(NULL, ",", &ss)) {
				unsigned slot;
				unsigned long long c;
				ck_assert_int_eq(
				    sscanf(p, "%u:%llu", &slot, &c), 2);
				ck_assert_uint_lt(slot, BPF_SNAP_SLOTS);
				h->val.slots[slot] += c;
			}
		} else if (!strcmp(tok[0], "map")) {
			size_t i = fx->s.n_maps++;
			struct snap_map *m = &fx->s.maps[i];
			ck_assert(n == 4 || n == 5);
			snprintf(fx->names[i], sizeof fx->names[i], "%s",
				 tok[1]);
			m->name = fx->names[i];
			m->entries = strtoull(tok[2], NULL, 10);
			m->capacity = strtoull(tok[3], NULL, 10);
			if (n == 5) {
				m->has_dropped = 1;
				m->dropped = strtoull(tok[4], NULL, 10);
			}
		} else if (!strcmp(tok[0], "since")) {
			fx->s.attached_since = strtod(tok[1], NULL);
		} else if (!strcmp(tok[0], "skipped")) {
			fx->skipped = atol(tok[1]);
		} else {
			ck_abort_msg("%s: unknown record %s", path, tok[0]);
		}
	}
	free(text);
}

static const char *const cases[] = {"empty",	  "all_processes", "targets",
				    "histograms", "escaping",	   "many_rows"};

START_TEST(test_fixture)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	struct promfile *pf = promfile_new();
	char err[256];
	char *got, *want;
	size_t glen, wlen, skipped = 99;

	ck_assert_ptr_nonnull(fx);
	load_fixture(cases[_i], fx);
	ck_assert_int_eq(snapshot_fmt(&fx->s, pf, &skipped, err, sizeof err),
			 0);
	ck_assert_uint_eq(skipped, (size_t)fx->skipped);
	ck_assert_int_eq(promfile_render(pf, &got, &glen), 0);
	/* To refresh a fixture after a deliberate change (then review
	 * the diff): BPF_SNAP_UPDATE=1 CK_FORK=no check_bpf_snapshot */
	if (getenv("BPF_SNAP_UPDATE")) {
		char ex[1024];
		FILE *f;

		tu_fixture_path(ex, sizeof ex, "bpf-snap/snapshot/%s/expected",
				cases[_i]);
		f = fopen(ex, "wb");
		ck_assert_ptr_nonnull(f);
		fwrite(got, 1, glen, f);
		fclose(f);
	}
	want = tu_fixture(&wlen, "bpf-snap/snapshot/%s/expected", cases[_i]);
	if (glen != wlen || memcmp(got, want, wlen))
		fputs(got, stderr);
	ck_assert_msg(glen == wlen && !memcmp(got, want, wlen),
		      "%s: output differs from expected (got it on stderr)",
		      cases[_i]);
	free(got);
	free(want);
	promfile_free(pf);
	free(fx);
}
END_TEST

static const struct {
	uint8_t family;
	uint8_t addr[16];
	const char *want; /* NULL: must fail */
} addrs[] = {
    {BPF_SNAP_AF_INET, {127, 0, 0, 1}, "127.0.0.1"},
    /* Bytes after the first four are ignored for IPv4. */
    {BPF_SNAP_AF_INET, {198, 18, 0, 2, 9, 9}, "198.18.0.2"},
    {BPF_SNAP_AF_INET6, {[15] = 1}, "::1"},
    {BPF_SNAP_AF_INET6, {[10] = 0xff, [11] = 0xff, 127, 0, 0, 1}, "127.0.0.1"},
    /* 0xffff one group early is not the v4-mapped prefix. */
    {BPF_SNAP_AF_INET6,
     {[8] = 0xff, [9] = 0xff, 127, 0, 0, 1, 2, 3},
     "::ffff:7f00:1:203"},
    {BPF_SNAP_AF_INET6, {0xfd, 0, [15] = 2}, "fd00::2"},
    {BPF_SNAP_AF_INET6, {0}, "::"},
    {0, {0}, NULL},
    {1, {127, 0, 0, 1}, NULL},
};

START_TEST(test_decode_addr)
{
	char buf[64];
	int r = decode_addr(addrs[_i].family, addrs[_i].addr, buf, sizeof buf);

	if (!addrs[_i].want) {
		ck_assert_int_eq(r, -1);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(buf, addrs[_i].want);
}
END_TEST

START_TEST(test_decode_addr_small_buffer)
{
	uint8_t a[16] = {0xfd, 0, [15] = 2};
	char buf[4];

	ck_assert_int_eq(decode_addr(BPF_SNAP_AF_INET6, a, buf, sizeof buf),
			 -1);
}
END_TEST

START_TEST(test_decode_process)
{
	struct bpf_snap_target t[2] = {{.id = 1, .name = "app"},
				       {.id = 7, .name = "db"}};
	struct bpf_snap_key k = {0};
	char buf[80];

	memcpy(k.comm, "0123456789abcdef", 16); /* no NUL: all 16 bytes */
	ck_assert_int_eq(decode_process(&k, t, 2, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "0123456789abcdef");
	ck_assert_int_eq(decode_process(&k, t, 2, buf, 16), -1);
	k.target = 7;
	ck_assert_int_eq(decode_process(&k, t, 2, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "db");
	k.target = 3;
	ck_assert_int_eq(decode_process(&k, t, 2, buf, sizeof buf), -1);
	ck_assert_int_eq(errno, ENOENT);
	memset(&k, 0, sizeof k);
	ck_assert_int_eq(decode_process(&k, t, 2, buf, sizeof buf), -1);
}
END_TEST

START_TEST(test_decode_proto)
{
	ck_assert_str_eq(decode_proto(6), "tcp");
	ck_assert_str_eq(decode_proto(17), "udp");
	ck_assert_ptr_null(decode_proto(132));
}
END_TEST

/* The kernel's slot function, compiled here from bpf_snap.h. */
static const struct {
	uint64_t ns;
	uint32_t slot;
} slots[] = {
    {0, 0},
    {1, 0},
    {2, 1},
    {3, 2},
    {4, 2},
    {5, 3},
    {8192, 13},
    {8193, 14},
    {10000, 14},
    {16384, 14},
    {1000000000, 30},
    {1073741824, 30},
    {1073741825, 31},
    {17179869184ULL, 34},
    {17179869185ULL, 35},
    {1ULL << 39, 39},
    {(1ULL << 39) + 1, 39},
    {UINT64_MAX, 39},
};

START_TEST(test_slot)
{
	ck_assert_uint_eq(bpf_snap_slot(slots[_i].ns), slots[_i].slot);
}
END_TEST

START_TEST(test_compute_histogram)
{
	struct bpf_snap_hist src = {0};
	struct histogram h;

	src.slots[0] = 1;  /* <= 1 ns: first bucket */
	src.slots[13] = 2; /* <= 8.192 us: first bucket */
	src.slots[14] = 3; /* second bucket */
	src.slots[30] = 4; /* <= 1.073741824 s */
	src.slots[34] = 5; /* last bucket, 17.179869184 s */
	src.slots[35] = 6; /* above: only +Inf */
	src.slots[39] = 7;
	src.sum_ns = 1500000000;
	src.reserved = 5; /* not a count: ignored */
	compute_histogram(&src, &h);
	ck_assert_uint_eq(h.n, SNAPSHOT_LE_N);
	ck_assert_double_eq(h.le[0], 8192e-9);
	ck_assert_double_eq(h.le[SNAPSHOT_LE_N - 1], 17179869184e-9);
	ck_assert_uint_eq(h.bucket[0], 3);
	ck_assert_uint_eq(h.bucket[1], 3);
	ck_assert_uint_eq(h.bucket[30 - 13], 4);
	ck_assert_uint_eq(h.bucket[SNAPSHOT_LE_N - 1], 5);
	ck_assert_uint_eq(h.count, 28);
	ck_assert_double_eq(h.sum, 1.5);
	for (unsigned i = 1; i < h.n; i++)
		ck_assert_double_eq(h.le[i], 2 * h.le[i - 1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_snapshot");
	TCase *tc = tcase_create("decode");

	tcase_add_loop_test(tc, test_decode_addr, 0,
			    sizeof addrs / sizeof addrs[0]);
	tcase_add_test(tc, test_decode_addr_small_buffer);
	tcase_add_test(tc, test_decode_process);
	tcase_add_test(tc, test_decode_proto);
	tcase_add_loop_test(tc, test_slot, 0, sizeof slots / sizeof slots[0]);
	tcase_add_test(tc, test_compute_histogram);
	suite_add_tcase(s, tc);
	tc = tcase_create("fixtures");
	tcase_add_loop_test(tc, test_fixture, 0,
			    sizeof cases / sizeof cases[0]);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
