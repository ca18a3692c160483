/* SPDX-License-Identifier: MIT */
#include "syslog_frame.h"

#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "Jan".."Dec" at p (3 bytes available). */
static int is_month(const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 36; i += 3)
		if (p[0] == months[i] && p[1] == months[i + 1] &&
		    p[2] == months[i + 2])
			return 1;
	return 0;
}

/* RFC 3164 timestamp "Mmm dd hh:mm:ss " or "Mmm  d hh:mm:ss " at p;
 * returns its length including the trailing space, or 0. */
static size_t ts3164_len(const char *p, size_t n)
{
	/* Most lines are unframed and open with a digit: reject those
	 * before the month table. */
	if (n < 16 || p[3] != ' ' || !is_month(p))
		return 0;
	if (!(p[4] == ' ' || is_digit(p[4])) || !is_digit(p[5]) ||
	    p[6] != ' ')
		return 0;
	if (!is_digit(p[7]) || !is_digit(p[8]) || p[9] != ':' ||
	    !is_digit(p[10]) || !is_digit(p[11]) || p[12] != ':' ||
	    !is_digit(p[13]) || !is_digit(p[14]) || p[15] != ' ')
		return 0;
	return 16;
}

/* ISO 8601 "YYYY-MM-DDThh:mm:ss..." up to and including the next space;
 * returns its length, or 0. */
static size_t iso_len(const char *p, size_t n)
{
	if (n < 20 || !is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2]) ||
	    !is_digit(p[3]) || p[4] != '-' || p[7] != '-' || p[10] != 'T' ||
	    p[13] != ':')
		return 0;
	const char *sp = memchr(p, ' ', n);
	return sp ? (size_t)(sp - p) + 1 : 0;
}

/* A syslog tag as HAProxy and rsyslog write it: "name:" or "name[pid]:".
 * p[0..n) is one space-free token. */
static int is_tag(const char *p, size_t n)
{
	if (n < 2 || p[n - 1] != ':')
		return 0;
	n--;
	if (p[n - 1] == ']') {
		const char *lb = memchr(p, '[', n);
		if (!lb || lb == p)
			return 0;
		for (const char *q = lb + 1; q < p + n - 1; q++)
			if (!is_digit(*q))
				return 0;
		n = (size_t)(lb - p);
	}
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      is_digit(c) || c == '-' || c == '_' || c == '.' ||
		      c == '/'))
			return 0;
	}
	return 1;
}

/* After a BSD-style timestamp: "[host ]tag: msg".  Returns the offset of
 * msg relative to p, or 0 if no tag is found (then the caller keeps the
 * text after the timestamp, the conservative choice: the matcher decides). */
static size_t skip_host_tag(const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n);
	size_t t1 = sp ? (size_t)(sp - p) : n;
	if (is_tag(p, t1))
		return sp ? t1 + 1 : n;
	if (!sp)
		return 0;
	const char *p2 = sp + 1;
	size_t n2 = n - t1 - 1;
	const char *sp2 = memchr(p2, ' ', n2);
	size_t t2 = sp2 ? (size_t)(sp2 - p2) : n2;
	if (is_tag(p2, t2))
		return sp2 ? t1 + 1 + t2 + 1 : n;
	return 0;
}

/* RFC 5424 after "<PRI>1 ": TIMESTAMP HOST APP PROCID MSGID SD [MSG]. */
static size_t skip_5424(const char *p, size_t n)
{
	size_t i = 0;
	for (int field = 0; field < 5; field++) {
		const char *sp = memchr(p + i, ' ', n - i);
		if (!sp)
			return n;
		i = (size_t)(sp - p) + 1;
	}
	if (i < n && p[i] == '-') {
		i++;
	} else {
		while (i < n && p[i] == '[') {
			i++;
			while (i < n && p[i] != ']') {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				else if (p[i] == '"') {
					/* PARAM-VALUE: ']' is only special outside quotes. */
					i++;
					while (i < n && p[i] != '"') {
						if (p[i] == '\\' && i + 1 < n)
							i++;
						i++;
					}
				}
				i++;
			}
			if (i >= n)
				return n;
			i++;
		}
	}
	if (i < n && p[i] == ' ')
		i++;
	if (n - i >= 3 && (unsigned char)p[i] == 0xEF &&
	    (unsigned char)p[i + 1] == 0xBB && (unsigned char)p[i + 2] == 0xBF)
		i += 3;
	return i > n ? n : i;
}

static size_t after_pri(const char *p, size_t n)
{
	size_t ts = ts3164_len(p, n);
	if (ts) {
		size_t m = skip_host_tag(p + ts, n - ts);
		return ts + m;
	}
	ts = iso_len(p, n);
	if (ts) {
		size_t m = skip_host_tag(p + ts, n - ts);
		return ts + m;
	}
	return 0;
}

size_t syslog_frame_strip(const char *line, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return 0;
	if (line[0] == '<') {
		/* <PRI> is 1..3 digits; anything else is not a frame. */
		size_t i = 1;
		while (i < len && i <= 4 && is_digit(line[i]))
			i++;
		if (i == 1 || i > 4 || i >= len || line[i] != '>')
			return 0;
		off = i + 1;
		if (len - off >= 2 && is_digit(line[off]) &&
		    line[off + 1] == ' ' && !ts3164_len(line + off, len - off))
			return off + 2 + skip_5424(line + off + 2, len - off - 2);
		return off + after_pri(line + off, len - off);
	}
	/* The usual raw line opens with the client address: a digit, and
	 * no ISO 8601 date ("2026-"), the only frame that opens so. */
	if ((unsigned)(line[0] - '0') < 10 && (len < 20 || line[4] != '-'))
		return 0;
	return after_pri(line, len);
}
