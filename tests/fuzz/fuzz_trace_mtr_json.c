/* SPDX-License-Identifier: MIT */
/* libFuzzer: mtr --json reports (untrusted child output or a file).  A
 * report that decodes must also survive the state text round trip. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/trace-once/mtr_json.h"
#include "../../cmd/trace-once/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mtr_report rep, back;
	static char text[ROUTE_REPORT_TEXT_MAX], again[ROUTE_REPORT_TEXT_MAX];
	char err[256];

	if (decode_mtr_json((const char *)data, size, &rep, err, sizeof err))
		return 0;
	(void)compute_reached(&rep);
	(void)compute_path_id(&rep);
	if (route_report_encode(&rep, text, sizeof text) == 0) {
		if (route_report_decode(text, &back) != 0)
			abort();
		/* Only hops[0..nhops) are defined (mtr_report_clear): the
		 * text must come back the same all the same. */
		if (back.nhops != rep.nhops ||
		    route_report_encode(&back, again, sizeof again) != 0 ||
		    strcmp(text, again))
			abort();
	}
	return 0;
}
