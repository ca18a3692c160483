/* SPDX-License-Identifier: MIT */
/*
 * check_numtext: lib/numtext's hand-made number text gives exactly
 * what snprintf("%.3f"), snprintf("%llu") and strtod give: on a table of
 * edge cases (ties at thousandths, carries, the libc fall-backs), then on
 * a few hundred thousand pseudo-random values of the kinds state holds.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "numtext.h"

static void check_ms(double t)
{
	char got[NUMTEXT_MAX], want[NUMTEXT_MAX];
	size_t n = numtext_ms(got, t);

	snprintf(want, sizeof want, "%.3f", t);
	ck_assert_msg(!strcmp(got, want), "%.17g: got %s, want %s", t, got,
		      want);
	ck_assert_uint_eq(n, strlen(want));
}

static void check_strtod(const char *s)
{
	char *e1, *e2;
	double got = numtext_strtod(s, &e1), want = strtod(s, &e2);

	ck_assert_msg(got == want || (isnan(got) && isnan(want)),
		      "\"%s\": got %.17g, want %.17g", s, got, want);
	ck_assert_msg(e1 == e2, "\"%s\": end at %td, want %td", s, e1 - s,
		      e2 - s);
}

/* clang-format off */
static const double ms_cases[] = {
	0, 0.0005, 0.0015, 0.0625, 0.1875, 0.9995, 0.99951, 0.9999999,
	1.0625, 2.5, 1795314002.2557182, 1795314002.0625, 1795314002.9375,
	1795314002.9999999, 1795313992.740, 4503599627.3705, 999999999999.999,
	1e12, 1e15, 1e300, -0.0, -1.5, 5e-324, INFINITY, -INFINITY, NAN,
};
static const char *const strtod_cases[] = {
	"", ".", "1.", ".5", "0", "00", "1795314002.256", "1795314002.256,1",
	"1795314002.256:5", "0.000000000000001", "0.0000000000000001",
	"123456789012345", "1234567890123456", "12345678901234567890",
	"000000000000000000001.5", "1e3", "1.5E-3", "1.5e", "0x10", "0X1p3",
	"inf", "nan", " 1", "-1", "+1", "1.2.3", "9007199254740993",
	"0.1", "0.3", "2.675", "0.061", "12.", "999999999999999", "7,8",
	"1E-2,", "1795314049.2676344", "1.e5",
};
static const unsigned long long u64_cases[] = {
	0, 1, 9, 10, 99, 100, 4026531833ull, 18446744073709551615ull,
};
static const char *const strtou64_cases[] = {
	"", "0", "7", "007", "1234567890123456789", "9999999999999999999",
	"18446744073709551615", "18446744073709551616", "99999999999999999999",
	"12:34", "12,", "-1", "+1", " 1", "0x10", "1e3",
};
/* clang-format on */

START_TEST(ms_table)
{
	check_ms(ms_cases[_i]);
}
END_TEST

START_TEST(strtod_table)
{
	check_strtod(strtod_cases[_i]);
}
END_TEST

START_TEST(u64_table)
{
	char got[NUMTEXT_MAX], want[32];

	snprintf(want, sizeof want, "%llu", u64_cases[_i]);
	ck_assert_uint_eq(numtext_u64(got, u64_cases[_i]), strlen(want));
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(strtou64_table)
{
	const char *s = strtou64_cases[_i];
	char *e1, *e2;
	uint64_t got = numtext_strtou64(s, &e1);
	unsigned long long want = strtoull(s, &e2, 10);

	ck_assert_msg(got == want, "\"%s\": got %llu, want %llu", s,
		      (unsigned long long)got, want);
	ck_assert_ptr_eq(e1, e2);
}
END_TEST

/* Unix times with any sub-millisecond part, times at sixteenths (the
 * ties of "%.3f"), times just off a thousandth, and the texts "%.Nf"
 * makes of them read back. */
START_TEST(random_values)
{
	unsigned short seed[3] = {1, 2, 3};

	for (int i = 0; i < 100000; i++) {
		double base = floor(erand48(seed) * 2e9), t;
		char text[64];

		switch (i % 4) {
		case 0:
			t = erand48(seed) * 2e9;
			break;
		case 1:
			t = base + (double)(nrand48(seed) % 16) / 16.0;
			break;
		case 2:
			t = base + (double)(nrand48(seed) % 1000) / 1000.0 +
			    (double)(nrand48(seed) % 3 - 1) * 1e-7;
			break;
		default:
			t = ldexp(erand48(seed),
				  (int)(nrand48(seed) % 80) - 40);
			break;
		}
		check_ms(t);
		snprintf(text, sizeof text, "%.*f", (int)(nrand48(seed) % 18),
			 t);
		check_strtod(text);
	}
}
END_TEST

static Suite *numtext_suite(void)
{
	Suite *s = suite_create("numtext");
	TCase *tc = tcase_create("numtext");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, ms_table, 0,
			    sizeof ms_cases / sizeof ms_cases[0]);
	tcase_add_loop_test(tc, strtod_table, 0,
			    sizeof strtod_cases / sizeof strtod_cases[0]);
	tcase_add_loop_test(tc, u64_table, 0,
			    sizeof u64_cases / sizeof u64_cases[0]);
	tcase_add_loop_test(tc, strtou64_table, 0,
			    sizeof strtou64_cases / sizeof strtou64_cases[0]);
	tcase_add_test(tc, random_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(numtext_suite());
}
