/* SPDX-License-Identifier: MIT */
/*
 * trace-once: run mtr for every configured target that is due, label each
 * hop with its ASN, keep route history in state, write trace-once.prom.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "asn.h"
#include "cli.h"
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "mtr_json.h"
#include "mtr_run.h"
#include "result.h"
#include "route.h"
#include "run.h"
#include "tconfig.h"
#include "tstate.h"

#ifndef TRACE_DATADIR
#define TRACE_DATADIR "/usr/local/share/promsnap"
#endif

#define TOOL	      "trace-once"
#define FROM_JSON_MAX (1u << 20)

enum {
	OPT_DB_PATH = 0x200,
	OPT_SCHEDULE,
	OPT_COUNT,
	OPT_INTERVAL,
	OPT_PROTOCOL,
	OPT_PORT,
	OPT_MAX_TTL,
	OPT_GRACE,
	OPT_HISTORY,
	OPT_JOBS,
	OPT_MTR,
	OPT_MARGIN,
	OPT_ALL,
	OPT_FROM_JSON,
	OPT_LEGACY,
	OPT_METRICS_PORT,
};

struct ctx {
	struct trace_overrides ov;
	const char *db_path;
	const char *mtr;
	const char *from_json;
	long long history, jobs;
	int history_set, jobs_set;
	double margin;
	int all, legacy;
};

static const struct option longopts[] = {
    {"db-path", required_argument, NULL, OPT_DB_PATH},
    {"schedule", required_argument, NULL, OPT_SCHEDULE},
    {"count", required_argument, NULL, OPT_COUNT},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"protocol", required_argument, NULL, OPT_PROTOCOL},
    {"port", required_argument, NULL, OPT_PORT},
    {"max-ttl", required_argument, NULL, OPT_MAX_TTL},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"history", required_argument, NULL, OPT_HISTORY},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"mtr", required_argument, NULL, OPT_MTR},
    {"margin", required_argument, NULL, OPT_MARGIN},
    {"all", no_argument, NULL, OPT_ALL},
    {"from-json", required_argument, NULL, OPT_FROM_JSON},
    {"legacy-volatility-labels", no_argument, NULL, OPT_LEGACY},
    {"metrics-port", required_argument, NULL, OPT_METRICS_PORT},
    {NULL, 0, NULL, 0},
};

static const char options_help[] =
    "  -4, -6                  trace over IPv4 or IPv6 only\n"
    "      --all               run every target now, ignoring schedules\n"
    "      --count N           probes per hop [default: 10]\n"
    "      --db-path FILE      GeoLite2-ASN database\n"
    "      --from-json FILE|-  read an mtr --json report instead of "
    "running mtr\n"
    "      --grace DURATION    mtr -G: wait for late replies [default: "
    "1s]\n"
    "      --history K         reports kept for route statistics "
    "[default: 10]\n"
    "      --interval DURATION between probes [default: 0.2s as root, "
    "else 1s]\n"
    "      --jobs N            mtr runs at once [default: 16]\n"
    "      --legacy-volatility-labels  also write Tracer's "
    "mtr_route_volatility\n"
    "      --margin DURATION   deadline slack over count*interval+grace "
    "[default: 5s]\n"
    "      --max-ttl N         hops to try at most [default: 30]\n"
    "      --metrics-port N    accepted for Tracer; not used\n"
    "      --mtr PROGRAM       mtr to run [default: mtr]\n"
    "      --port N            destination port (udp, tcp)\n"
    "      --protocol P        icmp, udp or tcp [default: icmp]\n"
    "      --schedule SPEC     schedule for every target (@every 10s, "
    "cron)\n";

static int handle(int opt, const char *arg, void *p)
{
	struct ctx *c = p;
	struct trace_overrides *o = &c->ov;
	long long v;

	switch (opt) {
	case '4':
	case '6':
		o->ipver_set = 1;
		o->ip_version = opt - '0';
		return 0;
	case OPT_DB_PATH:
		c->db_path = arg;
		return 0;
	case OPT_SCHEDULE: {
		struct schedule s;
		char err[256];

		if (schedule_parse(arg, &s, err, sizeof err)) {
			log_err("--schedule: %s", err);
			return -1;
		}
		o->schedule = arg;
		o->schedule_set = 1;
		return 0;
	}
	case OPT_COUNT:
		if (cli_int("--count", arg, 1, 1000, &v))
			return -1;
		o->count = (long)v;
		o->count_set = 1;
		return 0;
	case OPT_INTERVAL:
		o->interval_set = 1;
		return cli_duration("--interval", arg, 0.01, 3600,
				    &o->interval);
	case OPT_PROTOCOL:
		o->protocol_set = 1;
		if (tconfig_parse_protocol(arg, &o->protocol)) {
			log_err("--protocol: expected icmp, udp or tcp, got "
				"\"%s\"",
				arg);
			return -1;
		}
		return 0;
	case OPT_PORT:
		if (cli_int("--port", arg, 1, 65535, &v))
			return -1;
		o->port = (int)v;
		o->port_set = 1;
		return 0;
	case OPT_MAX_TTL:
		if (cli_int("--max-ttl", arg, 1, MTR_MAX_HOPS, &v))
			return -1;
		o->max_ttl = (int)v;
		o->max_ttl_set = 1;
		return 0;
	case OPT_GRACE:
		o->grace_set = 1;
		return cli_duration("--grace", arg, 0, 60, &o->grace);
	case OPT_HISTORY:
		c->history_set = 1;
		return cli_int("--history", arg, 1, ROUTE_HISTORY_MAX,
			       &c->history);
	case OPT_JOBS:
		c->jobs_set = 1;
		return cli_int("--jobs", arg, 1, 256, &c->jobs);
	case OPT_MTR:
		c->mtr = arg;
		return 0;
	case OPT_MARGIN:
		return cli_duration("--margin", arg, 0, 3600, &c->margin);
	case OPT_ALL:
		c->all = 1;
		return 0;
	case OPT_FROM_JSON:
		c->from_json = arg;
		return 0;
	case OPT_LEGACY:
		c->legacy = 1;
		return 0;
	case OPT_METRICS_PORT:
		return cli_int("--metrics-port", arg, 0, 65535, &v);
	}
	return -1;
}

/* Everything one target needs from parse to output. */
struct target_run {
	const char *name;
	struct trace_target *t; /* NULL for --from-json */
	struct tstate ts;
	int due;
	struct mtr_job job;
	char *argv[24];
	char a_count[16], a_interval[32], a_grace[32], a_ttl[16], a_port[16];
};

