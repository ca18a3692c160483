/* SPDX-License-Identifier: MIT */
#include "sni_name.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* 1: byte allowed in a name (after lowercasing).  A table rather than
 * ctype: locale-independent and one load per byte on the hot path. */
static const unsigned char sni_ok[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1, ['*'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
	['A'] = 2, ['B'] = 2, ['C'] = 2, ['D'] = 2, ['E'] = 2, ['F'] = 2,
	['G'] = 2, ['H'] = 2, ['I'] = 2, ['J'] = 2, ['K'] = 2, ['L'] = 2,
	['M'] = 2, ['N'] = 2, ['O'] = 2, ['P'] = 2, ['Q'] = 2, ['R'] = 2,
	['S'] = 2, ['T'] = 2, ['U'] = 2, ['V'] = 2, ['W'] = 2, ['X'] = 2,
	['Y'] = 2, ['Z'] = 2,
};

#ifdef __SSE2__
/* Sixteen bytes lowercased into out; 0 if one is not allowed in a name. */
static inline int lower16(const char *in, char *out)
{
	/* Lowercase A-Z, then every byte must be a-z, 0-9, '-', '.', '_'
	 * or '*'.  Signed compares: bytes >= 0x80 are negative, outside
	 * every range. */
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)in);
	__m128i up = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
				   _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
	x = _mm_or_si128(x, _mm_and_si128(up, _mm_set1_epi8(0x20)));
	__m128i lo = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)),
				   _mm_cmplt_epi8(x, _mm_set1_epi8('z' + 1)));
	__m128i dg = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
				   _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
	__m128i pu = _mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')),
			     _mm_cmpeq_epi8(x, _mm_set1_epi8('.'))),
		_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
			     _mm_cmpeq_epi8(x, _mm_set1_epi8('*'))));
	__m128i ok = _mm_or_si128(_mm_or_si128(lo, dg), pu);
	if (_mm_movemask_epi8(ok) != 0xffff)
		return 0;
	_mm_storeu_si128((__m128i *)(void *)out, x);
	return 1;
}
#endif

enum sni_kind sni_name_normalize(const char *in, size_t len, char *out)
{
	if (len == 0 || (len == 1 && in[0] == '-')) {
		memcpy(out, "none", 5);
		return SNI_NONE;
	}
	if (len > SNI_NAME_MAX)
		goto invalid;
	size_t i = 0;
#ifdef __SSE2__
	/* Sixteen bytes at a time (once per log line); the last, partial
	 * step of a name of 16 bytes or more redoes the name's last sixteen
	 * bytes rather than going byte by byte. */
	for (; i + 16 <= len; i += 16)
		if (!lower16(in + i, out + i))
			goto invalid;
	if (i < len && len >= 16) {
		if (!lower16(in + len - 16, out + len - 16))
			goto invalid;
		i = len;
	}
#endif
	for (; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		switch (sni_ok[c]) {
		case 1:
			out[i] = (char)c;
			break;
		case 2:
			out[i] = (char)(c | 0x20);
			break;
		default:
			goto invalid;
		}
	}
	out[len] = 0;
	return SNI_OK;
invalid:
	memcpy(out, "invalid", 8);
	return SNI_INVALID;
}
