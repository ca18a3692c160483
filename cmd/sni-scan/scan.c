/* SPDX-License-Identifier: MIT */
#include "scan.h"

#include <string.h>

#include "counters.h"
#include "syslog_frame.h"

const char *const scan_result_names[SCAN_NRESULTS] = {
	[SCAN_PARSED] = "parsed",
	[SCAN_NO_SNI] = "no_sni",
	[SCAN_INVALID_SNI] = "invalid_sni",
	[SCAN_LOGASAP] = "logasap",
	[SCAN_BADREQ] = "badreq",
	[SCAN_MALFORMED] = "malformed",
	[SCAN_NOTICE] = "notice",
	[SCAN_SSL_ERROR] = "ssl_error",
	[SCAN_TRUNCATED] = "truncated",
	[SCAN_TOO_LONG] = "too_long",
	[SCAN_SPLIT] = "split",
};

/* A continuation longer than this cannot be the tail of a server name
 * (HAProxy keeps at most 255 bytes of it), so it is not a split. */
#define SPLIT_MAX 256

void scan_init(struct scan *s, const struct logformat *lf,
	       struct counters *c, const struct scan_opts *opts)
{
	memset(s, 0, sizeof *s);
	s->lf = lf;
	s->c = c;
	s->opts = *opts;
	s->hold = logformat_sni_is_last(lf);
	s->http = logformat_has_request(lf);
}

static int starts(const char *s, size_t n, const char *p)
{
	size_t m = strlen(p);
	return n >= m && !memcmp(s, p, m);
}

static int is_notice(const char *m, size_t n)
{
	static const char *const prefixes[] = {
		"Proxy ", "Server ", "backend ", "Backend ", "Stopping ",
		"Pausing ", "Resuming ", "Health check", "Connect from ",
		"[NOTICE]", "[WARNING]", "[ALERT]", "Loading ", NULL};
	for (const char *const *p = prefixes; *p; p++)
		if (starts(m, n, *p))
			return 1;
	return 0;
}

static int is_ssl_error(const char *m, size_t n)
{
	return memmem(m, n, "SSL handshake", 13) ||
	       memmem(m, n, " during SSL", 11) ||
	       memmem(m, n, "SSL client", 10) ||
	       memmem(m, n, "SSL certificate", 15);
}

/*
 * Could this line be the rest of a name cut by a raw newline?  Only a
 * short, unframed run of visible bytes: a blank line, a relay's framed
 * line or a line with spaces is something else, and the entry before it
 * keeps its name.  (A client who can put a newline in its name can as
 * well send any other name, so the rule only has to keep honest entries
 * from being reclassified, not to out-guess an attacker.)
 */
