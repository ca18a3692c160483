/* SPDX-License-Identifier: MIT */
#include "mtr_json.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What an address or a host name may hold: these become labels and state
 * entries, so nothing else (no space, no ';') is let through. */
#define HOST_CHARS                                                             \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:-_%?"

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

/*
 * A number from a JSON number or, for mtr 0.93, from a string such as
 * "10" or "0x0".  Returns 0 and sets *out, 1 if the key is absent, -1 if
 * present but not a usable number.
 */
static int get_num(const json_t *obj, const char *key, double *out)
{
	const json_t *v = json_object_get(obj, key);
	double d;

	if (!v)
		return 1;
	if (json_is_integer(v)) {
		d = (double)json_integer_value(v);
	} else if (json_is_real(v)) {
		d = json_real_value(v);
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		if (!*s || strlen(s) > 32)
			return -1;
		errno = 0;
		d = strtod(s, &end);
		if (errno || *end || end == s)
			return -1;
	} else {
		return -1;
	}
	if (!isfinite(d) || d < 0)
		return -1;
	*out = d;
	return 0;
}

static int decode_hop(const json_t *h, size_t i, struct mtr_hop *hop, char *err,
		      size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
	} fields[] = {
	    {"Loss%", offsetof(struct mtr_hop, loss_pct)},
	    {"Snt", offsetof(struct mtr_hop, sent)},
	    {"Last", offsetof(struct mtr_hop, last)},
	    {"Avg", offsetof(struct mtr_hop, avg)},
	    {"Best", offsetof(struct mtr_hop, best)},
	    {"Wrst", offsetof(struct mtr_hop, worst)},
	    {"StDev", offsetof(struct mtr_hop, stddev)},
	};
	const json_t *host;
	const char *s;
	double count;
	size_t n;

	memset(hop, 0, sizeof *hop);
	if (!json_is_object(h))
		return fail(err, errlen, "hubs[%zu]: expected an object", i);
	if (get_num(h, "count", &count))
		return fail(err, errlen,
			    "hubs[%zu].count: expected a hop number", i);
	if (count < 1 || count > MTR_MAX_HOPS || count != floor(count))
		return fail(err, errlen, "hubs[%zu].count: %g is not 1..%d", i,
			    count, MTR_MAX_HOPS);
	hop->ttl = (int)count;
	host = json_object_get(h, "host");
	if (!json_is_string(host))
		return fail(err, errlen, "hubs[%zu].host: expected a string",
			    i);
	s = json_string_value(host);
	n = json_string_length(host);
	if (n == 0 || n >= sizeof hop->host || strlen(s) != n)
		return fail(err, errlen,
			    "hubs[%zu].host: empty, too long or has NUL", i);
	/* Hosts become labels and state entries: with -n they are
	 * addresses; allow host names too (a report from a file), nothing
	 * else. */
	if (strspn(s, HOST_CHARS) != n)
		return fail(err, errlen,
			    "hubs[%zu].host: not an address or host name", i);
	memcpy(hop->host, s, n + 1);
	hop->silent = !strcmp(s, "???");
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
		double *dst = (double *)(void *)((char *)hop + fields[f].off);
		int rc = get_num(h, fields[f].key, dst);

		if (rc < 0)
			return fail(err, errlen,
				    "hubs[%zu].%s: expected a number >= 0", i,
				    fields[f].key);
		if (rc > 0)
			*dst = 0;
	}
	if (hop->loss_pct > 100)
		return fail(err, errlen, "hubs[%zu].Loss%%: %g is over 100", i,
			    hop->loss_pct);
	return 0;
}

/*
 * mtr 0.93 printed its JSON with printf and, for a report without hops,
 * left the hubs array open: `"hubs": [  }`.  That one shape is read as an
 * empty array (an unreachable target, not a broken mtr); anything else
 * that does not parse stays an error.  NULL if buf is not that shape.
 */
static json_t *load_v093_empty(const char *buf, size_t len)
{
	static const char key[] = "\"hubs\": [";
	const char *p = memmem(buf, len, key, sizeof key - 1);
	json_error_t jerr;
	json_t *root;
	char *fixed;
	size_t at;

	if (!p)
		return NULL;
	at = (size_t)(p - buf) + sizeof key - 1;
	while (at < len && (buf[at] == ' ' || buf[at] == '\n'))
		at++;
	if (at >= len || buf[at] != '}')
		return NULL;
	fixed = malloc(len + 1);
	if (!fixed)
		return NULL;
	/* Close the array where mtr forgot to. */
	memcpy(fixed, buf, at);
	fixed[at] = ']';
	memcpy(fixed + at + 1, buf + at, len - at);
	root = json_loadb(fixed, len + 1, JSON_REJECT_DUPLICATES, &jerr);
	free(fixed);
	return root;
}

static int json_blank(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* A character of a number or a literal (true, false, null). */
static int json_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '.' || c == '+' || c == '-';
}

/*
 * Copy JSON text into out (len bytes of room) without the blanks between
 * tokens; returns the length.  mtr indents its report, and more than half
 * of it is blanks that jansson's lexer would otherwise take one character
 * at a time.  A run of blanks between two word characters stays as one
 * blank, so "1 2" does not become "12": the copy is valid JSON exactly
 * when the input is, with the same values.  Strings are copied as they
 * are, escapes included.
 */
