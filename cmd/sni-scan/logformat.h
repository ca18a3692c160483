/* SPDX-License-Identifier: MIT */
/*
 * logformat: compile an HAProxy `log-format` string, exactly as the user
 * wrote it in haproxy.cfg, into a matcher for the lines it produces, and
 * pull out the fields sni-scan counts: the server name, bytes to the
 * client (%B), bytes from the client (%U), frontend (%ft, %f) and backend
 * (%b).
 *
 * Calling sequence:
 *     struct logformat *lf;
 *     if (logformat_compile(fmt_string, &lf, err, sizeof err)) ...   or
 *     if (logformat_preset("tcp-sni", &lf, err, sizeof err)) ...
 *     struct lf_result r;
 *     switch (logformat_match(lf, msg, len, &r)) { ... }
 *     logformat_free(lf);
 *
 * How a format reads a line: literal text must appear as written; a run
 * of spaces in the format matches one space, or none after a field that
 * printed nothing (HAProxy's own separator rule); numeric fields are
 * [+-]digits or "-"; %hr/%hs are "{a|b}" blocks or nothing; a field with
 * the +Q flag is "quoted"; dates with a zone (%T, %Tl, %trg, %trl) and
 * the request line (%r) may hold spaces; addresses (%ci, %fi, %bi, %si)
 * are hex digits, ':' and '.' (or "unix", "-"); other fields are one
 * word.
 * Where a field could end at several places, the shortest reading after
 * which the rest of the line still matches wins, and the whole line must
 * be consumed, so a hostile name cannot shift the fields after it.  The
 * work per line is bounded (LF_MAX_STEPS); past it the line is malformed.
 * A line is first read in one pass, every field at its shortest reading
 * (byte-class masks, steps chosen when the format is compiled); only if
 * that fails does the general, backtracking matcher decide.  For the
 * recommended formats the one pass is code made for them: the line cut
 * at its spaces, each piece checked as the field it must be.
 *
 * The server name is the first `%[...]` sample whose expression mentions
 * "sni" (var(sess.sni), ssl_fc_sni, req.ssl_sni), or else slot
 * sni_capture (1-based) of the %hr block, for `capture req.ssl_sni`.
 *
 * Preset "traffic-exporter" is not a format but the old daemon's rule:
 * the word starting with "SNI=" gives the name, the last all-digit word
 * before it the bytes.
 *
 * Errors: compile returns -1 with errno EINVAL and a reason in err naming
 * the byte offset.  Matching never allocates and never fails hard.
 */
#ifndef LOGFORMAT_H
#define LOGFORMAT_H

#include <stddef.h>
#include <stdint.h>

#define LF_MAX_STEPS 4096
#define LF_MAX_TOKENS 256

enum lf_status {
	LF_MATCH,     /* the line matched; r is filled */
	LF_NOMATCH,   /* the line is not in this format */
};

/* What a matched line yielded.  Pointers point into the matched line. */
struct lf_result {
	const char *sni;
	size_t sni_len;
	int sni_hash_escaped; /* from %hr: decode #XX before use */
	uint64_t bytes_out;   /* %B */
	uint64_t bytes_in;    /* %U */
	int has_bytes_in;
	int logasap;	      /* %B was "+N": logged before the end */
	const char *frontend, *backend;
	size_t frontend_len, backend_len;
};

struct logformat;

int logformat_compile(const char *fmt, struct logformat **out, char *err,
		      size_t errlen);
/* Names: tcp-sni, tcp-sni-tls, http-sni, traffic-exporter. */
int logformat_preset(const char *name, struct logformat **out, char *err,
		     size_t errlen);
/* The log-format string of a preset (NULL for traffic-exporter or an
 * unknown name), for the man page and --help. */
const char *logformat_preset_string(const char *name);
void logformat_free(struct logformat *lf);

/* For %hr captures: which slot holds the name (default 1). */
void logformat_set_sni_capture(struct logformat *lf, unsigned slot);

/* 1 if the format yields bytes from the client (%U). */
int logformat_has_bytes_in(const struct logformat *lf);
/* 1 if the format has the HTTP request line (%r). */
int logformat_has_request(const struct logformat *lf);
/* 1 if the name is the last field with nothing after it: the shape in
 * which a newline inside the name splits one entry into two lines. */
int logformat_sni_is_last(const struct logformat *lf);

enum lf_status logformat_match(const struct logformat *lf, const char *msg,
			       size_t len, struct lf_result *r);
/* Byte classes 32 bytes a step (AVX2) if on and the CPU has it, else 16
 * (SSE2); the default is the widest the CPU has.  Returns 1 if wide.
 * The result of a match is the same either way: for tests. */
int logformat_set_wide(struct logformat *lf, int on);
/* Lines read by segments (the line cut at the spaces the format's
 * literals put there, see logformat.c) for any format that has them, if
 * on; else only for the formats sni-scan has code made for (tcp-sni,
 * tcp-sni-tls).  Returns 0 if the format has no segments, 2 if it is one
 * of those, else 1.  The result of a match is the same either way: for
 * tests and the fuzzer. */
int logformat_set_segments(struct logformat *lf, int on);
/* The same result, always by the general matcher (no one-pass reading of
 * the usual line): for tests and the fuzzer, which compare the two. */
enum lf_status logformat_match_general(const struct logformat *lf,
				       const char *msg, size_t len,
				       struct lf_result *r);

/*
 * Decode HAProxy's "#XX" escapes (captured headers) from in[0..len) into
 * out (outlen bytes); returns the decoded length, or (size_t)-1 if it
 * does not fit.  A '#' not followed by two hex digits stays as is.
 */
size_t logformat_unescape(const char *in, size_t len, char *out,
			  size_t outlen);

#endif
