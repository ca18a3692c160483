/* SPDX-License-Identifier: MIT */
#include "sni_name.h"

#include <string.h>

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

enum sni_kind sni_name_normalize(const char *in, size_t len, char *out)
{
	if (len == 0 || (len == 1 && in[0] == '-')) {
		memcpy(out, "none", 5);
		return SNI_NONE;
	}
	if (len > SNI_NAME_MAX)
		goto invalid;
	for (size_t i = 0; i < len; i++) {
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
