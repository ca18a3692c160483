/* SPDX-License-Identifier: MIT */
/* Unit tests: route change detection, hop-count variance and latency
 * jitter on a hand-computed history; the state text forms; per-target
 * state (sent counters across runs, run counters, expiry). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/trace-once/route.h"
#include "../cmd/trace-once/tstate.h"
#include "statefile.h"

static struct mtr_report mk(const char *dst, const char *const *hosts,
			    const double *avgs, size_t n)
{
	struct mtr_report r;

	memset(&r, 0, sizeof r);
	snprintf(r.dst, sizeof r.dst, "%s", dst);
	r.tests = 10;
	r.nhops = n;
	for (size_t i = 0; i < n; i++) {
		struct mtr_hop *h = &r.hops[i];

		h->ttl = (int)i + 1;
		snprintf(h->host, sizeof h->host, "%s", hosts[i]);
		h->silent = !strcmp(hosts[i], "???");
		h->loss_pct = h->silent ? 100 : 0;
		h->sent = 10;
		h->avg = h->last = h->best = h->worst = avgs[i];
	}
	return r;
}

START_TEST(test_history_hand_computed)
{
	const char *h1[] = {"1.0.0.1", "12.81.92.10", "89.160.20.112"};
	const double a1[] = {1.0, 2.0, 3.0};
	const char *h2[] = {"1.0.0.1", "???", "89.160.20.112"};
	const double a2[] = {1.5, 0, 2.0};
	const char *h3[] = {"1.0.0.1", "18.0.0.1", "15.0.0.1", "89.160.20.112"};
	const double a3[] = {2.0, 2.5, 3.0, 4.0};
	struct mtr_report r1 = mk("89.160.20.112", h1, a1, 3);
	struct mtr_report r2 = mk("89.160.20.112", h2, a2, 3);
	struct mtr_report r3 = mk("89.160.20.112", h3, a3, 4);
	struct route_hist h;

	memset(&h, 0, sizeof h);
	compute_route_update(&h, NULL, &r1, 10, 1000);
	ck_assert_int_eq(h.changed, 0);
	ck_assert_uint_eq(h.changes, 0);
	ck_assert_double_eq(h.last_change, 1000);
	ck_assert_double_eq(h.jitter_ms, 0);

	/* The silent hop is a wildcard: same route.  Jitter over hops 1 and
	 * 3: (|1.5-1.0| + |2.0-3.0|) / 2 = 0.75. */
	compute_route_update(&h, &r1, &r2, 10, 1010);
	ck_assert_int_eq(h.changed, 0);
	ck_assert_uint_eq(h.changes, 0);
	ck_assert_double_eq(h.last_change, 1000);
	ck_assert_double_eq_tol(h.jitter_ms, 0.75, 1e-12);

	/* A new path: only hop 1 keeps its address, |2.0-1.5| = 0.5.  Hop
	 * counts 3,3,4: mean 10/3, variance 2/9. */
	compute_route_update(&h, &r2, &r3, 10, 1020);
	ck_assert_int_eq(h.changed, 1);
	ck_assert_uint_eq(h.changes, 1);
	ck_assert_double_eq(h.last_change, 1020);
	ck_assert_double_eq_tol(h.jitter_ms, 0.5, 1e-12);
	ck_assert_uint_eq(h.n, 3);
	ck_assert_double_eq_tol(compute_variance(h.counts, h.n), 2.0 / 9,
				1e-12);

	/* Same again with a history of 2: counts 4,4 after one more. */
	compute_route_update(&h, &r3, &r3, 2, 1030);
	ck_assert_int_eq(h.changed, 0);
	ck_assert_uint_eq(h.changes, 1);
	ck_assert_uint_eq(h.n, 2);
	ck_assert_double_eq(compute_variance(h.counts, h.n), 0);
	ck_assert_double_eq(h.jitter_ms, 0);
	/* Back to the first path: a second change, counts 4,3 var 0.25. */
	compute_route_update(&h, &r3, &r1, 2, 1040);
	ck_assert_uint_eq(h.changes, 2);
	ck_assert_double_eq(compute_variance(h.counts, h.n), 0.25);

	ck_assert_uint_eq(compute_path_id(&r1), compute_path_id(&r1));
	ck_assert_uint_ne(compute_path_id(&r1), compute_path_id(&r3));
	ck_assert_uint_ne(compute_path_id(&r1), compute_path_id(&r2));
	ck_assert_uint_le(compute_path_id(&r3), 0xffffffffffffULL);
}
END_TEST