static void build_argv(struct target_run *tr, const char *mtr)
{
	const struct trace_target *t = tr->t;
	char **a = tr->argv;
	int n = 0;

	snprintf(tr->a_count, sizeof tr->a_count, "%ld", t->count);
	snprintf(tr->a_interval, sizeof tr->a_interval, "%g", t->interval);
	snprintf(tr->a_grace, sizeof tr->a_grace, "%g", t->grace);
	snprintf(tr->a_ttl, sizeof tr->a_ttl, "%d", t->max_ttl);
	a[n++] = (char *)mtr;
	a[n++] = "--json";
	a[n++] = "-n";
	a[n++] = "-c";
	a[n++] = tr->a_count;
	a[n++] = "-i";
	a[n++] = tr->a_interval;
	/* mtr's default grace is 5 s, which would dominate a short run. */
	a[n++] = "-G";
	a[n++] = tr->a_grace;
	a[n++] = "-m";
	a[n++] = tr->a_ttl;
	if (t->ip_version == 4)
		a[n++] = "-4";
	else if (t->ip_version == 6)
		a[n++] = "-6";
	if (t->protocol == PROTO_UDP)
		a[n++] = "-u";
	else if (t->protocol == PROTO_TCP)
		a[n++] = "-T";
	if (t->port) {
		snprintf(tr->a_port, sizeof tr->a_port, "%d", t->port);
		a[n++] = "-P";
		a[n++] = tr->a_port;
	}
	a[n++] = "--";
	a[n++] = (char *)t->host;
	a[n] = NULL;
	tr->job.argv = a;
}

static struct asn_db *open_asn(struct run *r, const struct ctx *c,
			       const struct trace_config *cfg)
{
	const char *paths[] = {
	    c->db_path,
	    cfg->db_path[0] ? cfg->db_path : NULL,
	    "/var/lib/GeoIP/GeoLite2-ASN.mmdb",
	    "/usr/share/GeoIP/GeoLite2-ASN.mmdb",
	    TRACE_DATADIR "/GeoLite2-ASN.mmdb",
	};
	struct asn_db *db = NULL;
	char err[4200];
	const char *warned = statefile_get(r->state, "asn/warned");

	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		if (!paths[i])
			continue;
		if (asn_open(&db, paths[i], err, sizeof err) == 0) {
			log_debug("ASN database: %s", paths[i]);
			statefile_del(r->state, "asn/warned");
			return db;
		}
		/* A path the operator named and that fails is worth a
		 * message every time it changes. */
		if (i < 2 && (!warned || strcmp(warned, err))) {
			log_warn("ASN database: %s", err);
			statefile_set(r->state, "asn/warned", err);
			warned = statefile_get(r->state, "asn/warned");
		}
	}
	/* Missing database: say so once, then stay quiet until it appears;
	 * hops are labelled "unknown", the run does not fail. */
	if (!warned) {
		log_warn("ASN database: none found (tried --db-path, db_path, "
			 "/var/lib/GeoIP, /usr/share/GeoIP, " TRACE_DATADIR
			 "): asn and org labels are \"unknown\"");
		statefile_set(r->state, "asn/warned", "none");
	}
	return NULL;
}

