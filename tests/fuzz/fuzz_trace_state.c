/* SPDX-License-Identifier: MIT */
/* libFuzzer: the state text forms of a report and a route history (a
 * state file is operator-editable and may be damaged). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/trace-once/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mtr_report rep, rep2;
	static struct route_hist h;
	static char text[ROUTE_REPORT_TEXT_MAX];
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (route_report_decode(s, &rep) == 0) {
		compute_route_update(&h, &rep, &rep, 10, 1);
		(void)compute_jitter(&rep, &rep);
		if (route_report_encode(&rep, text, sizeof text) == 0 &&
		    (route_report_decode(text, &rep2) != 0 ||
		     rep2.nhops != rep.nhops))
			abort();
	}
	if (route_hist_decode(s, &h) == 0) {
		char buf[1024];

		(void)compute_variance(h.counts, h.n);
		if (route_hist_encode(&h, buf, sizeof buf) == 0 &&
		    route_hist_decode(buf, &h) != 0)
			abort();
	}
	free(s);
	return 0;
}
