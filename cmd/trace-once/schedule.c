/* SPDX-License-Identifier: MIT */
#include "schedule.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "parse_num.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR",
					  "MAY", "JUN", "JUL", "AUG",
					  "SEP", "OCT", "NOV", "DEC"};
static const char *const day_names[] = {"SUN", "MON", "TUE", "WED",
					"THU", "FRI", "SAT"};

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* names[0] is value min */
	int nnames;
};

static const struct field fields[] = {
    {"seconds", 0, 59, NULL, 0},       {"minutes", 0, 59, NULL, 0},
    {"hours", 0, 23, NULL, 0},	       {"day of month", 1, 31, NULL, 0},
    {"month", 1, 12, month_names, 12}, {"day of week", 0, 7, day_names, 7},
};

/* One value of a field: a number or a name.  Advances *p. */
static int field_value(const struct field *f, const char **p, int *out)
{
	const char *s = *p;

	if (isdigit((unsigned char)*s)) {
		long v = 0;

		while (isdigit((unsigned char)*s) && v < 1000)
			v = v * 10 + (*s++ - '0');
		if (v < f->min || v > f->max)
			return -1;
		*out = (int)v;
		*p = s;
		return 0;
	}
	for (int i = 0; i < f->nnames; i++) {
		if (!strncasecmp(s, f->names[i], 3) &&
		    !isalpha((unsigned char)s[3])) {
			*out = f->min + i;
			*p = s + 3;
			return 0;
		}
	}
	return -1;
}

/*
 * Parse one field ("*", "1-5/2", "MON,WED") of length len into a bit mask.
 * *star is set when the field is * or ? (no restriction).
 */
static int parse_field(const struct field *f, const char *s, size_t len,
		       uint64_t *mask, int *star)
{
	char buf[128];
	char *save = NULL, *item;

	if (len == 0 || len >= sizeof buf || s[0] == ',' || s[len - 1] == ',' ||
	    memmem(s, len, ",,", 2))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	*mask = 0;
	*star = !strcmp(buf, "*") || !strcmp(buf, "?");
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		const char *p = item;
		int lo, hi, step = 1;

		if (*p == '*' || *p == '?') {
			lo = f->min;
			hi = f->max;
			p++;
		} else {
			if (field_value(f, &p, &lo))
				return -1;
			hi = lo;
			if (*p == '-') {
				p++;
				if (field_value(f, &p, &hi) || hi < lo)
					return -1;
			}
		}
		if (*p == '/') {
			long long st;

			p++;
			if (parse_int(p, 1, f->max + 1, &st, NULL, 0))
				return -1;
			step = (int)st;
			/* "5/15" means 5-max/15, as in robfig/cron. */
			if (lo == hi && item[0] != '*')
				hi = f->max;
			p += strlen(p);
		}
		if (*p)
			return -1;
		for (int v = lo; v <= hi; v += step)
			*mask |= 1ULL << v;
	}
	return *mask ? 0 : -1;
}

static int parse_every(const char *arg, struct schedule *out, char *err,
		       size_t errlen)
{
	char why[128];

	if (parse_duration(arg, 0.001, 366.0 * 86400, &out->every, why,
			   sizeof why))
		return fail(err, errlen, "@every: %s", why);
	out->kind = SCHEDULE_EVERY;
	return 0;
}

