/* SPDX-License-Identifier: MIT */
#include "result.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* The first line of what mtr said, trimmed, for a message. */
static void first_line(const char *s, char *out, size_t len)
{
	size_t n;

	while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
		s++;
	n = strcspn(s, "\r\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

/*
 * Where the report starts in out: at its first character when that is
 * "{" (blanks aside), else after the first newline that a "{" follows;
 * len when there is no such line, so that all of it is what mtr said.
 */
static size_t report_start(const char *out, size_t len)
{
	const char *p;
	size_t i = 0;

	while (i < len && (out[i] == ' ' || out[i] == '\t' || out[i] == '\r' ||
			   out[i] == '\n'))
		i++;
	if (i < len && out[i] == '{')
		return 0;
	p = memmem(out, len, "\n{", 2);
	return p ? (size_t)(p - out) + 1 : len;
}

enum trace_result decode_mtr_result(int timed_out, int status, const char *out,
				    size_t outlen, int out_truncated,
				    struct mtr_report *rep, char *why,
				    size_t whylen)
{
	static const char *const resolve_errors[] = {
	    "Failed to resolve host",
	    "Name or service not known",
	    "No address associated with hostname",
	    "Temporary failure in name resolution",
	    "Unknown host",
	};
	char line[256];
	char jerr[256];
	char errtext[1024];
	size_t start, n;

	mtr_report_clear(rep);
	if (timed_out) {
		snprintf(why, whylen, "killed at its deadline");
		return TRACE_TIMEOUT;
	}
	if (!out) {
		out = "";
		outlen = 0;
	}
	start = report_start(out, outlen);
	n = start < sizeof errtext ? start : sizeof errtext - 1;
	memcpy(errtext, out, n);
	errtext[n] = 0;
	out += start;
	outlen -= start;
	first_line(errtext, line, sizeof line);
	for (size_t i = 0; i < sizeof resolve_errors / sizeof resolve_errors[0];
	     i++)
		if (strstr(errtext, resolve_errors[i])) {
			snprintf(why, whylen, "%s", line);
			return TRACE_RESOLVE_FAILED;
		}
	if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "killed by signal %d%s%s",
			 WTERMSIG(status), *line ? ": " : "", line);
		return TRACE_MTR_FAILED;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whylen, "exit status %d%s%s",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 *line ? ": " : "", line);
		return TRACE_MTR_FAILED;
	}
	if (*line) {
		snprintf(why, whylen, "%s", line);
		return TRACE_MTR_FAILED;
	}
	if (outlen == 0) {
		snprintf(why, whylen, "no report on stdout");
		return TRACE_MTR_FAILED;
	}
	if (out_truncated) {
		snprintf(why, whylen, "report larger than the output cap");
		return TRACE_MTR_FAILED;
	}
	if (decode_mtr_json(out, outlen, rep, jerr, sizeof jerr)) {
		snprintf(why, whylen, "malformed report: %s", jerr);
		return TRACE_MTR_FAILED;
	}
	why[0] = 0;
	return TRACE_OK;
}
