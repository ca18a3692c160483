/* SPDX-License-Identifier: MIT */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define LAST_SUCCESS_KEY "promsnap.last_success"

double run_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double run_walltime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int run_begin(struct run *r, const char *tool, const struct cli_opts *opts)
{
	char err[4400];

	memset(r, 0, sizeof *r);
	r->tool = tool;
	r->opts = opts;
	r->mono_start = run_monotonic();
	/* Whole milliseconds (Prometheus' own resolution): a run's time
	 * goes into the .prom and the state many times over, and a
	 * nanosecond double needs printf's and strtod's slow paths (17
	 * digits) where a 13-digit decimal takes their quick ones. */
	r->now = round(run_walltime() * 1e3) / 1e3;
	log_init(tool);
	log_set_verbosity(opts->verbosity);
	if (opts->log_file && log_open_file(opts->log_file) < 0) {
		log_err("%s: cannot open log file: %s", opts->log_file,
			strerror(errno));
		return EXIT_CANTCREAT;
	}
	if (opts->syslog)
		log_use_syslog();
	const char *out = cli_output_path(opts, tool, r->out_path,
					  sizeof r->out_path);
	if (out != r->out_path)
		snprintf(r->out_path, sizeof r->out_path, "%s", out);
	if (statefile_open(&r->state, opts->state_dir, tool, opts->lock_wait,
			   err, sizeof err) < 0) {
		int e = errno;
		log_err("%s", err);
		return e == EWOULDBLOCK ? EXIT_TEMPFAIL : EXIT_CANTCREAT;
	}
	if (statefile_reset_reason(r->state))
		log_err("state: %s", statefile_reset_reason(r->state));
	r->pf = promfile_new();
	if (!r->pf) {
		log_err("out of memory");
		statefile_close(r->state);
		r->state = NULL;
		return 1;
	}
	return 0;
}

static int add_health(struct run *r, struct promfile *pf, int success,
		      double last_success)
{
	const char *t = r->tool;
	int e = 0;

	e |= promfile_add(pf, "promsnap_run_success", success ? 1 : 0, "tool",
			  t, NULL);
	e |= promfile_add(pf, "promsnap_run_duration_seconds",
			  run_monotonic() - r->mono_start, "tool", t, NULL);
	e |= promfile_add(pf, "promsnap_last_run_timestamp_seconds", r->now,
			  "tool", t, NULL);
	/* Before the first success there is no time to report; leaving the
	 * series out (rather than writing 0) keeps staleness alerts honest. */
	if (!isnan(last_success))
		e |= promfile_add(pf,
				  "promsnap_last_success_timestamp_seconds",
				  last_success, "tool", t, NULL);
	e |= promfile_add(pf, "promsnap_build_info", 1, "tool", t, "version",
			  PROMSNAP_VERSION, NULL);
	e |= promfile_add(pf, "promsnap_state_reset",
			  statefile_reset_reason(r->state) ? 1 : 0, "tool", t,
			  NULL);
	if (e)
		log_err("health metrics: %s", promfile_error(pf));
	return e ? -1 : 0;
}

static int write_error_code(int e)
{
	return (e == EACCES || e == EPERM || e == ENOENT || e == EROFS ||
		e == ENOTDIR || e == ENAMETOOLONG)
		       ? EXIT_CANTCREAT
		       : EXIT_IOERR;
}

int run_keep_on_failure(struct run *r, const char *name)
{
	size_t n = 0;
	while (r->keep[n])
		n++;
	if (n + 1 >= sizeof r->keep / sizeof r->keep[0]) {
		errno = ENOSPC;
		return -1;
	}
	r->keep[n] = name;
	return 0;
}

/* A run that failed reports only its health (and what the tool asked to
 * keep), so no half-measured series reach Prometheus. */
static int drop_measurements(struct run *r)
{
	if (promfile_retain(r->pf, r->keep) < 0) {
		log_err("%s", promfile_error(r->pf));
		return -1;
	}
	return 0;
}

int run_finish(struct run *r, int code)
{
	char err[4400];
	double prev_success = NAN;
	int success = code == 0;

	if (!r->state)
		return code;
	statefile_get_double(r->state, LAST_SUCCESS_KEY, &prev_success);
	if (!success && drop_measurements(r) < 0)
		goto out;
	if (success) {
		statefile_set_double(r->state, LAST_SUCCESS_KEY, r->now);
		if (statefile_commit(r->state, err, sizeof err) < 0) {
			/* The state did not advance: report the failure, not
			 * measurements the next run will count again. */
			log_err("%s", err);
			code = write_error_code(errno);
			success = 0;
			if (drop_measurements(r) < 0)
				goto out;
		}
	}
	add_health(r, r->pf, success, success ? r->now : prev_success);
	if (!strcmp(r->out_path, "-")) {
		if (promfile_write_stream(r->pf, stdout) < 0) {
			log_err("stdout: cannot write: %s", strerror(errno));
			if (code == 0)
				code = EXIT_IOERR;
		}
	} else if (promfile_commit_stat(r->pf, r->out_path, err, sizeof err,
					&r->written_stat) < 0) {
		int e = errno;
		log_err("%s", err);
		if (code == 0)
			code = write_error_code(e);
	} else {
		r->written = 1;
	}
out:
	promfile_free(r->pf);
	r->pf = NULL;
	statefile_close(r->state);
	r->state = NULL;
	log_close();
	return code;
}
