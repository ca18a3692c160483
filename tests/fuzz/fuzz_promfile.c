/* SPDX-License-Identifier: MIT */
/* libFuzzer target: label values and names from hostile input.  Whatever
 * goes in, the output must be valid UTF-8 with every label value quoted
 * and escaped, so one line per sample; a series added twice is refused
 * (EEXIST) and leaves the output as it was; promfile_retain of the
 * family keeps it whole. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const char *buf, size_t len)
{
	size_t lines = 0;

	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n')
			lines++;
	return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *buf, *again;
	size_t len, len2, samples = 0;
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	/* Split at the first NUL-free ';' into label name and value. */
	char *semi = strchr(s, ';');
	const char *lname = "series", *lval = s;
	if (semi) {
		*semi = 0;
		lname = s;
		lval = semi + 1;
	}
	struct promfile *pf = promfile_new();
	if (promfile_add(pf, "promsnap_selftest_value", (double)size, lname,
			 lval, NULL) == 0)
		samples++;
	if (promfile_add(pf, "promsnap_selftest_value", 1, "series", s, NULL) == 0)
		samples++;
	/* Every suffix of the value, so its bytes meet the escaper at each
	 * offset of its 8-byte steps. */
	for (size_t k = 1; k < 9 && k <= strlen(lval); k++)
		if (promfile_add(pf, "promsnap_selftest_value", (double)k,
				 "series", "suffix", "v", lval + k, NULL) == 0)
			samples++;
	if (promfile_render(pf, &buf, &len) == 0) {
		/* HELP + TYPE + one line per sample. */
		if (samples && count_lines(buf, len) != 2 + samples)
			abort();
		if (memchr(buf, 0, len))
			abort();
		/* The first series again: refused, nothing changes. */
		if (samples) {
			static const char *const keep[] = {
			    "promsnap_selftest_value", NULL};
			int r = promfile_add(pf, "promsnap_selftest_value", 2,
					     "series", s, NULL);
			int r1 = promfile_add(pf, "promsnap_selftest_value", 3,
					      lname, lval, NULL);

			if ((r == 0 || r1 == 0) ||
			    (r < 0 && errno != EEXIST && errno != EINVAL))
				abort();
			if (promfile_retain(pf, keep) != 0 ||
			    promfile_render(pf, &again, &len2) != 0)
				abort();
			if (len2 != len || memcmp(buf, again, len))
				abort();
			free(again);
		}
		free(buf);
	}
	promfile_free(pf);
	free(s);
	return 0;
}
