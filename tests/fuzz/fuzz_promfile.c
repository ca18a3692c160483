/* SPDX-License-Identifier: MIT */
/* libFuzzer target: label values and names from hostile input.  Whatever
 * goes in, the output must be valid UTF-8 with every label value quoted
 * and escaped, so one line per sample. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *buf;
	size_t len, lines = 0, samples = 0;
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
	if (promfile_render(pf, &buf, &len) == 0) {
		for (size_t i = 0; i < len; i++)
			if (buf[i] == '\n')
				lines++;
		/* HELP + TYPE + one line per sample. */
		if (samples && lines != 2 + samples)
			abort();
		if (memchr(buf, 0, len))
			abort();
		free(buf);
	}
	promfile_free(pf);
	free(s);
	return 0;
}