int schedule_parse(const char *spec, struct schedule *out, char *err,
		   size_t errlen)
{
	static const struct {
		const char *name, *cron;
	} macros[] = {
	    {"@yearly", "0 0 0 1 1 *"},	 {"@annually", "0 0 0 1 1 *"},
	    {"@monthly", "0 0 0 1 * *"}, {"@weekly", "0 0 0 * * 0"},
	    {"@daily", "0 0 0 * * *"},	 {"@midnight", "0 0 0 * * *"},
	    {"@hourly", "0 0 * * * *"},
	};
	const char *f[6], *p;
	size_t flen[6], n = 0;

	memset(out, 0, sizeof *out);
	while (isspace((unsigned char)*spec))
		spec++;
	if (!strncmp(spec, "@every", 6) && isspace((unsigned char)spec[6]))
		return parse_every(spec + 7, out, err, errlen);
	if (*spec == '@') {
		for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
			if (!strcmp(spec, macros[i].name))
				return schedule_parse(macros[i].cron, out, err,
						      errlen);
		return fail(err, errlen,
			    "unknown schedule \"%.40s\" (expected @every "
			    "DURATION, @hourly, @daily, @weekly, @monthly, "
			    "@yearly or a cron expression)",
			    spec);
	}
	for (p = spec; *p;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == 6)
			return fail(err, errlen,
				    "cron expression has more than 6 fields");
		f[n] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		flen[n] = (size_t)(p - f[n]);
		n++;
	}
	if (n != 5 && n != 6)
		return fail(err, errlen,
			    "cron expression needs 5 or 6 fields, got %zu", n);
	out->kind = SCHEDULE_CRON;
	for (size_t i = 0; i < 6; i++) {
		/* The 5-field form has no seconds: it fires at second 0. */
		size_t src = n == 6 ? i : i - 1;
		uint64_t mask;
		int star;

		if (n == 5 && i == 0) {
			out->sec = 1;
			continue;
		}
		if (parse_field(&fields[i], f[src], flen[src], &mask, &star))
			return fail(
			    err, errlen, "cron %s field \"%.*s\" is invalid",
			    fields[i].name,
			    (int)(flen[src] > 40 ? 40 : flen[src]), f[src]);
		switch (i) {
		case 0:
			out->sec = mask;
			break;
		case 1:
			out->min = mask;
			break;
		case 2:
			out->hour = (uint32_t)mask;
			break;
		case 3:
			out->dom = (uint32_t)mask;
			out->dom_star = star;
			break;
		case 4:
			out->mon = (uint32_t)mask;
			break;
		case 5:
			/* 7 is Sunday too. */
			out->dow = (uint8_t)((mask | (mask >> 7)) & 0x7f);
			out->dow_star = star;
			break;
		}
	}
	return 0;
}

static int day_matches(const struct schedule *s, const struct tm *tm)
{
	int dom = (s->dom >> tm->tm_mday) & 1;
	int dow = (s->dow >> tm->tm_wday) & 1;

	if (s->dom_star || s->dow_star)
		return dom && dow;
	return dom || dow;
}

double schedule_next(const struct schedule *s, double after)
{
	struct tm tm;
	time_t t, limit;

	if (s->kind == SCHEDULE_EVERY)
		return after + s->every;
	/* floor(after) without libm (trace-once links no libm: one shared
	 * object less to load on every run). */
	t = (time_t)after;
	if ((double)t > after)
		t--;
	t++;
	limit = t + 5 * 366 * 86400;
	/* Walk forward field by field, coarsest first, as robfig/cron does:
	 * at most a few thousand steps even for a yearly schedule. */
	while (t <= limit) {
		gmtime_r(&t, &tm);
		if (!((s->mon >> (tm.tm_mon + 1)) & 1)) {
			tm.tm_mon++;
			tm.tm_mday = 1;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		} else if (!day_matches(s, &tm)) {
			tm.tm_mday++;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		} else if (!((s->hour >> tm.tm_hour) & 1)) {
			tm.tm_hour++;
			tm.tm_min = tm.tm_sec = 0;
		} else if (!((s->min >> tm.tm_min) & 1)) {
			tm.tm_min++;
			tm.tm_sec = 0;
		} else if (!((s->sec >> tm.tm_sec) & 1)) {
			tm.tm_sec++;
		} else {
			return (double)t;
		}
		t = timegm(&tm);
	}
	return -1;
}

int schedule_due(const struct schedule *s, double last_run, double now)
{
	double next;

	if (last_run < 0 || last_run > now)
		return 1; /* never ran, or the clock went back */
	next = schedule_next(s, last_run);
	return next >= 0 && next <= now + SCHEDULE_SLACK;
}

double schedule_slot(const struct schedule *s, double last_run, double now)
{
	double next;

	if (last_run < 0 || last_run > now)
		return now;
	next = schedule_next(s, last_run);
	return next > now ? next : now;
}
