/* SPDX-License-Identifier: MIT */
/* Unit tests of cmd/tcpping-burst/rto.c against RFC 6298's arithmetic,
 * worked by hand in the comments. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "testutil.h"
#include "../cmd/tcpping-burst/rto.h"

static const struct rto_params P = {.initial = 1, .min = 0.001, .max = 60,
				    .granularity = 0.000001, .adaptive = 1};

START_TEST(test_initial)
{
	struct rto r;
	rto_init(&r, &P);
	ck_assert_double_eq(r.rto, 1);
	ck_assert_int_eq(r.have_sample, 0);
}
END_TEST

START_TEST(test_first_and_second_sample)
{
	struct rto r;
	rto_init(&r, &P);
	/* R = 100 ms: SRTT = 0.1, RTTVAR = 0.05, RTO = 0.1 + 4*0.05 = 0.3 */
	rto_compute_sample(&r, &P, 0.1);
	ck_assert_double_eq_tol(r.srtt, 0.1, 1e-12);
	ck_assert_double_eq_tol(r.rttvar, 0.05, 1e-12);
	ck_assert_double_eq_tol(r.rto, 0.3, 1e-12);
	/* R' = 200 ms: RTTVAR = 3/4*0.05 + 1/4*|0.1-0.2| = 0.0625 (from the
	 * old SRTT), SRTT = 7/8*0.1 + 1/8*0.2 = 0.1125,
	 * RTO = 0.1125 + 4*0.0625 = 0.3625 */
	rto_compute_sample(&r, &P, 0.2);
	ck_assert_double_eq_tol(r.rttvar, 0.0625, 1e-12);
	ck_assert_double_eq_tol(r.srtt, 0.1125, 1e-12);
	ck_assert_double_eq_tol(r.rto, 0.3625, 1e-12);
}
END_TEST

START_TEST(test_granularity_floor)
{
	struct rto_params p = P;
	struct rto r;
	p.granularity = 0.5;
	rto_init(&r, &p);
	/* Constant RTT: RTTVAR decays by 3/4 each time towards 0, so after
	 * many samples RTO = SRTT + G. */
	for (int i = 0; i < 200; i++)
		rto_compute_sample(&r, &p, 0.1);
	ck_assert_double_eq_tol(r.srtt, 0.1, 1e-9);
	ck_assert_double_eq_tol(r.rto, 0.6, 1e-9);
}
END_TEST

START_TEST(test_clamp_and_backoff)
{
	struct rto_params p = P;
	struct rto r;
	p.min = 1; /* RFC 6298 2.4's recommended floor */
	p.max = 4;
	rto_init(&r, &p);
	rto_compute_sample(&r, &p, 0.1); /* 0.3, raised to 1 */
	ck_assert_double_eq(r.rto, 1);
	rto_compute_backoff(&r, &p);
	ck_assert_double_eq(r.rto, 2);
	rto_compute_backoff(&r, &p);
	ck_assert_double_eq(r.rto, 4);
	rto_compute_backoff(&r, &p); /* 8, held at max */
	ck_assert_double_eq(r.rto, 4);
	/* The next sample recomputes from SRTT, forgetting the back-off. */
	rto_compute_sample(&r, &p, 0.1);
	ck_assert_double_eq(r.rto, 1);
	/* An initial value above max is clamped too. */
	p.initial = 10;
	rto_init(&r, &p);
	ck_assert_double_eq(r.rto, 4);
}
END_TEST

START_TEST(test_not_adaptive)
{
	struct rto_params p = P;
	struct rto r;
	p.adaptive = 0;
	p.initial = 0.25;
	rto_init(&r, &p);
	rto_compute_sample(&r, &p, 0.1);
	rto_compute_backoff(&r, &p);
	ck_assert_double_eq(r.rto, 0.25);
	ck_assert_int_eq(r.have_sample, 0);
}
END_TEST

START_TEST(test_restore)
{
	struct rto r;
	ck_assert_int_eq(rto_restore(&r, &P, 0.1, 0.05, 0.3, 1), 0);
	ck_assert_double_eq(r.rto, 0.3);
	rto_compute_sample(&r, &P, 0.2); /* continues as in the RFC example */
	ck_assert_double_eq_tol(r.rto, 0.3625, 1e-12);
	ck_assert_int_eq(rto_restore(&r, &P, NAN, 0.05, 0.3, 1), -1);
	ck_assert_double_eq(r.rto, 1); /* fresh */
	ck_assert_int_eq(rto_restore(&r, &P, 0.1, -1, 0.3, 1), -1);
	ck_assert_int_eq(rto_restore(&r, &P, 0.1, 0.05, 0, 1), -1);
	ck_assert_int_eq(rto_restore(&r, &P, 0.1, 0.05, 1e9, 1), 0);
	ck_assert_double_eq(r.rto, 60); /* new limits apply */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcpping_rto");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_initial);
	tcase_add_test(tc, test_first_and_second_sample);
	tcase_add_test(tc, test_granularity_floor);
	tcase_add_test(tc, test_clamp_and_backoff);
	tcase_add_test(tc, test_not_adaptive);
	tcase_add_test(tc, test_restore);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
