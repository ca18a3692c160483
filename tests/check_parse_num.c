/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "parse_num.h"

static const struct {
	const char *in;
	double want; /* NAN: must fail */
} durations[] = {
	{"500ms", 0.5},	  {"10s", 10},	   {"1m30s", 90},
	{"@every 10s", 10}, {"1.5", 1.5},	   {"2h", 7200},
	{"1d", 86400},	  {"250us", 250e-6}, {"1h2m3s", 3723},
	{"0", 0},	  {"", NAN},	   {"10", 10},
	{"s", NAN},	  {"10x", NAN},	   {"-1s", NAN},
	{"1m30", NAN},	  {"@every", NAN}, {" 5s", NAN},
	{"1e3s", 1000},	  {"nan", NAN},	   {"inf", NAN},
};

START_TEST(test_duration)
{
	double out = -1;
	char err[256] = "";
	int r = parse_duration(durations[_i].in, 0, 1e9, &out, err, sizeof err);
	if (isnan(durations[_i].want)) {
		ck_assert_msg(r == -1, "%s parsed as %g", durations[_i].in, out);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "expected a duration"));
	} else {
		ck_assert_msg(r == 0, "%s: %s", durations[_i].in, err);
		ck_assert_double_eq_tol(out, durations[_i].want, 1e-12);
	}
}
END_TEST

START_TEST(test_duration_range)
{
	double out = 7;
	char err[256];
	ck_assert_int_eq(parse_duration("2h", 0, 3600, &out, err, sizeof err),
			 -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_str_eq(err, "expected a duration 0s..3600s, got \"2h\"");
	ck_assert_double_eq(out, 7);
}
END_TEST

START_TEST(test_int)
{
	long long v = 0;
	char err[256];
	ck_assert_int_eq(parse_int("4000", 1, 65535, &v, err, sizeof err), 0);
	ck_assert_int_eq(v, 4000);
	ck_assert_int_eq(parse_int("http", 1, 65535, &v, err, sizeof err), -1);
	ck_assert_str_eq(err, "expected an integer 1..65535, got \"http\"");
	ck_assert_int_eq(parse_int("70000", 1, 65535, &v, err, sizeof err),
			 -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(parse_int("99999999999999999999", 1, 65535, &v, err,
				   sizeof err),
			 -1);
	ck_assert_int_eq(parse_int("", 0, 1, &v, err, sizeof err), -1);
	ck_assert_int_eq(parse_int(" 1", 0, 1, &v, err, sizeof err), -1);
	ck_assert_int_eq(parse_int("1 ", 0, 1, &v, err, sizeof err), -1);
	/* Control bytes in the echo are escaped, not printed raw. */
	ck_assert_int_eq(parse_int("a\nb", 0, 1, &v, err, sizeof err), -1);
	ck_assert_str_eq(err, "expected an integer 0..1, got \"a\\x0ab\"");
	ck_assert_int_eq(v, 4000);
}
END_TEST

START_TEST(test_double)
{
	double v;
	char err[256];
	ck_assert_int_eq(parse_double("0.25", 0, 1, &v, err, sizeof err), 0);
	ck_assert_double_eq(v, 0.25);
	ck_assert_int_eq(parse_double("nan", 0, 1, &v, err, sizeof err), -1);
	ck_assert_int_eq(parse_double("2", 0, 1, &v, err, sizeof err), -1);
	ck_assert_int_eq(errno, ERANGE);
}
END_TEST

static const struct {
	const char *in;
	unsigned long long want;
	int ok;
} sizes[] = {
	{"4096", 4096, 1},	  {"64k", 65536, 1},	  {"64KiB", 65536, 1},
	{"10MB", 10485760, 1}, {"1G", 1073741824, 1}, {"1.5M", 0, 0},
	{"-1", 0, 0},	  {"10 MB", 0, 0},	  {"", 0, 0},
	{"99999999999999999999", 0, 0},
};

START_TEST(test_size)
{
	unsigned long long v = 0;
	char err[256];
	int r = parse_size(sizes[_i].in, 0, 1ULL << 40, &v, err, sizeof err);
	if (sizes[_i].ok) {
		ck_assert_msg(r == 0, "%s: %s", sizes[_i].in, err);
		ck_assert_uint_eq(v, sizes[_i].want);
	} else {
		ck_assert_msg(r == -1, "%s accepted as %llu", sizes[_i].in, v);
	}
}
END_TEST

static Suite *parse_num_suite(void)
{
	Suite *s = suite_create("parse_num");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_duration, 0,
			    sizeof durations / sizeof durations[0]);
	tcase_add_test(tc, test_duration_range);
	tcase_add_test(tc, test_int);
	tcase_add_test(tc, test_double);
	tcase_add_loop_test(tc, test_size, 0, sizeof sizes / sizeof sizes[0]);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(parse_num_suite());
}
