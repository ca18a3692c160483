/* SPDX-License-Identifier: MIT */
/* libFuzzer: schedule strings from the config file (@every, macros, cron)
 * and the next-due walk they drive. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/trace-once/schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schedule s;
	char err[256];
	char *spec;

	if (size > 256)
		return 0;
	spec = malloc(size + 1);
	if (!spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = 0;
	if (schedule_parse(spec, &s, err, sizeof err) == 0) {
		double n = schedule_next(&s, 1795304200.0);

		/* The next time is after the start, or -1 for never. */
		if (n != -1 && !(n > 1795304200.0))
			abort();
		(void)schedule_due(&s, 1795304200.0, 1795304260.0);
	}
	free(spec);
	return 0;
}
