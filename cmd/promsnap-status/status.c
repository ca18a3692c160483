/* SPDX-License-Identifier: MIT */
#include "status.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promfile.h"

#define MAX_LINE 65536

void status_prom_init(struct status_prom *p)
{
	memset(p, 0, sizeof *p);
	p->run_success = p->duration = p->last_run = p->last_success =
	    p->state_reset = NAN;
}

static int name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':';
}

static int name_char(int c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Copy a label value into a bounded buffer, dropping what does not fit
 * and replacing bytes outside printable ASCII: it is shown to operators. */
static void put_bounded(char *dst, size_t cap, size_t *n, int c)
{
	if (*n + 1 < cap) {
		dst[(*n)++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		dst[*n] = '\0';
	}
}

/*
 * Parse one sample line [p, e).  Returns 0 and fills name/tool/version/
 * value, or -1 if the line is not a sample.
 */
static int parse_sample(const char *p, const char *e, char *name,
			size_t namecap, char *tool, size_t toolcap,
			char *version, size_t vercap, double *value)
{
	size_t n = 0;
	char num[64];

	*tool = *version = *name = '\0';
	if (p == e || !name_start((unsigned char)*p))
		return -1;
	while (p < e && name_char((unsigned char)*p)) {
		if (n + 1 >= namecap)
			return -1;
		name[n++] = *p++;
	}
	name[n] = '\0';
	if (p < e && *p == '{') {
		p++;
		for (;;) {
			char lname[32];
			size_t ln = 0, vn = 0;
			char *dst = NULL;
			size_t cap = 0;

			while (p < e && *p == ' ')
				p++;
			if (p < e && *p == '}') {
				p++;
				break;
			}
			if (p == e || !name_start((unsigned char)*p))
				return -1;
			while (p < e && name_char((unsigned char)*p)) {
				if (ln + 1 < sizeof lname)
					lname[ln++] = *p;
				p++;
			}
			lname[ln] = '\0';
			if (p == e || *p++ != '=' || p == e || *p++ != '"')
				return -1;
			if (!strcmp(lname, "tool")) {
				dst = tool;
				cap = toolcap;
			} else if (!strcmp(lname, "version")) {
				dst = version;
				cap = vercap;
			}
			if (dst)
				*dst = '\0';
			for (;;) {
				int c;
				if (p == e)
					return -1;
				c = (unsigned char)*p++;
				if (c == '"')
					break;
				if (c == '\\') {
					if (p == e)
						return -1;
					c = (unsigned char)*p++;
					if (c == 'n')
						c = '\n';
					else if (c != '\\' && c != '"')
						return -1;
				}
				if (dst)
					put_bounded(dst, cap, &vn, c);
			}
			while (p < e && *p == ' ')
				p++;
			if (p < e && *p == ',') {
				p++;
				continue;
			}
			if (p < e && *p == '}') {
				p++;
				break;
			}
			return -1;
		}
	}
	if (p == e || (*p != ' ' && *p != '\t'))
		return -1;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	n = 0;
	while (p < e && *p != ' ' && *p != '\t') {
		if (n + 1 >= sizeof num)
			return -1;
		num[n++] = *p++;
	}
	num[n] = '\0';
	if (n == 0)
		return -1;
	{
		char *end;
		*value = strtod(num, &end);
		if (*end != '\0')
			return -1;
	}
	return 0;
}

void status_decode_prom(const char *text, size_t len, const char *tool,
			struct status_prom *out)
{
	const char *p = text, *end = text + len;

	status_prom_init(out);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		char name[128], t[64], ver[sizeof out->version];
		double v;

		if (e > p && e[-1] == '\r')
			e--;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e || *p == '#') {
			/* blank or comment */
		} else if (e - p > MAX_LINE ||
			   parse_sample(p, e, name, sizeof name, t, sizeof t,
					ver, sizeof ver, &v) < 0) {
			out->bad_lines++;
		} else {
			out->series++;
			if (!strcmp(t, tool)) {
				if (!strcmp(name, "promsnap_run_success"))
					out->run_success = v;
				else if (!strcmp(
					     name,
					     "promsnap_run_duration_seconds"))
					out->duration = v;
				else if (!strcmp(name, "promsnap_last_run_"
						       "timestamp_seconds"))
					out->last_run = v;
				else if (!strcmp(name, "promsnap_last_success_"
						       "timestamp_seconds"))
					out->last_success = v;
				else if (!strcmp(name, "promsnap_state_reset"))
					out->state_reset = v;
				else if (!strcmp(name, "promsnap_build_info"))
					memcpy(out->version, ver, sizeof ver);
			}
		}
		p = nl ? nl + 1 : end;
	}
}