START_TEST(test_reached)
{
	const char *h1[] = {"1.0.0.1", "89.160.20.112"};
	const char *h2[] = {"1.0.0.1", "???"};
	const char *h3[] = {"1.0.0.1", "12.81.92.10"};
	const double a[] = {1, 2};
	struct mtr_report r = mk("89.160.20.112", h1, a, 2);

	ck_assert_int_eq(compute_reached(&r), 1);
	r = mk("89.160.20.112", h2, a, 2);
	ck_assert_int_eq(compute_reached(&r), 0);
	r = mk("89.160.20.112", h3, a, 2);
	ck_assert_int_eq(compute_reached(&r), 0);
	r = mk("example.test", h3, a, 2); /* a name: last answering hop */
	ck_assert_int_eq(compute_reached(&r), 1);
	r = mk("2001:1700:0::1", (const char *[]){"2001:1700::1"}, a, 1);
	ck_assert_int_eq(compute_reached(&r), 1);
	r = mk("89.160.20.112", h1, a, 0);
	ck_assert_int_eq(compute_reached(&r), 0);
}
END_TEST

START_TEST(test_hist_text)
{
	struct route_hist h, g;
	char buf[1024];

	memset(&h, 0, sizeof h);
	h.changes = 3;
	h.last_change = 1795304200.5;
	h.changed = 1;
	h.jitter_ms = 0.125;
	h.n = 3;
	h.counts[0] = 5;
	h.counts[1] = 6;
	h.counts[2] = 5;
	ck_assert_int_eq(route_hist_encode(&h, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "3,1795304200.5,1,0.125,5/6/5");
	ck_assert_int_eq(route_hist_decode(buf, &g), 0);
	ck_assert_int_eq(memcmp(&h, &g, sizeof h), 0);
	ck_assert_int_eq(route_hist_encode(&h, buf, 10), -1);
	h.n = 0;
	ck_assert_int_eq(route_hist_encode(&h, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "3,1795304200.5,1,0.125,-");
	ck_assert_int_eq(route_hist_decode(buf, &g), 0);
	ck_assert_uint_eq(g.n, 0);
}
END_TEST

static const char *const bad_hist[] = {
    "",
    "x",
    "3",
    "3,1,1,0.1",
    "3,1,2,0.1,5",
    "3,1,1,0.1,5/",
    "3,1,1,0.1,5//6",
    "3,1,1,0.1,65",
    "3,-1,1,0.1,5",
    "3,1,1,nan,5",
    "-3,1,1,0.1,5",
    "3,1,1,0.1,5.5",
    "3,1,1,0.1,5 ",
    "3 1 1 0.1 5",
    "3,1,1,0.1,+5",
};

static const char *const bad_report[] = {
    "",
    "a",
    "a,b",
    "a,1;",
    "a,1;1,x,0,1,0,0,0,0",
    "a,1;0,x,0,1,0,0,0,0,0",
    "a,1;2,x,0,1,0,0,0,0,0;1,y,0,1,0,0,0,0,0",
    "a,1;1,x,101,1,0,0,0,0,0",
    "a,1;1,x,0,1,0,0,0,0,0,",
    "a,1;1,,0,1,0,0,0,0,0",
    "a 1;1 x 0 1 0 0 0 0 0",
};

START_TEST(test_hist_bad)
{
	struct route_hist g;

	ck_assert_int_eq(route_hist_decode(bad_hist[_i], &g), -1);
	ck_assert_uint_eq(g.n, 0);
	ck_assert_uint_eq(g.changes, 0);
}
END_TEST

START_TEST(test_report_bad)
{
	struct mtr_report r;

	ck_assert_int_eq(route_report_decode(bad_report[_i], &r), -1);
	ck_assert_uint_eq(r.nhops, 0);
}
END_TEST

START_TEST(test_tstate_runs)
{
	struct statefile *st = statefile_new_memory("trace-once");
	const char *h1[] = {"1.0.0.1", "89.160.20.112"};
	const char *h2[] = {"1.0.0.1", "18.0.0.1"};
	const double a[] = {1, 2};
	struct mtr_report r1 = mk("89.160.20.112", h1, a, 2);
	struct mtr_report r2 = mk("89.160.20.112", h2, a, 2);
	struct tstate ts, back;
	double sent[MTR_MAX_HOPS];

	tstate_load(st, "t1", &ts);
	ck_assert_double_eq(ts.last_run, -1);
	ck_assert_int_eq(ts.have_report, 0);
	ck_assert_int_eq(
	    tstate_record(st, "t1", &ts, TRACE_OK, &r1, 1, 250, 10, 1000, 1000),
	    0);
	ck_assert_int_eq(tstate_record(st, "t1", &ts, TRACE_TIMEOUT, NULL, 1,
				       9000, 10, 1010, 1010),
			 0);
	ck_assert_int_eq(
	    tstate_record(st, "t1", &ts, TRACE_OK, &r1, 1, 260, 10, 1020, 1020),
	    0);
	tstate_load(st, "t1", &back);
	ck_assert_int_eq(back.damaged, 0);
	ck_assert_double_eq(back.last_run, 1020);
	ck_assert_uint_eq(back.runs[TRACE_OK], 2);
	ck_assert_uint_eq(back.runs[TRACE_TIMEOUT], 1);
	ck_assert_int_eq(back.result, TRACE_OK);
	ck_assert_double_eq(back.duration_ms, 260);
	ck_assert_uint_eq(back.hist.n, 2);
	/* Two runs of 10 probes per hop: the counter kept growing. */
	tstate_sent(st, "t1", &back.rep, sent);
	ck_assert_double_eq(sent[0], 20);
	ck_assert_double_eq(sent[1], 20);
	ck_assert_str_eq(statefile_get(st, "sent/t1/2/89.160.20.112"),
			 "20,1020");
	/* The route changes; the old hop's counter stays (it may come
	 * back) until it expires a week later. */
	ck_assert_int_eq(
	    tstate_record(st, "t1", &ts, TRACE_OK, &r2, 1, 260, 10, 1030, 1030),
	    0);
	ck_assert_int_eq(ts.hist.changed, 1);
	ck_assert_ptr_nonnull(statefile_get(st, "sent/t1/2/89.160.20.112"));
	ck_assert_int_eq(tstate_record(st, "t1", &ts, TRACE_OK, &r2, 1, 260, 10,
				       1020 + TSTATE_SENT_EXPIRE + 1,
				       1020 + TSTATE_SENT_EXPIRE + 1),
			 0);
	ck_assert_ptr_null(statefile_get(st, "sent/t1/2/89.160.20.112"));
	ck_assert_str_eq(statefile_get(st, "sent/t1/1/1.0.0.1"), "40,605821");
	/* A damaged entry is ignored and reported. */
	statefile_set(st, "runs/t1", "1,2,x");
	tstate_load(st, "t1", &back);
	ck_assert_int_eq(back.damaged, 1);
	ck_assert_uint_eq(back.runs[TRACE_OK], 0);
	ck_assert_int_eq(back.have_report, 1);
	statefile_close(st);
}
END_TEST

/* A path flapping over many addresses: the state keeps a bounded number
 * of sent counters per target, the most recently seen. */
START_TEST(test_sent_cap)
{
	struct statefile *st = statefile_new_memory("trace-once");
	struct tstate ts;
	char host[64];
	double a[1] = {1};
	size_t n;

	tstate_load(st, "flappy", &ts);
	for (int i = 0; i < TSTATE_SENT_MAX + 10; i++) {
		const char *h[1] = {host};
		struct mtr_report r;

		snprintf(host, sizeof host, "18.0.%d.%d", i / 250, i % 250 + 1);
		r = mk("18.0.0.1", h, a, 1);
		ck_assert_int_eq(tstate_record(st, "flappy", &ts, TRACE_OK, &r,
					       1, 1, 10, 1000 + i, 1000 + i),
				 0);
	}
	n = statefile_count(st) - 5; /* last result runs report hist */
	ck_assert_uint_eq(n, TSTATE_SENT_MAX);
	ck_assert_ptr_null(statefile_get(st, "sent/flappy/1/18.0.0.1"));
	ck_assert_ptr_null(statefile_get(st, "sent/flappy/1/18.0.0.10"));
	ck_assert_ptr_nonnull(statefile_get(st, "sent/flappy/1/18.0.0.11"));
	snprintf(host, sizeof host, "18.0.%d.%d", (TSTATE_SENT_MAX + 9) / 250,
		 (TSTATE_SENT_MAX + 9) % 250 + 1);
	{
		char k[128];

		snprintf(k, sizeof k, "sent/flappy/1/%s", host);
		ck_assert_ptr_nonnull(statefile_get(st, k));
	}
	statefile_close(st);
}
END_TEST

START_TEST(test_prune_targets)
{
	struct statefile *st = statefile_new_memory("trace-once");
	const char *h[] = {"1.0.0.1"};
	const double a[] = {1};
	struct mtr_report r = mk("1.0.0.1", h, a, 1);
	const char *keep[] = {"kept"};
	struct tstate ts;

	tstate_load(st, "kept", &ts);
	tstate_record(st, "kept", &ts, TRACE_OK, &r, 1, 1, 10, 1000, 1000);
	tstate_load(st, "gone", &ts);
	tstate_record(st, "gone", &ts, TRACE_OK, &r, 1, 1, 10, 1000, 1000);
	tstate_load(st, "recent", &ts);
	tstate_record(st, "recent", &ts, TRACE_OK, &r, 1, 1, 10,
		      1000 + TSTATE_TARGET_EXPIRE, 1000 + TSTATE_TARGET_EXPIRE);
	/* Within the week nothing goes. */
	ck_assert_uint_eq(
	    tstate_prune_targets(st, keep, 1, 1000 + TSTATE_TARGET_EXPIRE), 0);
	ck_assert_uint_eq(
	    tstate_prune_targets(st, keep, 1, 1001 + TSTATE_TARGET_EXPIRE), 1);
	ck_assert_ptr_null(statefile_get(st, "runs/gone"));
	ck_assert_ptr_null(statefile_get(st, "last/gone"));
	ck_assert_ptr_null(statefile_get(st, "report/gone"));
	ck_assert_ptr_null(statefile_get(st, "hist/gone"));
	ck_assert_ptr_null(statefile_get(st, "result/gone"));
	ck_assert_ptr_null(statefile_get(st, "sent/gone/1/1.0.0.1"));
	ck_assert_ptr_nonnull(statefile_get(st, "runs/kept"));
	ck_assert_ptr_nonnull(statefile_get(st, "sent/kept/1/1.0.0.1"));
	ck_assert_ptr_nonnull(statefile_get(st, "runs/recent"));
	ck_assert_uint_eq(statefile_count(st), 2 * 6);
	statefile_close(st);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trace_route");
	TCase *tc = tcase_create("route");

	tcase_add_test(tc, test_history_hand_computed);
	tcase_add_test(tc, test_reached);
	tcase_add_test(tc, test_hist_text);
	tcase_add_loop_test(tc, test_hist_bad, 0,
			    sizeof bad_hist / sizeof bad_hist[0]);
	tcase_add_loop_test(tc, test_report_bad, 0,
			    sizeof bad_report / sizeof bad_report[0]);
	tcase_add_test(tc, test_tstate_runs);
	tcase_add_test(tc, test_prune_targets);
	tcase_add_test(tc, test_sent_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
