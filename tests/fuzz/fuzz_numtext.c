/* SPDX-License-Identifier: MIT */
/* libFuzzer target: lib/numtext's hand-made number text against libc.
 * The input, NUL-terminated, must read the same with numtext_strtod as
 * with strtod and with numtext_strtou64 as with strtoull (value and end);
 * its first 8 bytes as a double must print the same with numtext_ms as
 * with "%.3f". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], got[NUMTEXT_MAX], want[NUMTEXT_MAX];
	char *e1, *e2;
	double d1, d2, t;
	size_t n = size < sizeof text - 1 ? size : sizeof text - 1;

	memcpy(text, data, n);
	text[n] = '\0';
	d1 = numtext_strtod(text, &e1);
	d2 = strtod(text, &e2);
	if (e1 != e2 || (d1 != d2 && !(isnan(d1) && isnan(d2))))
		abort();
	if (numtext_strtou64(text, &e1) != strtoull(text, &e2, 10) || e1 != e2)
		abort();
	if (size >= sizeof t) {
		memcpy(&t, data, sizeof t);
		numtext_ms(got, t);
		snprintf(want, sizeof want, "%.3f", t);
		if (strcmp(got, want))
			abort();
	}
	return 0;
}
