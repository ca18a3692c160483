/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the state file parser; a parsed state must render
 * back to text that parses to the same state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "statefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct statefile *st = statefile_new_memory("fuzz");
	if (statefile_parse(st, (const char *)data, size, err, sizeof err) == 0) {
		char *buf, *buf2;
		size_t len, len2;
		if (statefile_render(st, &buf, &len) == 0) {
			struct statefile *again = statefile_new_memory("fuzz");
			if (statefile_parse(again, buf, len, err, sizeof err) != 0)
				abort();
			if (statefile_render(again, &buf2, &len2) != 0 ||
			    len2 != len || memcmp(buf, buf2, len))
				abort();
			free(buf2);
			statefile_close(again);
			free(buf);
		}
	}
	statefile_close(st);
	return 0;
}
