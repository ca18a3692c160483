/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "histogram.h"

static const double le3[] = {0.001, 0.01, 0.1};

START_TEST(test_observe_bounds)
{
	struct histogram h;
	ck_assert_int_eq(histogram_init(&h, le3, 3), 0);
	histogram_observe(&h, 0.001); /* le is inclusive */
	histogram_observe(&h, 0.0010001);
	histogram_observe(&h, 0.1);
	histogram_observe(&h, 5);
	histogram_observe(&h, -1);
	ck_assert_uint_eq(h.bucket[0], 2);
	ck_assert_uint_eq(h.bucket[1], 1);
	ck_assert_uint_eq(h.bucket[2], 1);
	ck_assert_uint_eq(h.count, 5);
	ck_assert_double_eq_tol(h.sum, 0.001 + 0.0010001 + 0.1 + 5 - 1, 1e-12);
}
END_TEST

START_TEST(test_init_rejects)
{
	struct histogram h;
	const double bad[] = {1, 1};
	const double inf[] = {1, INFINITY};
	ck_assert_int_eq(histogram_init(&h, bad, 2), -1);
	ck_assert_int_eq(histogram_init(&h, inf, 2), -1);
	ck_assert_int_eq(histogram_init(&h, le3, 0), -1);
	ck_assert_int_eq(histogram_init(&h, le3, HISTOGRAM_MAX_BUCKETS + 1), -1);
}
END_TEST

START_TEST(test_string_roundtrip)
{
	struct histogram h, g;
	char buf[512];
	histogram_init(&h, le3, 3);
	histogram_observe(&h, 0.005);
	histogram_observe(&h, 0.05);
	histogram_observe(&h, 0.05);
	histogram_observe(&h, 1);
	ck_assert_int_eq(histogram_to_string(&h, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "4 1.105 0 1 2");
	histogram_init(&g, le3, 3);
	ck_assert_int_eq(histogram_from_string(&g, buf), 0);
	ck_assert_mem_eq(&g, &h, sizeof g);
	/* Wrong bucket layout or inconsistent counts leave g unchanged. */
	ck_assert_int_eq(histogram_from_string(&g, "4 1.105 0 1"), -1);
	ck_assert_int_eq(histogram_from_string(&g, "4 1.105 0 1 2 3"), -1);
	ck_assert_int_eq(histogram_from_string(&g, "2 1.105 0 1 2"), -1);
	ck_assert_int_eq(histogram_from_string(&g, "x"), -1);
	ck_assert_mem_eq(&g, &h, sizeof g);
	ck_assert_int_eq(histogram_to_string(&h, buf, 5), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("histogram");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_observe_bounds);
	tcase_add_test(tc, test_init_rejects);
	tcase_add_test(tc, test_string_roundtrip);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
