/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cmd/tcpping-burst/fmt.c.  Fixture cases under
 * $PROMSNAP_FIXTURES/tcpping-burst/fmt/<case>/: input is the state a
 * previous run left; the test runs one fixed, synthetic burst for targets
 * "a" (127.0.0.1:4000) and "b" (now 127.0.0.9:4000, so its counters
 * restart) and compares the whole .prom (expected) and the state written
 * (expected-state) byte for byte.  In "corrupt", a's counters do not parse
 * (a's numbers restart) and b's RTO line is unusable (only the RTO starts
 * over, b's counters go on).
 */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/tcpping-burst/fmt.h"

/* PROMSNAP_REGEN=1 writes the outputs as the new expected files, to be
 * reviewed by hand before they are committed. */
static void compare(const char *got, const char *name, const char *file)
{
	char path[1024], *want;

	tu_fixture_path(path, sizeof path, "tcpping-burst/fmt/%s/%s", name,
			file);
	if (getenv("PROMSNAP_REGEN")) {
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		fclose(f);
	}
	want = tu_fixture(NULL, "tcpping-burst/fmt/%s/%s", name, file);
	/* ck_assert_str_eq cannot carry messages this long. */
	ck_assert_msg(!strcmp(got, want), "%s differs", path);
	free(want);
}

static const char *const cases[] = {"burst-after-state", "fresh",
				    "corrupt"};
static const struct rto_params P = {.initial = 1, .min = 0.01, .max = 5,
				    .granularity = 1e-6, .adaptive = 1};

/* Three probes: answered after 100 us and 3 ms, the third times out. */
static void synthetic_burst(struct tstats *s, struct session *se,
			    struct slot *slots)
{
	uint8_t b[3][WIRE_PROBE_LEN];
	double rtt;

	session_init(se, slots, 3, 1000, 50.0, 0.1, &s->rto, &P);
	session_send(se, 50.0, 7, b[0]);
	if (session_on_echo(se, b[0], 50.0001, &rtt) == ECHO_RECEIVED)
		histogram_observe(&s->hist, rtt);
	session_send(se, 50.1, 8, b[1]);
	if (session_on_echo(se, b[1], 50.103, &rtt) == ECHO_RECEIVED)
		histogram_observe(&s->hist, rtt);
	session_send(se, 50.2, 9, b[2]);
	session_expire(se, 60);
}

START_TEST(test_fixture)
{
	char err[256], *in, *got, *state;
	size_t inlen, len;
	struct statefile *st = statefile_new_memory("tcpping-burst");
	struct promfile *pf = promfile_new();
	struct target_list l = {0};
	struct target t;

	in = tu_fixture(&inlen, "tcpping-burst/fmt/%s/input", cases[_i]);
	ck_assert_int_eq(statefile_parse(st, in, inlen, err, sizeof err), 0);
	target_parse_spec("a=127.0.0.1:4000", &t, err, sizeof err);
	targets_add(&l, &t, err, sizeof err);
	target_parse_spec("b=127.0.0.9:4000", &t, err, sizeof err);
	targets_add(&l, &t, err, sizeof err);
	for (size_t i = 0; i < l.n; i++) {
		struct tstats s;
		struct session se;
		struct slot slots[3];
		stats_load(st, &l.v[i], &P, MODE_ECHO, &s);
		synthetic_burst(&s, &se, slots);
		stats_add_burst(&s, &se, 1, 0);
		ck_assert_int_eq(stats_save(st, &l.v[i], &s), 0);
		ck_assert_int_eq(stats_fmt(pf, &l.v[i], &s), 0);
	}
	ck_assert_int_eq(stats_prune(st, &l), 0);
	ck_assert_int_eq(promfile_render(pf, &got, &len), 0);
	compare(got, cases[_i], "expected");
	free(got);
	ck_assert_int_eq(statefile_render(st, &state, &len), 0);
	compare(state, cases[_i], "expected-state");
	free(state);
	free(in);
	targets_free(&l);
	promfile_free(pf);
	statefile_close(st);
}
END_TEST

static const struct {
	double v;
	double le; /* the bucket it must land in; INFINITY: above all */
} bucketing[] = {
	{0.000005, 0.00001}, {0.00001, 0.00001}, /* le is inclusive */
	{0.00003, 0.00005},  {0.0001, 0.0001},	 {0.00012, 0.0002},
	{0.0035, 0.005},     {0.25, 0.5},	 {1.5, 2},
	{3, INFINITY},
};

START_TEST(test_bucketing)
{
	struct histogram h;
	unsigned i, got = tcpping_nbuckets;

	histogram_init(&h, tcpping_buckets, tcpping_nbuckets);
	histogram_observe(&h, bucketing[_i].v);
	for (i = 0; i < h.n; i++)
		if (h.bucket[i])
			got = i;
	if (isinf(bucketing[_i].le))
		ck_assert_uint_eq(got, tcpping_nbuckets);
	else
		ck_assert_double_eq(h.le[got], bucketing[_i].le);
	ck_assert_uint_eq(h.count, 1);
}
END_TEST

START_TEST(test_bucket_layout)
{
	/* 100 us .. about 2 s, log-spaced, at least 3 bounds per decade. */
	ck_assert_double_le(tcpping_buckets[0], 0.0001);
	ck_assert_double_ge(tcpping_buckets[tcpping_nbuckets - 1], 2);
	for (double d = 0.0001; d < 1; d *= 10) {
		int n = 0;
		for (unsigned i = 0; i < tcpping_nbuckets; i++)
			if (tcpping_buckets[i] > d * 1.0001 &&
			    tcpping_buckets[i] <= d * 10.0001)
				n++;
		ck_assert_int_ge(n, 3);
	}
}
END_TEST

START_TEST(test_summary)
{
	struct tstats s;
	struct session se;
	struct slot slots[3];
	struct target t;
	char err[128], buf[512];

	target_parse_spec("a=127.0.0.1:4000", &t, err, sizeof err);
	stats_init(&s, &P, MODE_ECHO);
	synthetic_burst(&s, &se, slots);
	summary_fmt(buf, sizeof buf, &t, &se, 1);
	ck_assert_str_eq(buf,
			 "--- a (127.0.0.1:4000) tcpping statistics ---\n"
			 "3 probes sent, 2 received, 33.3% loss\n"
			 "rtt min/avg/max/mdev = 0.100/1.550/3.000/1.450 ms\n");
	session_abort(&se);
	se.nsent = 0;
	se.received = 0;
	summary_fmt(buf, sizeof buf, &t, &se, 0);
	ck_assert_str_eq(buf,
			 "--- a (127.0.0.1:4000) tcpping statistics ---\n"
			 "0 probes sent, 0 received, 100.0% loss, connection "
			 "failed or lost\n");
}
END_TEST

/* The counters line and the histogram are written by hand; they must
 * read as printf's and histogram_to_string's would, down to the largest
 * value and zero. */
static const uint64_t counter_values[][6] = {
	{0, 0, 0, 0, 0, 0},
	{1, 9, 10, 99, 100, 12345},
	{30, 29, 1, 0, 1, 0},
	{UINT64_MAX, 10000000000000000000u, 9999999999999999999u,
	 1u << 31, 4294967296u, 18446744073709551614u},
};

START_TEST(test_counters_line)
{
	const uint64_t *v = counter_values[_i];
	struct statefile *st = statefile_new_memory("tcpping-burst");
	struct tstats s;
	struct target t;
	char err[128], want[1024];

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(target_parse_spec("a=127.0.0.1:4000", &t, err,
					   sizeof err), 0);
	stats_init(&s, &P, MODE_ECHO);
	s.sent = v[0], s.received = v[1], s.timeouts = v[2];
	s.dropped = v[3], s.late = v[4], s.garbage = v[5];
	ck_assert_int_eq(stats_save(st, &t, &s), 0);
	snprintf(want, sizeof want,
		 "sent=%" PRIu64 ",received=%" PRIu64 ",timeouts=%" PRIu64
		 ",dropped=%" PRIu64 ",late=%" PRIu64 ",garbage=%" PRIu64,
		 v[0], v[1], v[2], v[3], v[4], v[5]);
	ck_assert_str_eq(statefile_get(st, "t/a/counters"), want);

	/* Buckets from the same values, a sum that needs all 17 digits. */
	for (unsigned i = 0; i < s.hist.n; i++)
		s.hist.bucket[i] = v[i % 6];
	/* At least the buckets' total, which reading back checks. */
	s.hist.count = UINT64_MAX - (uint64_t)_i;
	s.hist.sum = _i ? 0.1 + 0.2 * _i : 0;
	ck_assert_int_eq(stats_save(st, &t, &s), 0);
	ck_assert_int_eq(histogram_to_string(&s.hist, want, sizeof want), 0);
	for (char *q = want; *q; q++)
		if (*q == ' ')
			*q = ',';
	ck_assert_str_eq(statefile_get(st, "t/a/rtt_hist"), want);
	ck_assert_str_eq(statefile_get(st, "t/a/connect_hist"),
			 "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0");
	/* And both read back. */
	stats_init(&s, &P, MODE_ECHO);
	ck_assert_int_eq(stats_load(st, &t, &P, MODE_ECHO, &s), 0);
	ck_assert_uint_eq(s.sent, v[0]);
	ck_assert_uint_eq(s.garbage, v[5]);
	ck_assert_uint_eq(s.hist.bucket[s.hist.n - 1], v[(s.hist.n - 1) % 6]);
	ck_assert(s.hist.sum == (_i ? 0.1 + 0.2 * _i : 0));
	statefile_close(st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcpping_fmt");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_fixture, 0,
			    (int)(sizeof cases / sizeof cases[0]));
	tcase_add_loop_test(tc, test_bucketing, 0,
			    (int)(sizeof bucketing / sizeof bucketing[0]));
	tcase_add_test(tc, test_bucket_layout);
	tcase_add_test(tc, test_summary);
	tcase_add_loop_test(tc, test_counters_line, 0,
			    (int)(sizeof counter_values /
				  sizeof counter_values[0]));
	suite_add_tcase(s, tc);
	return tu_run(s);
}
