/* SPDX-License-Identifier: MIT */
/* libFuzzer target: tcpping-burst's per-target numbers read back from a
 * state file (which an operator may edit or a crash may truncate).  The
 * input is parsed as state text; target "a" is loaded, given one burst,
 * saved and formatted.  Loaded numbers must never make a counter or the
 * RTO leave its bounds. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../cmd/tcpping-burst/fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rto_params p = {.initial = 1, .min = 0.01,
					    .max = 5, .granularity = 1e-6,
					    .adaptive = 1};
	struct statefile *st = statefile_new_memory("tcpping-burst");
	struct promfile *pf = promfile_new();
	struct target_list l = {0};
	struct target t;
	struct tstats s;
	struct session se;
	struct slot slots[2];
	uint8_t b[WIRE_PROBE_LEN];
	char err[256], *out;
	size_t len;
	double rtt;

	if (!st || !pf)
		abort();
	if (statefile_parse(st, (const char *)data, size, err, sizeof err))
		goto out;
	target_parse_spec("a=127.0.0.1:4000", &t, err, sizeof err);
	targets_add(&l, &t, err, sizeof err);
	stats_load(st, &t, &p, size && (data[0] & 1) ? MODE_CONNECT : MODE_ECHO,
		   &s);
	if (!(s.rto.rto >= p.min && s.rto.rto <= p.max))
		abort();
	session_init(&se, slots, 2, 7, 0, 0.1, &s.rto, &p);
	session_send(&se, 0, 1, b);
	if (session_on_echo(&se, b, 0.001, &rtt) == ECHO_RECEIVED)
		histogram_observe(&s.hist, rtt);
	session_send(&se, 0.1, 2, b);
	session_expire(&se, 10);
	stats_add_burst(&s, &se, 1, 0);
	if (stats_save(st, &t, &s) == 0 &&
	    stats_fmt(pf, &t, &s) == 0 &&
	    promfile_render(pf, &out, &len) == 0)
		free(out);
	stats_prune(st, &l);
	if (statefile_render(st, &out, &len) == 0)
		free(out);
out:
	targets_free(&l);
	promfile_free(pf);
	statefile_close(st);
	return 0;
}
