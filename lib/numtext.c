/* SPDX-License-Identifier: MIT */
#include "numtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t numtext_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, len;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	len = n;
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
	return len;
}

/*
 * "%.3f" rounds the exact binary value of t to thousandths, ties to even.
 * With t = i + f (i = floor(t), so f = t - i exactly), f * 1000 is
 * m + e exactly, where m is the rounded product and e = fma(f, 1000, -m)
 * the rounding error, |e| <= ulp(m) / 2.  m - floor(m) is exact and a
 * multiple of ulp(m), as is 0.5 (m < 1000): unless it equals 0.5, it
 * alone decides the rounding (at r = 0 the exact value is within e of
 * the whole number k, whichever side); at 0.5 the sign of e does, and
 * e == 0 is a true tie.
 */
size_t numtext_ms(char *buf, double t)
{
	double i, f, m, e, k, r;
	uint64_t ms;
	size_t n;

	/* Below 2^53 / 1000 every step above is exact where it must be;
	 * state times are Unix times, about 2e9. */
	if (!(t >= 0 && t < 1e12) || signbit(t))
		return (size_t)snprintf(buf, NUMTEXT_MAX, "%.3f", t);
	i = floor(t);
	f = t - i;
	m = f * 1000.0;
	e = fma(f, 1000.0, -m);
	k = floor(m);
	r = m - k;
	if (r > 0.5 || (r == 0.5 && (e > 0 || (e == 0 && fmod(k, 2.0) != 0))))
		k += 1;
	/* k may be 1000 now (f just below 1): the sum carries it. */
	ms = (uint64_t)i * 1000 + (uint64_t)k;
	n = numtext_u64(buf, ms / 1000);
	buf[n++] = '.';
	buf[n++] = (char)('0' + ms / 100 % 10);
	buf[n++] = (char)('0' + ms / 10 % 10);
	buf[n++] = (char)('0' + ms % 10);
	buf[n] = '\0';
	return n;
}

/*
 * A decimal with at most 15 significant digits is an integer N < 2^53
 * over 10^d: both exact as doubles, so one division rounds once, to the
 * double nearest the decimal, which is what strtod returns (Clinger's
 * fast path).  Anything else (more digits, exponents, signs, hex, inf,
 * leading spaces) goes to strtod.
 */
int numtext_strtod_exact(const char *s, double *v, char **end)
{
	static const double pow10[] = {1e0,  1e1,  1e2,	 1e3, 1e4,  1e5,
				       1e6,  1e7,  1e8,	 1e9, 1e10, 1e11,
				       1e12, 1e13, 1e14, 1e15};
	const char *p = s;
	uint64_t n = 0;
	int digits = 0, frac = -1;

	for (;; p++) {
		if (*p >= '0' && *p <= '9') {
			n = n * 10 + (uint64_t)(*p - '0');
			if (n && ++digits > 15)
				return 0;
			if (frac >= 0)
				frac++;
		} else if (*p == '.' && frac < 0) {
			frac = 0;
		} else {
			break;
		}
	}
	/* No digit at all ("", ".", "x"), an exponent or a hex prefix
	 * next: strtod's rules. */
	if (p == s || (p == s + 1 && frac == 0) || *p == 'e' || *p == 'E' ||
	    *p == 'x' || *p == 'X' || frac > 15)
		return 0;
	*end = (char *)p;
	*v = frac > 0 ? (double)n / pow10[frac] : (double)n;
	return 1;
}

double numtext_strtod(const char *s, char **end)
{
	double v;

	if (numtext_strtod_exact(s, &v, end))
		return v;
	return strtod(s, end);
}

uint64_t numtext_strtou64(const char *s, char **end)
{
	const char *p = s;
	uint64_t v = 0;

	/* 19 digits cannot overflow; more, signs and spaces: strtoull. */
	while (*p >= '0' && *p <= '9' && p - s < 19)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p == s || (*p >= '0' && *p <= '9'))
		return strtoull(s, end, 10);
	*end = (char *)p;
	return v;
}