long status_decode_locks(const char *text, size_t len, unsigned major,
			 unsigned minor, unsigned long long ino)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256];
		long pid;
		unsigned ma, mi;
		unsigned long long in;

		if (n < sizeof line) {
			memcpy(line, p, n);
			line[n] = '\0';
			/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" */
			if (!strstr(line, "->") &&
			    sscanf(line, "%*[^:]: %*s %*s %*s %ld %x:%x:%llu",
				   &pid, &ma, &mi, &in) == 4 &&
			    ma == major && mi == minor && in == ino && pid > 0)
				return pid;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

const char *status_code_name(enum status_code c)
{
	switch (c) {
	case STATUS_OK:
		return "ok";
	case STATUS_FAILING:
		return "failing";
	case STATUS_STALE:
		return "stale";
	case STATUS_NEVER:
		return "never";
	}
	return "?";
}

void status_fmt_age(double s, char *buf, size_t len)
{
	if (isnan(s)) {
		snprintf(buf, len, "-");
		return;
	}
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 2 * 3600)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else if (s < 1e12)
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	else
		snprintf(buf, len, "forever");
}

/* NAN-aware maximum: the later of two times, either possibly unknown. */
static double later(double a, double b)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return a > b ? a : b;
}

static void compute(const struct status_input *in, double now,
		    struct status_row *r);

/* A run holding the lock right now says the tool is alive even when its
 * file is old (a long backlog, or a hung run). */
void status_compute(const struct status_input *in, double now,
		    struct status_row *r)
{
	compute(in, now, r);
	if (r->running_pid > 0) {
		size_t n = strlen(r->reason);
		snprintf(r->reason + n, sizeof r->reason - n,
			 "%srun in progress (pid %ld)", n ? "; " : "",
			 r->running_pid);
	}
}

static void compute(const struct status_input *in, double now,
		    struct status_row *r)
{
	double limit = STATUS_INTERVALS * in->interval;
	char lim[16], age[16];

	memset(r, 0, sizeof *r);
	snprintf(r->tool, sizeof r->tool, "%s", in->tool);
	r->interval = in->interval;
	r->last_run = r->last_success = r->duration = r->file_age = NAN;
	r->result = -1;
	r->series = -1;
	r->running_pid = in->running_pid;
	status_fmt_age(limit, lim, sizeof lim);

	if (in->have_prom) {
		const struct status_prom *p = &in->prom;
		r->last_run = p->last_run;
		r->duration = p->duration;
		r->series = (long)p->series;
		r->file_age = now - in->prom_mtime;
		if (!isnan(p->run_success))
			r->result = p->run_success == 1;
		r->state_reset = p->state_reset == 1;
		memcpy(r->version, p->version, sizeof r->version);
		r->last_success = p->last_success;
	}
	/* The state is authoritative, the file a fallback for readers that
	 * may not open the 0750 state directory. */
	if (in->have_state)
		r->last_success =
		    later(r->last_success, in->state_last_success);

	if (!in->have_prom && !in->have_state && !in->state_unreadable) {
		r->code = STATUS_NEVER;
		snprintf(r->reason, sizeof r->reason,
			 "never ran: no state and no %s.prom", in->tool);
		return;
	}
	if (!in->have_prom) {
		r->code = STATUS_STALE;
		snprintf(r->reason, sizeof r->reason,
			 "no %s.prom in the textfile directory", in->tool);
		return;
	}
	if (r->file_age > limit) {
		status_fmt_age(r->file_age, age, sizeof age);
		r->code = STATUS_STALE;
		snprintf(r->reason, sizeof r->reason,
			 "%s.prom last written %s ago (limit %s)", in->tool,
			 age, lim);
		return;
	}
	/* A long-running writer (tcpping-burst --serve) has no run cycle:
	 * no run health series and no state.  Its file's age is its
	 * heartbeat. */
	if (!in->have_state && !in->state_unreadable &&
	    isnan(in->prom.run_success) && isnan(in->prom.last_run)) {
		r->code = STATUS_OK;
		snprintf(r->reason, sizeof r->reason,
			 "no run health series: judged by the file's age");
		return;
	}
	if (!isnan(r->last_success) && now - r->last_success <= limit) {
		r->code = STATUS_OK;
		if (r->result == 0)
			snprintf(r->reason, sizeof r->reason,
				 "last run failed; last success within %s",
				 lim);
		else if (r->state_reset)
			snprintf(r->reason, sizeof r->reason,
				 "state was reset (unreadable state moved "
				 "aside)");
		return;
	}
	r->code = STATUS_FAILING;
	if (isnan(r->last_success)) {
		snprintf(r->reason, sizeof r->reason, "never succeeded");
	} else {
		status_fmt_age(now - r->last_success, age, sizeof age);
		snprintf(r->reason, sizeof r->reason,
			 "last success %s ago (limit %s)", age, lim);
	}
	if (in->prom.bad_lines) {
		size_t n = strlen(r->reason);
		snprintf(r->reason + n, sizeof r->reason - n,
			 "; %zu unparsable lines in %s.prom",
			 in->prom.bad_lines, in->tool);
	}
}

