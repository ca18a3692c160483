/* SPDX-License-Identifier: MIT */
/*
 * check_qemu_windows: the 30s/1min/5min/15min/1h window arithmetic of
 * qemu-netsnap on hand-made rings: coverage, interpolation, gaps, clock
 * steps, thinning over hours of runs, and the state text round trip.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/qemu-netsnap/windows.h"

struct wcase {
	const char *name;
	const char *ring; /* state text */
	double now;
	uint64_t rx, tx;
	/* expected rx, tx, coverage for 30s 1min 5min 15min 1h */
	double exp[QN_NWINDOWS][3];
};

/* clang-format off */
static const struct wcase wcases[] = {
	{"empty ring: nothing to compare with",
	 "",
	 1000,
	 500,
	 50,
	 {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}}},
	{"one reading 10 s ago covers 10 s of every window",
	 "990.000:100:10",
	 1000,
	 200,
	 30,
	 {{100, 20, 10},
	  {100, 20, 10},
	  {100, 20, 10},
	  {100, 20, 10},
	  {100, 20, 10}}},
	{"window start between readings is interpolated",
	 "0.000:0:0,60.000:600:60",
	 90,
	 900,
	 90,
	 {{300, 30, 30}, {600, 60, 60}, {900, 90, 90}, {900, 90, 90},
	  {900, 90, 90}}},
	{"a gap longer than the window: the average rate over the gap",
	 "0.000:0:0",
	 1000,
	 10000,
	 0,
	 {{300, 0, 30},
	  {600, 0, 60},
	  {3000, 0, 300},
	  {9000, 0, 900},
	  {10000, 0, 1000}}},
	{"a reading exactly at the window start; rounding to whole bytes",
	 "0.000:0:0,3600.000:3600:36",
	 3630,
	 3660,
	 36,
	 {{60, 0, 30}, {90, 0, 60}, {330, 3, 300}, {930, 9, 900},
	  {3630, 36, 3600}}},
	{"clock stepped back: readings after now are ignored",
	 "100.000:100:0,200.000:200:0,300.000:300:0",
	 250,
	 250,
	 0,
	 {{30, 0, 30}, {60, 0, 60}, {150, 0, 150}, {150, 0, 150},
	  {150, 0, 150}}},
	{"totals below the ring (damaged state): ring dropped",
	 "100.000:100:0,200.000:900:0",
	 300,
	 500,
	 0,
	 {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}, {0, 0, 0}}},
};
/* clang-format on */

START_TEST(test_windows)
{
	const struct wcase *c = &wcases[_i];
	struct qn_ring ring;
	struct qn_window_value w[QN_NWINDOWS];

	ck_assert_int_eq(windows_ring_decode(c->ring, &ring), 0);
	compute_ring_trim(&ring, c->now, c->rx, c->tx);
	compute_windows(&ring, c->now, c->rx, c->tx, w);
	for (int k = 0; k < QN_NWINDOWS; k++) {
		double erx = c->exp[k][0], etx = c->exp[k][1];

		ck_assert_msg(fabs(w[k].coverage - c->exp[k][2]) < 1e-9,
			      "%s: %s coverage %g", c->name,
			      qn_windows[k].label, w[k].coverage);
		ck_assert_msg(w[k].rx == round(erx) && w[k].tx == round(etx),
			      "%s: %s got rx %g tx %g, expected %g %g", c->name,
			      qn_windows[k].label, w[k].rx, w[k].tx, erx, etx);
	}
}
END_TEST

/* Runs every `step` seconds for two hours at a constant 1000 B/s in and
 * 10 B/s out: windows are exact once the ring reaches back, the ring
 * stays bounded and reaches back a whole hour. */
