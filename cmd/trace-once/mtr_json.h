/* SPDX-License-Identifier: MIT */
/*
 * mtr_json: decode the report `mtr --json` prints into a struct mtr_report.
 *
 * Accepts both JSON dialects in the field: mtr 0.93 printed every value
 * with printf, so "count", "tos" and "tests" are strings ("1", "0x0",
 * "10"), and a report without hops left its hubs array unclosed, which is
 * read as empty; mtr 0.94 and later build the document with jansson and
 * write integers and floats.  Numbers are therefore taken from JSON numbers or
 * from strings holding a number.  RTTs stay in milliseconds as mtr gives
 * them; Loss% stays a percentage (0..100).
 *
 * Calling sequence:
 *     struct mtr_report rep;
 *     char err[256];
 *     if (decode_mtr_json(buf, len, &rep, err, sizeof err))
 *         ... malformed: err says why (a failed run) ...
 *
 * Pure: no syscalls, and no globals but jansson's allocator hooks, which
 * point at an arena for the tree while decode_mtr_json runs and are put
 * back before it returns (not thread-safe, as trace-once need not be).
 * The input is untrusted (it comes from a child process or a file):
 * every string is length-checked, hop numbers must be 1..MTR_MAX_HOPS and
 * strictly increasing, numbers must be finite and not negative.  Returns
 * 0, or -1 with errno EINVAL and a one-line reason in err.
 */
#ifndef TRACE_MTR_JSON_H
#define TRACE_MTR_JSON_H

#include <stddef.h>

#define MTR_MAX_HOPS 64
#define MTR_HOST_MAX 64 /* an IPv6 address is at most 45 bytes */
#define MTR_DST_MAX  256

struct mtr_hop {
	int ttl;		 /* mtr's 1-based "count" */
	char host[MTR_HOST_MAX]; /* address text, or "???" */
	int silent;		 /* host was "???": no answer at all */
	double loss_pct;	 /* 0..100 */
	double sent;
	double last, avg, best, worst, stddev; /* ms */
};

struct mtr_report {
	char dst[MTR_DST_MAX];
	double tests;
	size_t nhops;
	struct mtr_hop hops[MTR_MAX_HOPS];
};

int decode_mtr_json(const char *buf, size_t len, struct mtr_report *out,
		    char *err, size_t errlen);

/*
 * A report is 8.5 KB, of which a trace of a few hops fills a few hundred
 * bytes.  Clearing or copying all of it, for every target, twice, faulted
 * in pages no hop used (a third of trace-once's page faults): these touch
 * the header and hops[0..nhops) only.  Hops at nhops and beyond are
 * undefined; nothing reads them.
 */
void mtr_report_clear(struct mtr_report *r);
void mtr_report_copy(struct mtr_report *dst, const struct mtr_report *src);

#endif
