/* SPDX-License-Identifier: MIT */
/*
 * scan: what one log line means for the counters -- framing stripped,
 * format matched, name checked, the line's fate counted by reason.  Pure:
 * the caller feeds lines (without their newline) and the time.
 *
 *     struct scan s;
 *     scan_init(&s, lf, counters, &opts);
 *     for each line: scan_line(&s, line, len, now);
 *     scan_flush(&s, now);        at the end of the input
 *     s.result[SCAN_PARSED] ...
 *
 * Reasons (the `result` label of sni_scan_lines_total):
 *   parsed       matched, valid name: counted under the name
 *   no_sni       matched, no name ("-"): counted under sni="none"
 *   invalid_sni  matched, name fails hostname syntax: sni="invalid"
 *   logasap      matched, bytes "+N" (option logasap): connection and
 *                bytes-so-far counted, never as a zero-byte connection
 *   badreq       matched, request <BADREQ> (HTTP): counted under the name
 *   malformed    not in the configured format
 *   notice       HAProxy's own messages (Proxy started, Server is DOWN)
 *   ssl_error    a connection error line (SSL handshake failure, ...)
 *   truncated    as long as HAProxy's line limit (a framed line: its
 *                message within 64 bytes of it): maybe cut, not trusted
 *   too_long     longer than max_line (counted by the reader)
 *   split        the rest of an entry whose name held a raw newline (a
 *                short unframed line of visible bytes without spaces,
 *                right after an entry that ends with the name); the
 *                entry before it is moved to sni="invalid"
 */
#ifndef SCAN_H
#define SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "logformat.h"
#include "sni_name.h"

struct counters;

enum scan_result {
	SCAN_PARSED,
	SCAN_NO_SNI,
	SCAN_INVALID_SNI,
	SCAN_LOGASAP,
	SCAN_BADREQ,
	SCAN_MALFORMED,
	SCAN_NOTICE,
	SCAN_SSL_ERROR,
	SCAN_TRUNCATED,
	SCAN_TOO_LONG,
	SCAN_SPLIT,
	SCAN_NRESULTS
};

/* The label value of each result. */
extern const char *const scan_result_names[SCAN_NRESULTS];

struct scan_opts {
	size_t truncate_at; /* HAProxy's `len` (1024); 0: never */
};

/* An entry held back one line, while the next line may still show that
 * its name was split by a raw newline. */
struct scan_pending {
	int active;
	enum scan_result result;
	char sni[SNI_NAME_MAX + 1];
	size_t sni_len;
	char fe[128], be[128];
	size_t fe_len, be_len;
	uint64_t bytes_out, bytes_in;
	int zero;
};

struct scan {
	const struct logformat *lf;
	struct counters *c;
	struct scan_opts opts;
	int hold; /* the format ends with the name: look one line ahead */
	int http; /* the format has %r: look for <BADREQ> */
	/* The entry held back is slot[cur]; the next line is decoded into
	 * the other slot, so nothing is copied on the hot path. */
	struct scan_pending slot[2];
	int cur;
	uint64_t result[SCAN_NRESULTS];
	int oom;
};

void scan_init(struct scan *s, const struct logformat *lf,
	       struct counters *c, const struct scan_opts *opts);
void scan_line(struct scan *s, const char *line, size_t len, double now);
/* End of input: commit the entry held back, if any, and apply every
 * add still queued in the counters (counters_sync). */
void scan_flush(struct scan *s, double now);

#endif
