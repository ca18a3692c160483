/* SPDX-License-Identifier: MIT */
/*
 * run: the life cycle every tool shares, and its health metrics.
 *
 *     struct run r;
 *     int rc = run_begin(&r, "sni-scan", &opts);   lock, load state
 *     if (rc) return rc;                            75 lock held, 73/74
 *     ... measure into r.pf, keep memory in r.state, using r.now ...
 *     return run_finish(&r, 0);                     or EX_CONFIG etc.
 *
 * run_finish(r, code) adds promsnap_run_success{tool} (1 if code is 0),
 * promsnap_run_duration_seconds, promsnap_last_run_timestamp_seconds,
 * promsnap_last_success_timestamp_seconds (kept in state),
 * promsnap_build_info{tool,version} and promsnap_state_reset{tool}.  When
 * code is not 0 the run failed as a whole: the measurement series are
 * dropped (except the families named with run_keep_on_failure()), the
 * health series are written, and the tool's state is
 * not committed (the previous state stays).  On success the state is
 * committed first, then the .prom, so a crash between the two can delay
 * numbers but never count anything twice.  Returns the exit code: code,
 * or 73/74 when the file or state could not be written.
 */
#ifndef PROMSNAP_RUN_H
#define PROMSNAP_RUN_H

#include <sys/stat.h>

#include "cli.h"
#include "promfile.h"
#include "statefile.h"

#ifndef PROMSNAP_VERSION
#define PROMSNAP_VERSION "0.1.0"
#endif

/* <sysexits.h> values, named here so tools need one include. */
enum {
	EXIT_USAGE = 64,
	EXIT_UNAVAILABLE = 69,
	EXIT_CANTCREAT = 73,
	EXIT_IOERR = 74,
	EXIT_TEMPFAIL = 75,
	EXIT_NOPERM = 77,
	EXIT_CONFIG = 78,
};

struct run {
	const char *tool;
	const struct cli_opts *opts;
	struct statefile *state;
	struct promfile *pf;
	double now;	  /* Unix time at the start of the run, in whole ms */
	double mono_start; /* CLOCK_MONOTONIC seconds at the start */
	char out_path[4096];
	/* Families kept when the run fails (run_keep_on_failure). */
	const char *keep[8];
	/* After run_finish: 1 if it replaced the .prom at out_path, whose
	 * stat as written is then in written_stat. */
	int written;
	struct stat written_stat;
};

/* Applies logging options, opens state (with its lock), creates pf. */
int run_begin(struct run *r, const char *tool, const struct cli_opts *opts);
int run_finish(struct run *r, int code);

/*
 * Keep the family `name` (a static string) in the file even if the run
 * fails: for series that describe why it failed, such as
 * bpf_snap_attached 0.  At most 7 names; returns -1 (ENOSPC) beyond.
 */
int run_keep_on_failure(struct run *r, const char *name);

double run_monotonic(void);
double run_walltime(void);

#endif
