/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: saved per-SNI entries (the state file's "sni/<key>
 * <value>" lines, as statefile hands them over) loaded into the counters,
 * merged under a small cap, expired and formatted.  The first byte picks
 * which labels are kept.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/sni-scan/counters.h"
#include "promfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	struct counters *c = counters_new(4);
	counters_keep(c, data[0] & 1, data[0] & 2);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = 0;
		counters_load(c, line, sp + 1);
	}
	counters_add(c, "new.example", "fe", 2, "be", 2, 1, 1, 0, 1e9);
	counters_expire(c, 2e9, 1e9);
	struct promfile *pf = promfile_new();
	if (counters_fmt(c, pf, 1, data[0] & 1, data[0] & 2) < 0)
		__builtin_trap();
	promfile_free(pf);
	counters_free(c);
	free(text);
	return 0;
}
