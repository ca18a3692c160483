/* SPDX-License-Identifier: MIT */
/*
 * promsnap-selftest: a tool with nothing to measure.  It drives lib/run end
 * to end so the integration tests can check what every tool shares (health
 * metrics, locking, atomic files, state reset) and the benchmark can price
 * a run that only starts, loads state, writes a file and exits.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "run.h"

struct selftest {
	long long series;
	long long repeat;
	long long fail;
	double hold;
};

enum { OPT_SERIES = 1000, OPT_REPEAT, OPT_FAIL, OPT_HOLD };

static const struct option selftest_longopts[] = {
	{"series", required_argument, NULL, OPT_SERIES},
	{"repeat", required_argument, NULL, OPT_REPEAT},
	{"fail", required_argument, NULL, OPT_FAIL},
	{"hold", required_argument, NULL, OPT_HOLD},
	{NULL, 0, NULL, 0},
};

static int selftest_option(int opt, const char *arg, void *ctx)
{
	struct selftest *s = ctx;
	switch (opt) {
	case OPT_SERIES:
		return cli_int("--series", arg, 0, 1000000, &s->series);
	case OPT_REPEAT:
		return cli_int("--repeat", arg, 1, 100000000, &s->repeat);
	case OPT_FAIL:
		return cli_int("--fail", arg, 0, 255, &s->fail);
	case OPT_HOLD:
		return cli_duration("--hold", arg, 0, 3600, &s->hold);
	}
	return -1;
}

/* Add the test series; value v marks which rewrite produced the file. */
static int add_series(struct promfile *pf, long long n, double v)
{
	char idx[32];
	for (long long i = 0; i < n; i++) {
		snprintf(idx, sizeof idx, "%lld", i);
		if (promfile_add(pf, "promsnap_selftest_value", v, "series", idx,
				 NULL) < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct selftest s = {.series = 1, .repeat = 1};
	struct cli_tool tool = {
		.name = "promsnap-selftest",
		.synopsis = "[options]",
		.summary = "Test driver of the shared run cycle: writes health "
			   "metrics and N test series.",
		.options_help =
			"      --series N     write N test series [1]\n"
			"      --repeat N     rewrite the file N times in one "
			"run [1]\n"
			"      --fail CODE    fail the run as a whole with exit "
			"CODE\n"
			"      --hold SECONDS hold the lock this long before "
			"finishing\n",
		.longopts = selftest_longopts,
		.handle = selftest_option,
		.ctx = &s,
	};
	struct cli_opts opts;
	struct run r;
	uint64_t runs = 0;
	int first, rc;

	rc = cli_parse(&tool, argc, argv, &opts, &first);
	if (rc != CLI_CONTINUE)
		return rc;
	if (first < argc) {
		log_err("%s: unexpected operand (see --help)", argv[first]);
		return EXIT_USAGE;
	}
	rc = run_begin(&r, tool.name, &opts);
	if (rc)
		return rc;
	if (s.hold > 0) {
		struct timespec ts = {(time_t)s.hold,
				      (long)((s.hold - (time_t)s.hold) * 1e9)};
		nanosleep(&ts, NULL);
	}
	if (s.fail)
		return run_finish(&r, (int)s.fail);
	statefile_get_u64(r.state, "selftest.runs", &runs);
	runs++;
	statefile_set_u64(r.state, "selftest.runs", runs);
	/* Extra rewrites exercise the atomic replace under a reader. */
	for (long long k = 1; k < s.repeat; k++) {
		char err[4400];
		struct promfile *pf = promfile_new();
		if (!pf || add_series(pf, s.series, (double)k) < 0 ||
		    promfile_commit(pf, r.out_path, err, sizeof err) < 0) {
			log_err("%s", pf ? err : "out of memory");
			promfile_free(pf);
			return run_finish(&r, EXIT_IOERR);
		}
		promfile_free(pf);
		statefile_set_u64(r.state, "selftest.rewrites", (uint64_t)k);
		if (statefile_commit(r.state, err, sizeof err) < 0) {
			log_err("%s", err);
			return run_finish(&r, EXIT_IOERR);
		}
	}
	if (add_series(r.pf, s.series, (double)s.repeat) < 0 ||
	    promfile_add(r.pf, "promsnap_selftest_runs_total", (double)runs,
			 NULL) < 0) {
		log_err("%s", promfile_error(r.pf));
		return run_finish(&r, 1);
	}
	return run_finish(&r, 0);
}