int status_all_healthy(const struct status_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].code != STATUS_OK)
			return 0;
	return n > 0;
}

static const char *result_name(int result)
{
	return result == 1 ? "ok" : result == 0 ? "failed" : "-";
}

int status_fmt_table(FILE *f, const struct status_row *rows, size_t n,
		     double now)
{
	int w = 13; /* the longest of the five tools' names */

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(rows[i].tool) > w)
			w = (int)strlen(rows[i].tool);
	fprintf(f, "%-*s %-8s %-9s %-12s %-9s %-7s %7s %-9s %s\n", w, "TOOL",
		"STATUS", "LAST-RUN", "LAST-SUCCESS", "DURATION", "RESULT",
		"SERIES", "FILE-AGE", "REASON");
	for (size_t i = 0; i < n; i++) {
		const struct status_row *r = &rows[i];
		char run[16], succ[16], fage[16], dur[24], series[24];

		status_fmt_age(now - r->last_run, run, sizeof run);
		status_fmt_age(now - r->last_success, succ, sizeof succ);
		status_fmt_age(r->file_age, fage, sizeof fage);
		if (isnan(r->duration))
			snprintf(dur, sizeof dur, "-");
		else
			snprintf(dur, sizeof dur, "%.3fs", r->duration);
		if (r->series < 0)
			snprintf(series, sizeof series, "-");
		else
			snprintf(series, sizeof series, "%ld", r->series);
		fprintf(f, "%-*s %-8s %-9s %-12s %-9s %-7s %7s %-9s %s\n", w,
			r->tool, status_code_name(r->code), run, succ, dur,
			result_name(r->result), series, fage,
			r->reason[0] ? r->reason : "-");
	}
	return ferror(f) ? -1 : 0;
}

/* JSON string: the fields are ASCII by construction (put_bounded), but
 * quote and control characters are still escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	char buf[40];
	if (isnan(v) || isinf(v)) {
		fputs("null", f);
		return;
	}
	prom_format_value(v, buf, sizeof buf);
	fputs(buf, f);
}

int status_fmt_json(FILE *f, const struct status_row *rows, size_t n,
		    double now)
{
	fprintf(f, "{\n  \"healthy\": %s,\n  \"now\": ",
		status_all_healthy(rows, n) ? "true" : "false");
	json_num(f, now);
	fputs(",\n  \"tools\": [", f);
	for (size_t i = 0; i < n; i++) {
		const struct status_row *r = &rows[i];
		fputs(i ? ",\n    {" : "\n    {", f);
		fputs("\"tool\": ", f);
		json_str(f, r->tool);
		fputs(", \"status\": ", f);
		json_str(f, status_code_name(r->code));
		fprintf(f, ", \"healthy\": %s",
			r->code == STATUS_OK ? "true" : "false");
		fputs(", \"interval_seconds\": ", f);
		json_num(f, r->interval);
		fputs(", \"last_run_timestamp_seconds\": ", f);
		json_num(f, r->last_run);
		fputs(", \"last_success_timestamp_seconds\": ", f);
		json_num(f, r->last_success);
		fputs(", \"duration_seconds\": ", f);
		json_num(f, r->duration);
		fputs(", \"result\": ", f);
		if (r->result < 0)
			fputs("null", f);
		else
			json_str(f, result_name(r->result));
		fputs(", \"series\": ", f);
		if (r->series < 0)
			fputs("null", f);
		else
			fprintf(f, "%ld", r->series);
		fputs(", \"file_age_seconds\": ", f);
		json_num(f, r->file_age);
		fprintf(f, ", \"state_reset\": %s",
			r->state_reset ? "true" : "false");
		fputs(", \"version\": ", f);
		if (r->version[0])
			json_str(f, r->version);
		else
			fputs("null", f);
		fputs(", \"running_pid\": ", f);
		if (r->running_pid > 0)
			fprintf(f, "%ld", r->running_pid);
		else
			fputs("null", f);
		fputs(", \"reason\": ", f);
		json_str(f, r->reason);
		fputs("}", f);
	}
	fputs(n ? "\n  ]\n}\n" : "]\n}\n", f);
	return ferror(f) ? -1 : 0;
}