static size_t json_squeeze(const char *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (json_blank(c)) {
			while (i + 1 < len && json_blank((unsigned char)in[i + 1]))
				i++;
			if (o > 0 && i + 1 < len &&
			    json_word((unsigned char)out[o - 1]) &&
			    json_word((unsigned char)in[i + 1]))
				out[o++] = ' ';
			continue;
		}
		out[o++] = (char)c;
		if (c != '"')
			continue;
		/* A string, to its closing quote. */
		while (++i < len) {
			c = (unsigned char)in[i];
			out[o++] = (char)c;
			if (c == '"')
				break;
			if (c == '\\' && i + 1 < len)
				out[o++] = in[++i];
		}
	}
	return o;
}

/*
 * While decode_mtr_json runs, jansson takes every value, key and token of
 * the report from an arena, and the whole tree goes at once afterwards:
 * no free() per value and no walk of the tree to free it, which cost a
 * third as much as parsing.  jansson's allocator hooks take no context,
 * hence these statics; they are set only inside decode_mtr_json (jansson
 * holds no value across calls, and trace-once parses in one thread).
 */
struct arena {
	struct arena *next;
	size_t used, cap;
	max_align_t mem[];
};

static struct arena *arena_head;
static size_t arena_chunk;

static void *arena_alloc(size_t n)
{
	struct arena *a = arena_head;

	if (n > SIZE_MAX / 4)
		return NULL;
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!a || a->cap - a->used < n) {
		size_t cap = n > arena_chunk ? n : arena_chunk;

		a = malloc(sizeof *a + cap);
		if (!a)
			return NULL;
		a->next = arena_head;
		a->used = 0;
		a->cap = cap;
		arena_head = a;
	}
	a->used += n;
	return (char *)a->mem + a->used - n;
}

static void arena_free(void *p)
{
	(void)p; /* all of it goes in decode_mtr_json */
}

static int decode_tree(const char *buf, size_t len, struct mtr_report *out,
		       char *err, size_t errlen);

void mtr_report_clear(struct mtr_report *r)
{
	r->dst[0] = 0;
	r->tests = 0;
	r->nhops = 0;
}

void mtr_report_copy(struct mtr_report *dst, const struct mtr_report *src)
{
	memcpy(dst, src, offsetof(struct mtr_report, hops));
	memcpy(dst->hops, src->hops, src->nhops * sizeof src->hops[0]);
}

int decode_mtr_json(const char *buf, size_t len, struct mtr_report *out,
		    char *err, size_t errlen)
{
	json_malloc_t old_malloc;
	json_free_t old_free;
	int rc;

	mtr_report_clear(out);
	if (len == 0)
		return fail(err, errlen, "empty report");
	json_get_alloc_funcs(&old_malloc, &old_free);
	/* About what a report of len bytes needs, in one piece. */
	arena_chunk = len < 65536 ? 4 * len + 4096 : 65536;
	json_set_alloc_funcs(arena_alloc, arena_free);
	rc = decode_tree(buf, len, out, err, errlen);
	json_set_alloc_funcs(old_malloc, old_free);
	while (arena_head) {
		struct arena *next = arena_head->next;

		free(arena_head);
		arena_head = next;
	}
	return rc;
}

/* decode_mtr_json with jansson on the arena: the tree is never freed
 * here. */
static int decode_tree(const char *buf, size_t len, struct mtr_report *out,
		       char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL;
	const json_t *report, *mtr, *hubs, *dst;
	char *tight;
	int rc = -1;

	tight = arena_alloc(len);
	if (tight)
		root = json_loadb(tight, json_squeeze(buf, len, tight),
				  JSON_REJECT_DUPLICATES, &jerr);
	/* Not JSON: once more as it came, for an error that points into the
	 * report as mtr wrote it (and for mtr 0.93's unclosed hubs). */
	if (!root)
		root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		root = load_v093_empty(buf, len);
	if (!root)
		return fail(err, errlen, "line %d column %d: %s", jerr.line,
			    jerr.column, jerr.text);
	report = json_object_get(root, "report");
	mtr = json_object_get(report, "mtr");
	hubs = json_object_get(report, "hubs");
	if (!json_is_object(report) || !json_is_object(mtr)) {
		fail(err, errlen, "no report.mtr object");
		goto out;
	}
	dst = json_object_get(mtr, "dst");
	if (!json_is_string(dst) || json_string_length(dst) == 0 ||
	    json_string_length(dst) >= sizeof out->dst ||
	    strspn(json_string_value(dst), HOST_CHARS) !=
		json_string_length(dst)) {
		fail(err, errlen,
		     "report.mtr.dst: expected an address or "
		     "host name");
		goto out;
	}
	memcpy(out->dst, json_string_value(dst), json_string_length(dst) + 1);
	if (get_num(mtr, "tests", &out->tests) < 0) {
		fail(err, errlen, "report.mtr.tests: expected a number");
		goto out;
	}
	/* mtr 0.95 omits nothing, but an unresolvable or unreachable target
	 * can leave hubs empty; a missing hubs member is malformed. */
	if (!json_is_array(hubs)) {
		fail(err, errlen, "report.hubs: expected an array");
		goto out;
	}
	if (json_array_size(hubs) > MTR_MAX_HOPS) {
		fail(err, errlen, "report.hubs: more than %d hops",
		     MTR_MAX_HOPS);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(hubs); i++) {
		struct mtr_hop *hop = &out->hops[i];

		if (decode_hop(json_array_get(hubs, i), i, hop, err, errlen))
			goto out;
		if (i > 0 && hop->ttl <= out->hops[i - 1].ttl) {
			fail(err, errlen,
			     "hubs[%zu].count: %d does not follow %d", i,
			     hop->ttl, out->hops[i - 1].ttl);
			goto out;
		}
		out->nhops = i + 1;
	}
	rc = 0;
out:
	if (rc)
		out->nhops = 0;
	return rc;
}