static int is_continuation(const char *line, size_t len)
{
	if (len == 0 || len >= SPLIT_MAX || line[0] == '<' ||
	    syslog_frame_strip(line, len) != 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] <= 0x20 ||
		    (unsigned char)line[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * HAProxy cuts a message at its `len` (1024), header and newline
 * included: a raw line is then len - 1 bytes, a datagram len bytes.  A
 * relay such as rsyslog rewrites the header, so for a framed line only
 * the message is known: within TRUNC_SLACK bytes of the limit, it may
 * have been cut, and a cut line could carry a cut name that looks valid.
 */
#define TRUNC_SLACK 64

static int is_truncated(const struct scan_opts *o, size_t len, size_t off)
{
	if (!o->truncate_at)
		return 0;
	if (len + 1 >= o->truncate_at)
		return 1;
	return off && len - off + 1 + TRUNC_SLACK >= o->truncate_at;
}

static void commit(struct scan *s, const struct scan_pending *p, double now)
{
	s->result[p->result]++;
	if (counters_push(s->c, p->sni, p->sni_len, p->fe, p->fe_len, p->be,
			  p->be_len, p->bytes_out, p->bytes_in, p->zero, now))
		s->oom = 1;
}

/* Commit the entry held back, if any. */
static void commit_held(struct scan *s, double now)
{
	struct scan_pending *p = &s->slot[s->cur];
	if (p->active)
		commit(s, p, now);
	p->active = 0;
}

void scan_flush(struct scan *s, double now)
{
	commit_held(s, now);
	if (counters_sync(s->c))
		s->oom = 1;
}

static size_t cut(char *dst, size_t cap, const char *src, size_t n)
{
	if (n > cap)
		n = cap;
	if (n)
		memcpy(dst, src, n);
	return n;
}

void scan_line(struct scan *s, const char *line, size_t len, double now)
{
	struct lf_result r;

	/* A writer without O_APPEND (HAProxy logging to stdout sets its
	 * own file flags) keeps writing at its old offset after
	 * copytruncate: the file starts with a hole of NULs before the
	 * next line.  The hole is not part of the line. */
	while (len && line[0] == '\0') {
		line++;
		len--;
	}
	if (len && line[len - 1] == '\r')
		len--;
	size_t off = syslog_frame_strip(line, len);
	const char *m = line + off;
	size_t n = len - off;

	if (is_truncated(&s->opts, len, off)) {
		commit_held(s, now);
		s->result[SCAN_TRUNCATED]++;
		return;
	}

	if (logformat_match(s->lf, m, n, &r) != LF_MATCH) {
		enum scan_result why = SCAN_MALFORMED;
		if (is_notice(m, n))
			why = SCAN_NOTICE;
		else if (is_ssl_error(m, n))
			why = SCAN_SSL_ERROR;
		else if (s->slot[s->cur].active &&
			 is_continuation(line, len)) {
			/* The name held a newline: the entry before is not
			 * the name it seemed to be. */
			s->slot[s->cur].result = SCAN_INVALID_SNI;
			memcpy(s->slot[s->cur].sni, "invalid", 8);
			s->slot[s->cur].sni_len = 7;
			why = SCAN_SPLIT;
		}
		commit_held(s, now);
		s->result[why]++;
		return;
	}
	commit_held(s, now);

	/* Decode into the free slot; it becomes the held entry. */
	struct scan_pending *e = &s->slot[s->cur ^ 1];
	enum sni_kind k;
	size_t nl;
	if (r.sni_hash_escaped) {
		char dec[SNI_NAME_MAX + 1];
		size_t dl = logformat_unescape(r.sni, r.sni_len, dec,
					       sizeof dec);
		nl = dl == (size_t)-1 ? SNI_NAME_MAX + 1 : dl;
		k = sni_name_normalize(dec, nl, e->sni);
	} else {
		nl = r.sni_len;
		k = sni_name_normalize(r.sni, nl, e->sni);
	}
	/* The name's length, for the counters: a valid name keeps its
	 * length, the others are "none" and "invalid". */
	e->sni_len = k == SNI_OK ? nl : k == SNI_NONE ? 4 : 7;
	e->result = k == SNI_OK ? SCAN_PARSED :
		    k == SNI_NONE ? SCAN_NO_SNI : SCAN_INVALID_SNI;
	if (k == SNI_OK && r.logasap)
		e->result = SCAN_LOGASAP;
	else if (k == SNI_OK && s->http && memmem(m, n, "<BADREQ>", 8))
		e->result = SCAN_BADREQ;
	/* Proxy names only matter when they are labels (--by). */
	e->fe_len = s->c->keep_fe ? cut(e->fe, sizeof e->fe, r.frontend,
					r.frontend_len) : 0;
	e->be_len = s->c->keep_be ? cut(e->be, sizeof e->be, r.backend,
					r.backend_len) : 0;
	e->bytes_out = r.bytes_out;
	e->bytes_in = r.bytes_in;
	e->zero = r.bytes_out == 0 && !r.logasap;
	e->active = 1;
	if (s->hold) {
		/* Committed when the next line has been read. */
		s->cur ^= 1;
		return;
	}
	commit(s, e, now);
	e->active = 0;
}