static int load_config(const struct cli_opts *opts, struct trace_config *cfg,
		       int nhosts, int from_json)
{
	struct cfg_node *root;
	char err[4400];
	int rc;

	if (!opts->config_given && (nhosts || from_json) &&
	    access(opts->config, F_OK) != 0)
		return 0; /* one-shot use needs no file */
	root = cfg_load(opts->config, err, sizeof err);
	if (!root) {
		log_err("%s", err);
		return -1;
	}
	rc = tconfig_apply(cfg, root, err, sizeof err);
	cfg_free(root);
	if (rc) {
		log_err("%s", err);
		return -1;
	}
	if (cfg->metrics_port)
		log_debug("metrics_port %ld: not used, node_exporter serves "
			  "the file",
			  cfg->metrics_port);
	return 0;
}

static int read_all(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t n = 0, cap = 65536;
	char *p = malloc(cap + 1);
	int rc = -1;

	if (!f || !p)
		goto out;
	for (;;) {
		size_t got = fread(p + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *q;

			if (cap >= FROM_JSON_MAX) {
				errno = EFBIG;
				goto out;
			}
			cap *= 2;
			q = realloc(p, cap + 1);
			if (!q)
				goto out;
			p = q;
		}
	}
	if (ferror(f))
		goto out;
	p[n] = 0;
	*buf = p;
	*len = n;
	p = NULL;
	rc = 0;
out:
	free(p);
	if (f && f != stdin)
		fclose(f);
	return rc;
}

static int emit(struct run *r, struct target_run *tr, struct asn_db *db,
		int legacy)
{
	struct asn_info asn[MTR_MAX_HOPS];
	double sent[MTR_MAX_HOPS];
	struct trace_view v;

	tstate_view(r->state, tr->name, &tr->ts, db, asn, sent, legacy, &v);
	if (trace_fmt(r->pf, &v)) {
		log_err("%s: %s", tr->name, promfile_error(r->pf));
		return -1;
	}
	return 0;
}

static int from_json(struct run *r, const struct ctx *c, struct target_run *tr)
{
	char *buf = NULL, err[256];
	size_t len;
	struct mtr_report *rep = malloc(sizeof *rep);
	int rc = -1;

	if (!rep)
		return 1;
	if (read_all(c->from_json, &buf, &len)) {
		log_err("%s: cannot read: %s", c->from_json, strerror(errno));
		rc = 1;
		goto out;
	}
	if (decode_mtr_json(buf, len, rep, err, sizeof err)) {
		log_err("%s: %s", c->from_json, err);
		rc = 1;
		goto out;
	}
	tr->name = rep->dst;
	tstate_load(r->state, rep->dst, &tr->ts);
	if (tstate_record(r->state, rep->dst, &tr->ts, TRACE_OK, rep, 0, 0,
			  (int)c->history, r->now, r->now)) {
		log_err("out of memory");
		rc = 1;
		goto out;
	}
	rc = 0;
out:
	free(buf);
	if (rc == 0) {
		/* tr->name points into rep: keep it alive in ts. */
		tr->name = tr->ts.rep.dst;
	}
	free(rep);
	return rc;
}

/* round(seconds * 1e6) for a duration >= 0, without libm: trace-once
 * links no libm, one shared object less to load on every run. */
static long long micros(double seconds)
{
	double us = seconds * 1e6;
	long long n = (long long)us;

	return n + (us - (double)n >= 0.5);
}

static int run_targets(struct run *r, struct ctx *c, struct trace_config *cfg,
		       struct target_run *trs, int run_all)
{
	struct mtr_job *jobs = calloc(cfg->ntargets, sizeof *jobs);
	size_t *idx = calloc(cfg->ntargets, sizeof *idx), njobs = 0;
	int code = 0, stop = 0;

