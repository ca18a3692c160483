/* SPDX-License-Identifier: MIT */
/*
 * cli: the options every tool shares, with the same names and meaning
 * everywhere, and the one place numbers and durations from the command
 * line are range-checked.
 *
 *   -c, --config FILE        default /etc/promsnap/<tool>.yaml
 *   -d, --textfile-dir DIR   default /var/lib/prometheus/node-exporter
 *   -s, --state-dir DIR      default /var/lib/promsnap/<tool>
 *   -o, --output FILE|-      default <textfile-dir>/<tool>.prom
 *       --lock-wait SECONDS  default 0: a held lock exits 75 at once
 *       --log-file FILE, --syslog, -v (repeatable), -q, -h, -V
 *
 * A tool describes its own options in struct cli_tool; cli_parse() merges
 * them with the common ones, handles -h and -V, and calls tool->handle for
 * each of the tool's own options.
 */
#ifndef PROMSNAP_CLI_H
#define PROMSNAP_CLI_H

#include <getopt.h>
#include <stdio.h>

#define CLI_CONTINUE (-1)
#define CLI_DEFAULT_TEXTFILE_DIR "/var/lib/prometheus/node-exporter"
#define CLI_DEFAULT_STATE_ROOT "/var/lib/promsnap"
#define CLI_DEFAULT_CONFIG_DIR "/etc/promsnap"

struct cli_opts {
	const char *config;	  /* NULL: not given (tool may use default) */
	int config_given;	  /* 1 if -c was on the command line */
	const char *textfile_dir;
	const char *state_dir;
	const char *output;	  /* NULL: <textfile_dir>/<tool>.prom */
	double lock_wait;
	const char *log_file;
	int syslog;
	int verbosity;		  /* -q: -1, default 0, -v: 1, -vv: 2 */
	char default_config[256];
	char default_state_dir[256];
};

struct cli_tool {
	const char *name;	  /* "sni-scan" */
	const char *synopsis;	  /* "[options] [LOG...]" */
	const char *summary;	  /* one sentence: what a run does */
	const char *options_help; /* the tool's own options, preformatted */
	const char *epilog;	  /* examples etc., may be NULL */
	const char *shortopts;	  /* the tool's own short options, "n:t:" */
	const struct option *longopts; /* the tool's own, {0}-terminated */
	/* Called for each of the tool's own options; returns 0, or -1 after
	 * logging a usage error (cli_parse then returns 64). */
	int (*handle)(int opt, const char *arg, void *ctx);
	void *ctx;
};

/*
 * Parse argv.  Returns CLI_CONTINUE with *first_arg set to the index of
 * the first operand, or an exit code for main() to return: 0 after --help
 * or --version, 64 on a usage error (reported on stderr).
 */
int cli_parse(const struct cli_tool *tool, int argc, char **argv,
	      struct cli_opts *opts, int *first_arg);
void cli_usage(const struct cli_tool *tool, FILE *f);

/* Range-checked option values; on error they log
 * `tool: --opt: expected ..., got "x"` and return -1. */
int cli_int(const char *opt, const char *arg, long long min, long long max,
	    long long *out);
int cli_double(const char *opt, const char *arg, double min, double max,
	       double *out);
int cli_duration(const char *opt, const char *arg, double min, double max,
		 double *out);

/* The .prom path a run writes: "-" for stdout, opts->output, or
 * <textfile_dir>/<tool>.prom. */
const char *cli_output_path(const struct cli_opts *opts, const char *tool,
			    char *buf, size_t len);

#endif
