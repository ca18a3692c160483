/* SPDX-License-Identifier: MIT */
/*
 * tcpping-burst: one burst of TCP echo probes to every target, counters
 * and histograms kept across runs in state, one .prom written atomically;
 * or, with --serve, the long-running echo server.  See tcpping-burst(8).
 */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "burst.h"
#include "cli.h"
#include "compat.h"
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "run.h"
#include "server.h"
#include "targets.h"

#define TOOL "tcpping-burst"

enum {
	OPT_TARGETS = 256,
	OPT_COUNT,
	OPT_INTERVAL,
	OPT_TIMEOUT,
	OPT_MIN_TIMEOUT,
	OPT_MAX_TIMEOUT,
	OPT_NO_ADAPTIVE,
	OPT_MODE,
	OPT_SERVE,
	OPT_MAX_CONNS,
	OPT_MAX_PER_IP,
	OPT_READ_TIMEOUT,
	OPT_WRITE_TIMEOUT,
	OPT_STATS_INTERVAL,
};

/* Bits of what the command line set, which then wins over the config. */
enum {
	SET_COUNT = 1,
	SET_INTERVAL = 2,
	SET_TIMEOUT = 4,
	SET_MIN = 8,
	SET_MAX = 16,
	SET_ADAPTIVE = 32,
	SET_MODE = 64,
};

struct ctx {
	struct tp_conf cli;
	unsigned set;
	struct target_list targets; /* from -t, in order */
	const char *targets_file;
	const char *serve;
	struct server_opts srv;
	int bad;
};