	if (!jobs || !idx) {
		code = 1;
		goto out;
	}
	for (size_t i = 0; i < cfg->ntargets; i++) {
		struct target_run *tr = &trs[i];

		tr->t = &cfg->targets[i];
		tr->name = tr->t->name;
		tstate_load(r->state, tr->name, &tr->ts);
		if (tr->ts.damaged)
			log_warn("%s: state entry damaged, parts start afresh",
				 tr->name);
		tr->due = run_all || schedule_due(&tr->t->schedule,
						  tr->ts.last_run, r->now);
		if (!tr->due)
			continue;
		build_argv(tr, c->mtr ? c->mtr : cfg->mtr);
		tr->job.timeout = (double)tr->t->count * tr->t->interval +
				  tr->t->grace + c->margin;
		jobs[njobs] = tr->job;
		idx[njobs++] = i;
	}
	log_debug("%zu of %zu targets due", njobs, cfg->ntargets);
	if (mtr_run_all(jobs, njobs, cfg->jobs, &stop)) {
		if (stop) {
			/* Stopped (systemd, ^C): the children are gone; end as
			 * the signal would have, leaving file and state as
			 * they were. */
			log_info("stopped by signal %d", stop);
			signal(stop, SIG_DFL);
			raise(stop);
		}
		log_err("running mtr: %s", strerror(errno));
		code = 1;
		goto out;
	}
	for (size_t k = 0; k < njobs; k++) {
		struct target_run *tr = &trs[idx[k]];
		struct mtr_job *j = &jobs[k];
		struct mtr_report *rep = malloc(sizeof *rep);
		enum trace_result res;
		char why[512];
		double slot =
		    schedule_slot(&tr->t->schedule, tr->ts.last_run, r->now);

		if (!rep) {
			code = 1;
			goto out;
		}
		if (j->state == MTR_JOB_SPAWN_FAILED) {
			log_err("%s: cannot run: %s", j->argv[0],
				strerror(j->spawn_errno));
			free(rep);
			if (j->spawn_errno == ENOENT ||
			    j->spawn_errno == EACCES) {
				code = EXIT_UNAVAILABLE;
				goto out;
			}
			res = TRACE_MTR_FAILED;
			rep = NULL;
		} else {
			res = decode_mtr_result(j->state == MTR_JOB_TIMEOUT,
						j->status, j->out, j->outlen,
						j->out_truncated, rep, why,
						sizeof why);
			if (res != TRACE_OK)
				log_warn("%s: %s: %s", tr->name,
					 trace_result_name(res), why);
		}
		if (tstate_record(r->state, tr->name, &tr->ts, res,
				  res == TRACE_OK ? rep : NULL,
				  j->state != MTR_JOB_SPAWN_FAILED,
				  (double)micros(j->duration) / 1e3,
				  cfg->history, r->now, slot)) {
			free(rep);
			code = 1;
			goto out;
		}
		free(rep);
	}
out:
	for (size_t k = 0; jobs && k < njobs; k++)
		mtr_job_release(&jobs[k]);
	free(jobs);
	free(idx);
	return code;
}

/*
 * The configuration as this run uses it: defaults, the file (optional
 * for one-shot HOST operands and --from-json), its log_file, the
 * operands and the command-line overrides.  Returns 0 or an exit code.
 */
static int setup(const struct cli_opts *opts, struct ctx *c,
		 struct trace_config *cfg, int nhosts, char **hosts)
{
	char err[512];

	tconfig_defaults(cfg, geteuid() == 0);
	if (load_config(opts, cfg, nhosts, c->from_json != NULL))
		return EXIT_CONFIG;
	if (!opts->log_file && !opts->syslog && cfg->log_file[0] &&
	    log_open_file(cfg->log_file) < 0)
		log_warn("log_file %s: %s (logging to stderr)", cfg->log_file,
			 strerror(errno));
	for (int i = 0; i < nhosts; i++)
		if (tconfig_add_host(cfg, hosts[i], err, sizeof err)) {
			log_err("%s", err);
			return EXIT_USAGE;
		}
	if (c->history_set)
		cfg->history = (int)c->history;
	else
		c->history = cfg->history;
	if (c->jobs_set)
		cfg->jobs = (int)c->jobs;
	if (tconfig_finish(cfg, &c->ov, err, sizeof err)) {
		log_err("%s", err);
		return EXIT_CONFIG;
	}
	return 0;
}

/* Targets dropped from the configuration leave the state a week after
 * their last run (one-shot HOST runs prune nothing). */
