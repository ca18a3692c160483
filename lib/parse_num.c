/* SPDX-License-Identifier: MIT */
#include "parse_num.h"
#include "errbuf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Quote at most 40 bytes of untrusted text for an error message. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t j = 0;
	for (size_t i = 0; s[i] && j + 5 < len && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			j += (size_t)snprintf(buf + j, len - j, "\\x%02x", c);
		else
			buf[j++] = (char)c;
	}
	buf[j] = 0;
	return buf;
}

int parse_int(const char *s, long long min, long long max, long long *out,
	      char *err, size_t errlen)
{
	char q[256];
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return errbuf_set(err, errlen, EINVAL,
			    "expected an integer %lld..%lld, got \"%s\"", min,
			    max, s ? shown(s, q, sizeof q) : "");
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return errbuf_set(err, errlen, EINVAL,
			    "expected an integer %lld..%lld, got \"%s\"", min,
			    max, shown(s, q, sizeof q));
	if (errno == ERANGE || v < min || v > max)
		return errbuf_set(err, errlen, ERANGE,
			    "expected an integer %lld..%lld, got \"%s\"", min,
			    max, shown(s, q, sizeof q));
	*out = v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out,
		 char *err, size_t errlen)
{
	char q[256];
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return errbuf_set(err, errlen, EINVAL,
			    "expected a number %g..%g, got \"%s\"", min, max,
			    s ? shown(s, q, sizeof q) : "");
	errno = 0;
	v = strtod(s, &end);
	if (*end || !isfinite(v))
		return errbuf_set(err, errlen, EINVAL,
			    "expected a number %g..%g, got \"%s\"", min, max,
			    shown(s, q, sizeof q));
	if (v < min || v > max)
		return errbuf_set(err, errlen, ERANGE,
			    "expected a number %g..%g, got \"%s\"", min, max,
			    shown(s, q, sizeof q));
	*out = v;
	return 0;
}

static double unit_seconds(const char *u, size_t n)
{
	static const struct {
		const char *name;
		double secs;
	} units[] = {
		{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3},
		{"s", 1},     {"m", 60},    {"h", 3600},  {"d", 86400},
		{"w", 604800},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n))
			return units[i].secs;
	return 0;
}

int parse_duration(const char *s, double min, double max, double *out,
		   char *err, size_t errlen)
{
	char q[256];
	const char *p;
	double total = 0;
	int parts = 0;

	if (!s)
		s = "";
	p = s;
	if (!strncmp(p, "@every", 6) && (p[6] == ' ' || p[6] == '\t')) {
		p += 6;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	if (!*p)
		goto bad;
	/* A bare number is seconds, as in "1.5". */
	{
		char *end;
		errno = 0;
		double v = strtod(p, &end);
		if (end != p && !*end && isfinite(v) && isdigit((unsigned char)*p)) {
			total = v;
			goto range;
		}
	}
	while (*p) {
		char *end;
		double v;
		const char *u;

		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || !isfinite(v))
			goto bad;
		u = end;
		while (*end && !isdigit((unsigned char)*end) && *end != '.')
			end++;
		double us = unit_seconds(u, (size_t)(end - u));
		if (us == 0)
			goto bad;
		total += v * us;
		parts++;
		p = end;
	}
	if (!parts)
		goto bad;
range:
	if (!(total >= min && total <= max))
		return errbuf_set(err, errlen, ERANGE,
			    "expected a duration %gs..%gs, got \"%s\"", min,
			    max, shown(s, q, sizeof q));
	*out = total;
	return 0;
bad:
	return errbuf_set(err, errlen, EINVAL,
		    "expected a duration such as 500ms, 10s or 1m30s, got "
		    "\"%s\"",
		    shown(s, q, sizeof q));
}

int parse_size(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out, char *err, size_t errlen)
{
	static const struct {
		const char *suffix;
		unsigned long long mul;
	} sfx[] = {
		{"", 1ULL},
		{"b", 1ULL},
		{"k", 1ULL << 10},
		{"kb", 1ULL << 10},
		{"kib", 1ULL << 10},
		{"m", 1ULL << 20},
		{"mb", 1ULL << 20},
		{"mib", 1ULL << 20},
		{"g", 1ULL << 30},
		{"gb", 1ULL << 30},
		{"gib", 1ULL << 30},
		{"t", 1ULL << 40},
		{"tb", 1ULL << 40},
		{"tib", 1ULL << 40},
	};
	char q[256];
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		goto bad;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		goto range;
	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		if (strcasecmp(end, sfx[i].suffix))
			continue;
		if (v > max / sfx[i].mul)
			goto range;
		v *= sfx[i].mul;
		if (v < min || v > max)
			goto range;
		*out = v;
		return 0;
	}
bad:
	return errbuf_set(err, errlen, EINVAL,
		    "expected a size such as 4096, 64KiB or 10MB, got \"%s\"",
		    s ? shown(s, q, sizeof q) : "");
range:
	return errbuf_set(err, errlen, ERANGE,
		    "expected a size %llu..%llu bytes, got \"%s\"", min, max,
		    shown(s, q, sizeof q));
}

int parse_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}