static void steady(double step)
{
	struct qn_ring ring = {0};
	double t0 = 1700000000, now = t0;
	size_t max_n = 0;

	for (int i = 0; now <= t0 + 7200; i++, now = t0 + i * step) {
		uint64_t rx = (uint64_t)((now - t0) * 1000);
		uint64_t tx = (uint64_t)((now - t0) * 10);
		struct qn_window_value w[QN_NWINDOWS];

		compute_ring_trim(&ring, now, rx, tx);
		compute_windows(&ring, now, rx, tx, w);
		compute_ring_push(&ring, now, rx, tx);
		if (ring.n > max_n)
			max_n = ring.n;
		for (int k = 0; k < QN_NWINDOWS; k++) {
			double span = now - t0 < qn_windows[k].seconds
					  ? now - t0
					  : qn_windows[k].seconds;

			ck_assert_double_eq_tol(w[k].coverage, span, 1e-6);
			ck_assert_double_eq_tol(w[k].rx, span * 1000, 1);
			ck_assert_double_eq_tol(w[k].tx, span * 10, 1);
		}
		for (size_t k = 1; k < ring.n; k++)
			ck_assert(ring.s[k].t > ring.s[k - 1].t);
	}
	ck_assert_uint_lt(max_n, 145);
	ck_assert(ring.s[0].t <= now - step - 3600);
	ck_assert(ring.s[0].t > now - 2 * step - 3600 - 130);
}

START_TEST(test_steady_every_second)
{
	steady(1);
}
END_TEST

START_TEST(test_steady_every_15s)
{
	steady(15);
}
END_TEST

START_TEST(test_steady_every_7min)
{
	steady(420);
}
END_TEST

START_TEST(test_push_replaces_same_time)
{
	struct qn_ring ring = {0};

	compute_ring_push(&ring, 100, 1, 1);
	compute_ring_push(&ring, 100.0004, 2, 2);
	ck_assert_uint_eq(ring.n, 1);
	ck_assert_uint_eq(ring.s[0].rx, 2);
	compute_ring_push(&ring, 50, 3, 3); /* clock stepped back */
	ck_assert_uint_eq(ring.n, 1);
	ck_assert_double_eq(ring.s[0].t, 50);
}
END_TEST

START_TEST(test_ring_text)
{
	struct qn_ring ring = {0}, back;
	char buf[256];

	ring.s[0] = (struct qn_sample){1700000000.125, 0, 5};
	ring.s[1] = (struct qn_sample){1700000015.5, 18446744073709551615u, 6};
	ring.n = 2;
	ck_assert_int_gt(windows_ring_fmt(&ring, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "1700000000.125:0:5,1700000015.500:"
			      "18446744073709551615:6");
	ck_assert_int_eq(windows_ring_decode(buf, &back), 0);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_uint_eq(back.s[1].rx, 18446744073709551615u);
	ck_assert_int_eq(windows_ring_fmt(&ring, buf, 20), -1);

	ck_assert_int_eq(windows_ring_decode("", &back), 0);
	ck_assert_uint_eq(back.n, 0);
	ck_assert_int_eq(windows_ring_decode("5:1:1,5:2:2", &back), -1);
	ck_assert_int_eq(windows_ring_decode("5:2:2,6:1:2", &back), -1);
	ck_assert_int_eq(windows_ring_decode("-5:1:1", &back), -1);
	ck_assert_int_eq(windows_ring_decode("5:1", &back), -1);
	ck_assert_int_eq(windows_ring_decode("5:1:1,", &back), -1);
	ck_assert_int_eq(windows_ring_decode("nan:1:1", &back), -1);
	ck_assert_int_eq(windows_ring_decode("5:x:1", &back), -1);
	ck_assert_int_eq(windows_ring_decode("5:1:1 6:2:2", &back), -1);
}
END_TEST

static Suite *windows_suite(void)
{
	Suite *s = suite_create("qemu_windows");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_windows, 0,
			    sizeof wcases / sizeof wcases[0]);
	tcase_add_test(tc, test_steady_every_second);
	tcase_add_test(tc, test_steady_every_15s);
	tcase_add_test(tc, test_steady_every_7min);
	tcase_add_test(tc, test_push_replaces_same_time);
	tcase_add_test(tc, test_ring_text);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(windows_suite());
}