static void prune_targets(struct run *r, const struct trace_config *cfg)
{
	const char *names[TCONFIG_MAX_TARGETS];
	size_t n;

	for (size_t i = 0; i < cfg->ntargets; i++)
		names[i] = cfg->targets[i].name;
	n = tstate_prune_targets(r->state, names, cfg->ntargets, r->now);
	if (n)
		log_info("forgot %zu target(s) gone from the configuration "
			 "for over a week",
			 n);
}

/* The tool's own cost apart from its mtr children, for anyone sizing the
 * timer (-vv). */
static void log_cpu(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	log_debug("cpu: %.3f ms in trace-once, %.3f ms in mtr children",
		  (self.ru_utime.tv_sec + self.ru_stime.tv_sec) * 1e3 +
		      (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e3,
		  (kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1e3 +
		      (kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e3);
}

/* The mtr-like table per target, for a person at a terminal.  The state
 * is closed by now: sent counts are this run's. */
static void print_tables(struct target_run *trs, size_t n,
			 const struct asn_db *db)
{
	for (size_t i = 0; i < n; i++) {
		struct asn_info asn[MTR_MAX_HOPS];
		double sent[MTR_MAX_HOPS];
		struct trace_view v;

		tstate_view(NULL, trs[i].name, &trs[i].ts, db, asn, sent, 0,
			    &v);
		trace_table_fmt(stdout, &v);
	}
}

int main(int argc, char **argv)
{
	struct ctx c = {.margin = 5.0};
	const struct cli_tool tool = {
	    .name = TOOL,
	    .synopsis = "[options] [--] [HOST...]",
	    .summary = "Run mtr for every configured target that is due, "
		       "label each hop with its ASN, track route changes "
		       "and write trace-once.prom.",
	    .options_help = options_help,
	    .epilog = "Examples:\n"
		      "  trace-once -c /etc/promsnap/trace-once.yaml\n"
		      "  trace-once -o - --count 5 127.0.0.1\n"
		      "  mtr --json -n 127.0.0.1 | trace-once --from-json "
		      "- -o -\n",
	    .shortopts = "46",
	    .longopts = longopts,
	    .handle = handle,
	    .ctx = &c,
	};
	struct cli_opts opts;
	struct trace_config *cfg = NULL;
	struct target_run *trs = NULL;
	struct asn_db *db = NULL;
	struct run r;
	size_t nemit = 0;
	int first, rc, code = 0, table;

	rc = cli_parse(&tool, argc, argv, &opts, &first);
	if (rc != CLI_CONTINUE)
		return rc;
	/* The table is for a person at a terminal; -o - or a pipe gets only
	 * the exposition. */
	table = !opts.output && isatty(STDOUT_FILENO);
	rc = run_begin(&r, TOOL, &opts);
	if (rc)
		return rc;
	cfg = malloc(sizeof *cfg);
	if (!cfg) {
		log_err("out of memory");
		code = 1;
		goto out;
	}
	code = setup(&opts, &c, cfg, argc - first, argv + first);
	if (code)
		goto out;
	/* One slot per target (or one for --from-json): memory touched is
	 * page faults paid on every run. */
	trs = calloc(cfg->ntargets ? cfg->ntargets : 1, sizeof *trs);
	if (!trs) {
		log_err("out of memory");
		code = 1;
		goto out;
	}
	db = open_asn(&r, &c, cfg);
	if (c.from_json) {
		code = from_json(&r, &c, &trs[0]);
		nemit = code ? 0 : 1;
	} else {
		if (cfg->ntargets == 0) {
			log_err("%s: no targets (give HOST operands or "
				"targets: in the file)",
				opts.config);
			code = EXIT_CONFIG;
			goto out;
		}
		/* HOST operands are one-shot use: they run now unless a
		 * --schedule was given for them. */
		code = run_targets(
		    &r, &c, cfg, trs,
		    c.all || (cfg->hosts_from_args && !c.ov.schedule_set));
		nemit = cfg->ntargets;
		if (!code && !cfg->hosts_from_args)
			prune_targets(&r, cfg);
	}
	if (code)
		goto out;
	for (size_t i = 0; i < nemit; i++)
		if (emit(&r, &trs[i], db, c.legacy)) {
			code = 1;
			goto out;
		}
out:
	log_cpu();
	rc = run_finish(&r, code);
	/* After the file is written: the table shows what was committed. */
	if (rc == 0 && table)
		print_tables(trs, nemit, db);
	asn_close(db);
	free(cfg);
	free(trs);
	return rc;
}
