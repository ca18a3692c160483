/* SPDX-License-Identifier: MIT */
/* libFuzzer target: status_decode_prom and status_decode_locks on
 * arbitrary bytes, and the row and formatting code on what they decode. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status_input in = {.tool = "sni-scan",
				  .interval = 60,
				  .have_prom = 1,
				  .prom_mtime = 1000};
	struct status_row row;
	FILE *f;

	status_decode_prom((const char *)data, size, "sni-scan", &in.prom);
	in.have_state = size & 1;
	in.running_pid =
	    status_decode_locks((const char *)data, size, 8, 1, 5678);
	in.state_last_success = in.prom.last_run;
	status_compute(&in, 1100, &row);
	f = fopen("/dev/null", "w");
	if (f) {
		status_fmt_table(f, &row, 1, 1100);
		status_fmt_json(f, &row, 1, 1100);
		fclose(f);
	}
	return 0;
}
