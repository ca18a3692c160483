/* SPDX-License-Identifier: MIT */
/* Unit tests: schedule parsing (@every, macros, 5- and 6-field cron) and
 * next-due arithmetic in UTC. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/trace-once/schedule.h"

/* 2026-11-21 23:36:40 UTC, a Saturday. */
#define T0 1795304200.0

static const struct {
	const char *spec;
	double after, next;
} nexts[] = {
    {"@every 10s", T0, T0 + 10},
    {"@every 1m30s", T0 + 0.25, T0 + 90.25},
    {"@every 500ms", T0, T0 + 0.5},
    /* Tracer's example "0 * * * * *": second 0 of every minute. */
    {"0 * * * * *", T0, 1795304220.0},		 /* 23:37:00 */
    {"0 * * * * *", 1795304220.0, 1795304280.0}, /* strictly after */
    {"*/15 * * * * *", T0, 1795304205.0},	 /* 23:36:45 */
    {"30 * * * *", T0, 1795307400.0},		 /* 5 fields: 00:30:00 */
    {"@hourly", T0, 1795305600.0},		 /* 2026-11-22 00:00 */
    {"@daily", T0, 1795305600.0},
    {"@midnight", 1795305600.0, 1795392000.0},
    /* Sunday 2026-11-22 00:00 is the next @weekly. */
    {"@weekly", T0, 1795305600.0},
    {"@monthly", T0, 1796083200.0},	      /* 2026-12-01 */
    {"@yearly", T0, 1798761600.0},	      /* 2027-01-01 */
    {"0 0 12 * * MON-FRI", T0, 1795435200.0}, /* Mon 11-23 12:00 */
    {"0 9 * * 1", T0, 1795424400.0},	      /* Mon 11-23 09:00 */
    {"0 9 * * 7", T0, 1795338000.0},	      /* 7 is Sunday */
    {"0 0 1 JAN *", T0, 1798761600.0},
    /* dom and dow both restricted: either matches (the 25th is a
     * Wednesday, the next Monday the 23rd comes first). */
    {"0 0 25 * MON", T0, 1795392000.0},
    {"0 0 29 2 *", T0, 1835395200.0}, /* 2028-02-29 */
    {"0 0 30 2 *", T0, -1},
    {"5/20 * * * * *", T0, 1795304205.0},
    {"1-3,58 * * * * ?", T0, 1795304218.0},
};

START_TEST(test_next)
{
	struct schedule s;
	char err[256] = "";

	ck_assert_msg(schedule_parse(nexts[_i].spec, &s, err, sizeof err) == 0,
		      "%s: %s", nexts[_i].spec, err);
	ck_assert_msg(schedule_next(&s, nexts[_i].after) == nexts[_i].next,
		      "%s after %.2f: got %.2f want %.2f", nexts[_i].spec,
		      nexts[_i].after, schedule_next(&s, nexts[_i].after),
		      nexts[_i].next);
}
END_TEST

static const struct {
	const char *spec, *err;
} bad[] = {
    {"", "cron expression needs 5 or 6 fields, got 0"},
    {"* * * *", "cron expression needs 5 or 6 fields, got 4"},
    {"* * * * * * *", "cron expression has more than 6 fields"},
    {"60 * * * *", "cron minutes field \"60\" is invalid"},
    {"* 24 * * *", "cron hours field \"24\" is invalid"},
    {"* * 0 * *", "cron day of month field \"0\" is invalid"},
    {"* * * 13 *", "cron month field \"13\" is invalid"},
    {"* * * * 8", "cron day of week field \"8\" is invalid"},
    {"5-1 * * * *", "cron minutes field \"5-1\" is invalid"},
    {"*/0 * * * *", "cron minutes field \"*/0\" is invalid"},
    {"a * * * *", "cron minutes field \"a\" is invalid"},
    {"1,,2 * * * *", "cron minutes field \"1,,2\" is invalid"},
    {"@every", "unknown schedule \"@every\" (expected @every DURATION, "
	       "@hourly, @daily, @weekly, @monthly, @yearly or a cron "
	       "expression)"},
    {"@every 0s",
     "@every: expected a duration 0.001s..3.16224e+07s, got \"0s\""},
    {"@every ten", "@every: "},
    {"@fortnightly", "unknown schedule \"@fortnightly\" (expected @every "
		     "DURATION, @hourly, @daily, @weekly, @monthly, "
		     "@yearly or a cron expression)"},
};

START_TEST(test_bad)
{
	struct schedule s;
	char err[256] = "";

	ck_assert_int_eq(schedule_parse(bad[_i].spec, &s, err, sizeof err), -1);
	ck_assert_msg(!strncmp(err, bad[_i].err, strlen(bad[_i].err)),
		      "%s: got \"%s\" want \"%s\"", bad[_i].spec, err,
		      bad[_i].err);
}
END_TEST

START_TEST(test_due)
{
	struct schedule s;
	char err[256];

	ck_assert_int_eq(schedule_parse("@every 10s", &s, err, sizeof err), 0);
	ck_assert_int_eq(schedule_due(&s, -1, T0), 1); /* never ran */
	ck_assert_int_eq(schedule_due(&s, T0, T0 + 5), 0);
	/* A timer tick a little early still counts (SCHEDULE_SLACK). */
	ck_assert_int_eq(schedule_due(&s, T0, T0 + 9.5), 1);
	ck_assert_int_eq(schedule_due(&s, T0, T0 + 8.9), 0);
	ck_assert_int_eq(schedule_due(&s, T0, T0 + 3600), 1);
	ck_assert_int_eq(schedule_due(&s, T0 + 100, T0), 1); /* clock back */
	/* Early run records the slot, not the early time. */
	ck_assert_double_eq(schedule_slot(&s, T0, T0 + 9.5), T0 + 10);
	ck_assert_double_eq(schedule_slot(&s, T0, T0 + 30), T0 + 30);
	ck_assert_double_eq(schedule_slot(&s, -1, T0), T0);

	/* A cron slot is run once, even when the tick came early. */
	ck_assert_int_eq(schedule_parse("0 * * * * *", &s, err, sizeof err), 0);
	ck_assert_int_eq(schedule_due(&s, 1795304160.0, 1795304219.5), 1);
	ck_assert_double_eq(schedule_slot(&s, 1795304160.0, 1795304219.5),
			    1795304220.0);
	ck_assert_int_eq(schedule_due(&s, 1795304220.0, 1795304229.5), 0);
	ck_assert_int_eq(schedule_due(&s, 1795304220.0, 1795304279.5), 1);
	/* Never fires: never due after the first run. */
	ck_assert_int_eq(schedule_parse("0 0 30 2 *", &s, err, sizeof err), 0);
	ck_assert_int_eq(schedule_due(&s, T0, T0 + 86400 * 400), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trace_schedule");
	TCase *tc = tcase_create("schedule");

	tcase_add_loop_test(tc, test_next, 0, sizeof nexts / sizeof nexts[0]);
	tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, test_due);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
