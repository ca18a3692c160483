/* SPDX-License-Identifier: MIT */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "parse_num.h"

#ifndef PROMSNAP_VERSION
#define PROMSNAP_VERSION "0.1.0"
#endif

/* Long-only common options use values no tool's short option can take. */
enum {
	OPT_LOCK_WAIT = 0x10001,
	OPT_LOG_FILE,
	OPT_SYSLOG,
};

static const struct option common_longopts[] = {
	{"config", required_argument, NULL, 'c'},
	{"textfile-dir", required_argument, NULL, 'd'},
	{"state-dir", required_argument, NULL, 's'},
	{"output", required_argument, NULL, 'o'},
	{"lock-wait", required_argument, NULL, OPT_LOCK_WAIT},
	{"log-file", required_argument, NULL, OPT_LOG_FILE},
	{"syslog", no_argument, NULL, OPT_SYSLOG},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
};
#define N_COMMON (sizeof common_longopts / sizeof common_longopts[0])

static const char common_help[] =
	"Common options:\n"
	"  -c, --config FILE       configuration file (YAML or JSON)\n"
	"                          [default: %s]\n"
	"  -d, --textfile-dir DIR  node_exporter textfile directory\n"
	"                          [default: " CLI_DEFAULT_TEXTFILE_DIR "]\n"
	"  -s, --state-dir DIR     state and lock directory\n"
	"                          [default: %s]\n"
	"  -o, --output FILE|-     write the metrics to FILE, or to stdout\n"
	"                          with '-' [default: TEXTFILE-DIR/%s.prom]\n"
	"      --lock-wait SECONDS wait this long for another run to finish\n"
	"                          instead of exiting 75 at once [default: 0]\n"
	"      --log-file FILE     append messages to FILE instead of stderr\n"
	"      --syslog            send messages to syslog instead of stderr\n"
	"  -v, --verbose           more messages (repeat for debug)\n"
	"  -q, --quiet             errors only\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the version and exit\n";

static const char exit_help[] =
	"Exit status: 0 written; 64 usage; 69 missing program or kernel "
	"feature;\n"
	"73/74 cannot write; 75 another run holds the lock; 77 missing "
	"privilege;\n"
	"78 configuration error; 1 other.  An unreachable target is a "
	"measurement\n"
	"(a metric value), not an error.\n";

void cli_usage(const struct cli_tool *tool, FILE *f)
{
	char cfg[256], state[256];
	snprintf(cfg, sizeof cfg, CLI_DEFAULT_CONFIG_DIR "/%s.yaml",
		 tool->name);
	snprintf(state, sizeof state, CLI_DEFAULT_STATE_ROOT "/%s",
		 tool->name);
	fprintf(f, "usage: %s %s\n\n", tool->name, tool->synopsis);
	if (tool->summary)
		fprintf(f, "%s\n\n", tool->summary);
	if (tool->options_help && *tool->options_help)
		fprintf(f, "Options:\n%s\n", tool->options_help);
	fprintf(f, common_help, cfg, state, tool->name);
	fprintf(f, "\n%s", exit_help);
	if (tool->epilog)
		fprintf(f, "\n%s", tool->epilog);
	fprintf(f, "\nSee %s(8) and promsnap(7).\n", tool->name);
}

int cli_parse(const struct cli_tool *tool, int argc, char **argv,
	      struct cli_opts *o, int *first_arg)
{
	struct option *longopts;
	size_t ntool = 0;
	char shortopts[256];
	int rc = CLI_CONTINUE, c;

	memset(o, 0, sizeof *o);
	snprintf(o->default_config, sizeof o->default_config,
		 CLI_DEFAULT_CONFIG_DIR "/%s.yaml", tool->name);
	snprintf(o->default_state_dir, sizeof o->default_state_dir,
		 CLI_DEFAULT_STATE_ROOT "/%s", tool->name);
	o->config = o->default_config;
	o->textfile_dir = CLI_DEFAULT_TEXTFILE_DIR;
	o->state_dir = o->default_state_dir;
	log_init(tool->name);

	while (tool->longopts && tool->longopts[ntool].name)
		ntool++;
	longopts = calloc(N_COMMON + ntool + 1, sizeof *longopts);
	if (!longopts) {
		log_err("out of memory");
		return 1;
	}
	memcpy(longopts, common_longopts, sizeof common_longopts);
	if (ntool)
		memcpy(longopts + N_COMMON, tool->longopts,
		       ntool * sizeof *longopts);
	/* '+' stops at the first operand, as POSIX utilities do; ':' lets
	 * us word the missing-argument message ourselves. */
	snprintf(shortopts, sizeof shortopts, "+:c:d:s:o:vqhV%s",
		 tool->shortopts ? tool->shortopts : "");

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			o->config_given = 1;
			break;
		case 'd':
			o->textfile_dir = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_LOCK_WAIT:
			if (cli_duration("--lock-wait", optarg, 0, 86400,
					 &o->lock_wait) < 0)
				rc = 64;
			break;
		case OPT_LOG_FILE:
			o->log_file = optarg;
			break;
		case OPT_SYSLOG:
			o->syslog = 1;
			break;
		case 'v':
			if (o->verbosity < 0)
				o->verbosity = 0;
			o->verbosity++;
			break;
		case 'q':
			o->verbosity = -1;
			break;
		case 'h':
			cli_usage(tool, stdout);
			rc = 0;
			goto out;
		case 'V':
			printf("%s (promsnap) %s\n", tool->name,
			       PROMSNAP_VERSION);
			rc = 0;
			goto out;
		case ':':
			log_err("%s: option requires an argument (see --help)",
				argv[optind - 1]);
			rc = 64;
			goto out;
		case '?':
			if (optopt && optopt < 0x100)
				log_err("-%c: unknown option (see --help)",
					optopt);
			else
				log_err("%s: unknown option (see --help)",
					argv[optind - 1]);
			rc = 64;
			goto out;
		default:
			if (!tool->handle ||
			    tool->handle(c, optarg, tool->ctx) < 0)
				rc = 64;
			break;
		}
		if (rc != CLI_CONTINUE)
			goto out;
	}
	log_set_verbosity(o->verbosity);
	*first_arg = optind;
out:
	free(longopts);
	return rc;
}

static int report(const char *opt, const char *arg, int r, const char *err)
{
	if (r < 0)
		log_err("%s: %s", opt, err);
	(void)arg;
	return r;
}

int cli_int(const char *opt, const char *arg, long long min, long long max,
	    long long *out)
{
	char err[256];
	return report(opt, arg, parse_int(arg, min, max, out, err, sizeof err),
		      err);
}

int cli_double(const char *opt, const char *arg, double min, double max,
	       double *out)
{
	char err[256];
	return report(opt, arg,
		      parse_double(arg, min, max, out, err, sizeof err), err);
}

int cli_duration(const char *opt, const char *arg, double min, double max,
		 double *out)
{
	char err[256];
	return report(opt, arg,
		      parse_duration(arg, min, max, out, err, sizeof err),
		      err);
}

const char *cli_output_path(const struct cli_opts *opts, const char *tool,
			    char *buf, size_t len)
{
	if (opts->output)
		return opts->output;
	snprintf(buf, len, "%s/%s.prom", opts->textfile_dir, tool);
	return buf;
}
