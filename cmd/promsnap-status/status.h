/* SPDX-License-Identifier: MIT */
/*
 * status: the pure part of promsnap-status.  Decodes a tool's .prom file
 * (its health series), judges each tool from what its state and file say
 * against the time now and its timer interval, and formats the verdicts as
 * a table or as JSON.  No syscalls, no clock: now is an argument, so the
 * whole path is unit-tested on fixtures byte for byte.
 *
 * Calling sequence (main.c does the I/O around it):
 *     struct status_prom p;
 *     status_decode_prom(text, len, "sni-scan", &p);
 *     struct status_input in = {.tool = "sni-scan", .interval = 60,
 *                               .have_prom = 1, .prom = p, ...};
 *     struct status_row row;
 *     status_compute(&in, now, &row);
 *     status_fmt_table(stdout, &row, 1, now);    or status_fmt_json()
 *
 * A tool is healthy when it succeeded within 3 intervals and its .prom
 * file was rewritten within 3 intervals (STATUS_OK).  Otherwise it is
 * FAILING (it runs, but no run succeeded in that time), STALE (no run at
 * all in that time, or no .prom where node_exporter reads it), or NEVER
 * (neither state nor file: enabled but never run).
 */
#ifndef PROMSNAP_STATUS_H
#define PROMSNAP_STATUS_H

#include <stddef.h>
#include <stdio.h>

/* Multiples of the interval after which a tool counts as not succeeding. */
#define STATUS_INTERVALS 3

/* Health series of one tool as read from its .prom; NAN when absent. */
struct status_prom {
	double run_success;
	double duration;
	double last_run;
	double last_success;
	double state_reset;
	char version[32]; /* promsnap_build_info{version}; "" if absent */
	size_t series;	  /* sample lines in the whole file */
	size_t bad_lines; /* lines that are neither comments nor samples */
};

struct status_input {
	const char *tool;
	double interval;	   /* seconds between timer runs */
	int have_state;		   /* the state file was read and parsed */
	double state_last_success; /* NAN if the state has none */
	int state_unreadable;	   /* state exists but could not be read */
	int have_prom;		   /* <tool>.prom was read */
	struct status_prom prom;
	double prom_mtime; /* Unix time the .prom was last written */
	long running_pid;  /* holder of the tool's lock, 0 if none */
};

enum status_code { STATUS_OK, STATUS_FAILING, STATUS_STALE, STATUS_NEVER };

struct status_row {
	char tool[64];
	enum status_code code;
	double interval;
	double last_run;     /* NAN if unknown */
	double last_success; /* NAN if never */
	double duration;     /* NAN if unknown */
	int result;	     /* last run: 1 ok, 0 failed, -1 unknown */
	long series;	     /* -1 if no file */
	double file_age;     /* NAN if no file */
	int state_reset;
	char version[32];
	long running_pid; /* a run in progress holds the lock; 0 if none */
	char reason[200]; /* why it is not OK, or a note; "" if none */
};

/*
 * Read the health series labelled tool=<tool> from exposition text and
 * count its samples.  Never fails: unknown lines are counted in bad_lines,
 * values that do not parse are left NAN.  Lines longer than 64 KiB are
 * counted as bad without being parsed.
 */
void status_decode_prom(const char *text, size_t len, const char *tool,
			struct status_prom *out);
/*
 * The pid holding a lock on the file with device major:minor and inode ino,
 * from the text of /proc/locks; 0 if nobody does.  Lines for waiters
 * ("->") are ignored.
 */
long status_decode_locks(const char *text, size_t len, unsigned major,
			 unsigned minor, unsigned long long ino);

/* An empty status_prom (every value NAN). */
void status_prom_init(struct status_prom *p);

/* Judge one tool; fills every field of out. */
void status_compute(const struct status_input *in, double now,
		    struct status_row *out);

const char *status_code_name(enum status_code c);

/* "12s", "5m", "3h", "2d" (rounded down), "-" for NAN. */
void status_fmt_age(double seconds, char *buf, size_t len);

/*
 * The table (one header line, one line per row) or a JSON document
 * {"healthy": bool, "now": t, "tools": [...]}; returns -1 if f reports a
 * write error.
 */
int status_fmt_table(FILE *f, const struct status_row *rows, size_t n,
		     double now);
int status_fmt_json(FILE *f, const struct status_row *rows, size_t n,
		    double now);

/* 1 if every row is STATUS_OK and there is at least one row. */
int status_all_healthy(const struct status_row *rows, size_t n);

#endif
