/* SPDX-License-Identifier: MIT */
/*
 * schedule: when a target is due, from the schedule strings Tracer's
 * configuration used (the robfig/cron dialect):
 *     "@every 10s", "@every 1m30s"     a fixed period after the last run
 *     "@yearly" "@annually" "@monthly" "@weekly" "@daily" "@midnight"
 *     "@hourly"
 *     "M H DoM Mon DoW"                5-field cron (minute first)
 *     "S M H DoM Mon DoW"              6-field cron (seconds first)
 * Cron fields take *, ?, lists (1,5), ranges (1-5), steps (*\/15, 1-30/2)
 * and the names JAN..DEC and SUN..SAT; 7 is also Sunday.  As in cron, when
 * both day-of-month and day-of-week are restricted a day matching either
 * one is a match.  All times are UTC (no time zones, no DST).
 *
 * trace-once is started often by a timer and runs a target only when it is
 * due, judged from the target's last run time kept in state:
 *     struct schedule s;
 *     if (schedule_parse("0 * * * * *", &s, err, sizeof err)) ... 78
 *     if (schedule_due(&s, last_run, now)) ... run it
 *
 * Pure: time is an argument; no clock, no globals, no syscalls.
 */
#ifndef TRACE_SCHEDULE_H
#define TRACE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/* A run may start this many seconds before its exact due time: the timer
 * that starts trace-once drifts by milliseconds, and a target due at
 * 10.000 s must not wait a whole timer period because the run began at
 * 9.998 s. */
#define SCHEDULE_SLACK 1.0

enum schedule_kind { SCHEDULE_EVERY, SCHEDULE_CRON };

struct schedule {
	enum schedule_kind kind;
	double every;		 /* SCHEDULE_EVERY: the period in seconds */
	uint64_t sec, min;	 /* bit n set: value n allowed */
	uint32_t hour, dom, mon; /* dom 1..31, mon 1..12 */
	uint8_t dow;		 /* 0..6, Sunday 0 */
	int dom_star, dow_star;	 /* field was * or ? */
};

/* 0, or -1 with errno EINVAL and a reason in err. */
int schedule_parse(const char *spec, struct schedule *out, char *err,
		   size_t errlen);

/*
 * The first time strictly after `after` that the schedule fires (for
 * @every: after + period).  Cron times are whole seconds.  Returns -1 if a
 * cron expression never fires within 5 years (e.g. "0 0 30 2 *").
 */
double schedule_next(const struct schedule *s, double after);

/* 1 if a target that last ran at last_run (< 0: never) is due at now. */
int schedule_due(const struct schedule *s, double last_run, double now);

/*
 * The run time to remember after running a due target at now: the later
 * of now and the due time.  A run started within SCHEDULE_SLACK before
 * its due time counts as the run for that slot, so the next one is judged
 * from the slot and the target neither runs twice for one cron slot nor
 * drifts.
 */
double schedule_slot(const struct schedule *s, double last_run, double now);

#endif