static const struct option longopts[] = {
	{"target", required_argument, NULL, 't'},
	{"targets", required_argument, NULL, OPT_TARGETS},
	{"count", required_argument, NULL, OPT_COUNT},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"min-timeout", required_argument, NULL, OPT_MIN_TIMEOUT},
	{"max-timeout", required_argument, NULL, OPT_MAX_TIMEOUT},
	{"no-adaptive", no_argument, NULL, OPT_NO_ADAPTIVE},
	{"mode", required_argument, NULL, OPT_MODE},
	{"serve", required_argument, NULL, OPT_SERVE},
	{"max-conns", required_argument, NULL, OPT_MAX_CONNS},
	{"max-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
	{"read-timeout", required_argument, NULL, OPT_READ_TIMEOUT},
	{"write-timeout", required_argument, NULL, OPT_WRITE_TIMEOUT},
	{"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
	{0},
};

static const char options_help[] =
	"  -t, --target NAME=HOST:PORT  probe this target (repeatable; HOST:PORT\n"
	"                           alone names the target by its address)\n"
	"      --targets FILE       the Go daemon's JSON targets file\n"
	"                           (also -targets FILE)\n"
	"      --count N            probes per target and run (default 10)\n"
	"      --interval DUR       spacing of probes (default 100ms)\n"
	"      --timeout DUR        initial probe timeout (default 1s)\n"
	"      --min-timeout DUR    lower clamp of the adaptive timeout (50ms)\n"
	"      --max-timeout DUR    upper clamp of the adaptive timeout (5s)\n"
	"      --no-adaptive        always wait --timeout, never adapt\n"
	"      --mode echo|connect  echo probes (default) or handshakes only\n"
	"      --serve [ADDR]:PORT  run the echo server instead\n"
	"      --max-conns N        server: connections at most (1000)\n"
	"      --max-per-ip N       server: connections per remote IP (128)\n"
	"      --read-timeout DUR   server: idle read deadline (10s)\n"
	"      --write-timeout DUR  server: write deadline (5s)\n"
	"      --stats-interval DUR server: .prom rewritten at most this "
	"often (15s)\n";

static int handle(int opt, const char *arg, void *p)
{
	struct ctx *c = p;
	long long v;
	char err[256];
	struct target t;

	switch (opt) {
	case 't':
		if (target_parse_spec(arg, &t, err, sizeof err) ||
		    targets_add(&c->targets, &t, err, sizeof err)) {
			log_err("-t %s: %s", arg, err);
			return -1;
		}
		return 0;
	case OPT_TARGETS:
		c->targets_file = arg;
		return 0;
	case OPT_COUNT:
		if (cli_int("--count", arg, 1, 10000, &v))
			return -1;
		c->cli.count = (unsigned)v;
		c->set |= SET_COUNT;
		return 0;
	case OPT_INTERVAL:
		c->set |= SET_INTERVAL;
		return cli_duration("--interval", arg, 0, 60, &c->cli.interval);
	case OPT_TIMEOUT:
		c->set |= SET_TIMEOUT;
		return cli_duration("--timeout", arg, 1e-6, 3600,
				    &c->cli.timeout);
	case OPT_MIN_TIMEOUT:
		c->set |= SET_MIN;
		return cli_duration("--min-timeout", arg, 1e-6, 3600,
				    &c->cli.min_timeout);
	case OPT_MAX_TIMEOUT:
		c->set |= SET_MAX;
		return cli_duration("--max-timeout", arg, 1e-6, 3600,
				    &c->cli.max_timeout);
	case OPT_NO_ADAPTIVE:
		c->set |= SET_ADAPTIVE;
		c->cli.adaptive = 0;
		return 0;
	case OPT_MODE:
		c->set |= SET_MODE;
		if (tp_parse_mode(arg, &c->cli.mode)) {
			log_err("--mode: expected echo or connect, got \"%s\"",
				arg);
			return -1;
		}
		return 0;
	case OPT_SERVE:
		c->serve = arg;
		return 0;
	case OPT_MAX_CONNS:
		if (cli_int("--max-conns", arg, 1, 100000, &v))
			return -1;
		c->srv.max_conns = (unsigned)v;
		return 0;
	case OPT_MAX_PER_IP:
		if (cli_int("--max-per-ip", arg, 1, 100000, &v))
			return -1;
		c->srv.max_per_ip = (unsigned)v;
		return 0;
	case OPT_READ_TIMEOUT:
		return cli_duration("--read-timeout", arg, 0.001, 86400,
				    &c->srv.read_timeout);
	case OPT_WRITE_TIMEOUT:
		return cli_duration("--write-timeout", arg, 0.001, 86400,
				    &c->srv.write_timeout);
	case OPT_STATS_INTERVAL:
		return cli_duration("--stats-interval", arg, 0.01, 86400,
				    &c->srv.stats_interval);
	}
	return -1;
}

/* Command-line settings win over the config file's. */
static void merge(struct tp_conf *conf, const struct ctx *c)
{
	if (c->set & SET_COUNT)
		conf->count = c->cli.count;
	if (c->set & SET_INTERVAL)
		conf->interval = c->cli.interval;
	if (c->set & SET_TIMEOUT)
		conf->timeout = c->cli.timeout;
	if (c->set & SET_MIN)
		conf->min_timeout = c->cli.min_timeout;
	if (c->set & SET_MAX)
		conf->max_timeout = c->cli.max_timeout;
	if (c->set & SET_ADAPTIVE)
		conf->adaptive = c->cli.adaptive;
	if (c->set & SET_MODE)
		conf->mode = c->cli.mode;
}

static int load_targets_file(const char *path, struct target_list *l)
{
	char err[1024];
	struct cfg_node *root = cfg_load(path, err, sizeof err);
	int rc = 0;

	if (!root) {
		log_err("%s", err);
		return -1;
	}
	if (targets_from_cfg(root, "", l, err, sizeof err)) {
		log_err("%s", err);
		rc = -1;
	}
	cfg_free(root);
	return rc;
}

/* Config, targets file and -t merged into conf and l; exit code. */
static int configure(const struct cli_opts *opts, struct ctx *c,
		     struct tp_conf *conf, struct target_list *l)
{
	char err[1024];
	struct cfg_node *root = NULL;
	int rc = 0;

	tp_conf_defaults(conf);
	if (opts->config_given || access(opts->config, F_OK) == 0) {
		root = cfg_load(opts->config, err, sizeof err);
		if (!root || tp_conf_from_cfg(root, conf, l, err, sizeof err)) {
			log_err("%s", err);
			rc = EXIT_CONFIG;
			goto out;
		}
	}
	merge(conf, c);
	if (conf->min_timeout > conf->max_timeout) {
		log_err("--min-timeout is greater than --max-timeout");
		rc = EXIT_CONFIG;
		goto out;
	}
	if (c->targets_file) {
		if (load_targets_file(c->targets_file, l)) {
			rc = EXIT_CONFIG;
			goto out;
		}
	} else if (conf->targets_file &&
		   load_targets_file(conf->targets_file, l)) {
		rc = EXIT_CONFIG;
		goto out;
	}
	if (!l->n) {
		/* Only -t targets: take the list over rather than copy a
		 * thousand of them. */
		*l = c->targets;
		memset(&c->targets, 0, sizeof c->targets);
	}
	for (size_t i = 0; i < c->targets.n; i++)
		if (targets_add(l, &c->targets.v[i], err, sizeof err)) {
			log_err("-t %s: %s", c->targets.v[i].name, err);
			rc = EXIT_CONFIG;
			goto out;
		}
	if (!l->n) {
		log_err("no targets: give -t NAME=HOST:PORT, --targets FILE or "
			"targets in %s",
			opts->config);
		rc = EXIT_CONFIG;
	}
out:
	cfg_free(root);
	return rc;
}

static int client(struct run *r, struct ctx *c)
{
	const struct cli_opts *opts = r->opts;
	struct target_list l = {0};
	struct tp_conf conf;
	struct rto_params p;
	struct burst_opts bo;
	struct burst_target *bt = NULL;
	struct tstats *st = NULL;
	char err[256];
	int rc, human;

	rc = configure(opts, c, &conf, &l);
	if (rc)
		goto out;
	p.initial = conf.timeout;
	p.min = conf.min_timeout;
	p.max = conf.max_timeout;
	p.granularity = 1e-6; /* CLOCK_MONOTONIC in ns, read as double */
	p.adaptive = conf.adaptive;
	bo.count = conf.count;
	bo.interval = conf.interval;
	bo.mode = conf.mode;
	bo.params = &p;
	bo.connect_timeout = conf.max_timeout;
	bt = calloc(l.n, sizeof *bt);
	st = calloc(l.n, sizeof *st);
	if (!bt || !st) {
		log_err("out of memory");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		if (stats_load(r->state, &l.v[i], &p, conf.mode, &st[i]))
			log_warn("%s: address changed or state unreadable: "
				 "counters restart",
				 l.v[i].name);
		bt[i].t = &l.v[i];
		bt[i].stats = &st[i];
	}
	if (burst_run(bt, l.n, &bo, err, sizeof err)) {
		log_err("%s", err);
		rc = 1;
		goto out;
	}
	human = isatty(STDOUT_FILENO) && strcmp(r->out_path, "-");
	for (size_t i = 0; i < l.n; i++) {
		stats_add_burst(&st[i], &bt[i].se, bt[i].connected,
				bt[i].dropped);
		if (bt[i].why[0])
			log_info("%s: %s", l.v[i].name, bt[i].why);
		if (human) {
			char s[512];
			summary_fmt(s, sizeof s, &l.v[i], &bt[i].se,
				    bt[i].connected);
			fputs(s, stdout);
		}
	}
	/* The burst's bookkeeping is folded into st: give its memory back
	 * before the state and the metrics take theirs (with 1,000 targets
	 * ~0.7 MB of the run's peak). */
	for (size_t i = 0; i < l.n; i++)
		free(bt[i].slots);
	free(bt);
	bt = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (stats_save(r->state, &l.v[i], &st[i]) ||
		    stats_fmt(r->pf, &l.v[i], &st[i])) {
			log_err("%s: %s", l.v[i].name,
				promfile_error(r->pf));
			rc = 1;
			goto out;
		}
	if (stats_prune(r->state, &l)) {
		log_err("state: %s", strerror(errno));
		rc = 1;
	}
out:
	for (size_t i = 0; bt && i < l.n; i++)
		free(bt[i].slots);
	free(bt);
	free(st);
	targets_free(&l);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = {0};
	struct cli_tool tool = {
		.name = TOOL,
		.synopsis = "[options] [-t NAME=HOST:PORT ...] [--targets FILE]"
			    "\n       " TOOL " --serve [ADDR]:PORT [options]",
		.summary = "Send one burst of TCP echo probes to every target "
			   "and write their counters,\nRTT histogram and "
			   "adaptive timeout; or, with --serve, answer probes.",
		.epilog = "Examples:\n"
			  "  tcpping-burst -o - -t web=127.0.0.1:4000\n"
			  "  tcpping-burst -targets /etc/tcp_ping_prometheus/"
			  "targets.json\n"
			  "  tcpping-burst --mode connect -t ssh=127.0.0.1:22\n"
			  "  tcpping-burst --serve :4000\n",
		.options_help = options_help,
		.shortopts = "t:",
		.longopts = longopts,
		.handle = handle,
		.ctx = &c,
	};
	struct cli_opts opts;
	struct run r;
	char **av = NULL;
	int ac = 0, first, rc;

	/* A run's big arrays (targets, their stats and sockets, the state
	 * and metrics text: ~6 MB for 1,000 targets) come and go in turn;
	 * from the heap and kept there, a freed one's pages serve the next
	 * instead of being unmapped and faulted in again (1,000 x 10: 1,800
	 * page faults -> 1,400 at the same peak RSS). */
	mallopt(M_MMAP_THRESHOLD, 8 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	tp_conf_defaults(&c.cli);
	c.srv.max_conns = 1000;
	c.srv.max_per_ip = 128;
	c.srv.read_timeout = 10;
	c.srv.write_timeout = 5;
	c.srv.stats_interval = 15;
	av = compat_argv(argc, argv, &ac);
	if (!av) {
		fprintf(stderr, TOOL ": out of memory\n");
		return 1;
	}
	rc = cli_parse(&tool, ac, av, &opts, &first);
	if (rc != CLI_CONTINUE)
		goto out;
	if (first < ac) {
		log_err("%s: unexpected operand (see --help)", av[first]);
		rc = EXIT_USAGE;
		goto out;
	}
	if (c.serve) {
		char path[4096];
		if (opts.log_file && log_open_file(opts.log_file) < 0) {
			log_err("%s: %s", opts.log_file, strerror(errno));
			rc = EXIT_CANTCREAT;
			goto out;
		}
		if (opts.syslog)
			log_use_syslog();
		c.srv.listen = c.serve;
		c.srv.stats_path =
			cli_output_path(&opts, "tcpping-echo", path,
					sizeof path);
		rc = server_run(&c.srv);
		goto out;
	}
	rc = run_begin(&r, TOOL, &opts);
	if (rc)
		goto out;
	rc = run_finish(&r, client(&r, &c));
out:
	targets_free(&c.targets);
	compat_free(av, ac);
	return rc;
}
