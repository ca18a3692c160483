/* SPDX-License-Identifier: MIT */
/*
 * sni-scan: per-SNI traffic from HAProxy logs.  One run reads each log
 * from the saved position to its last complete line, adds what it finds
 * to the counters kept in state, and writes sni-scan.prom.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "cli.h"
#include "config.h"
#include "counters.h"
#include "log.h"
#include "logformat.h"
#include "logpos.h"
#include "logread.h"
#include "parse_num.h"
#include "reuse.h"
#include "run.h"
#include "scan.h"

#define TOOL "sni-scan"
#define DEFAULT_LOG "/var/log/haproxy.log"
#define DEFAULT_FORMAT "tcp-sni"
#define MAX_LOGS 64
/* State keys: the summary of the series block (reuse.h), and the side
 * file that holds the counters. */
#define SERIES_KEY "series"
#define COUNTERS_SIDE "sni-counters"

struct log_spec {
	const char *path;
	const char *log_format; /* a haproxy.cfg log-format string */
	const char *format;	/* or a preset name */
	unsigned sni_capture;
};

struct settings {
	struct log_spec logs[MAX_LOGS];
	size_t nlogs;
	const char *cli_log_format, *cli_format;
	const char *cli_inputs[MAX_LOGS];
	size_t ncli_inputs;
	int reset, from_end;
	unsigned long long max_bytes, max_line, truncate_at;
	long long max_series, sni_capture;
	double expire_after;
	int by_fe, by_be;
	/* Set when given on the command line, which wins over the config. */
	int max_bytes_set, max_line_set, truncate_set, max_series_set,
	    expire_set, by_set, capture_set;
};

enum {
	OPT_LOG_FORMAT = 256,
	OPT_FORMAT,
	OPT_RESET,
	OPT_FROM_END,
	OPT_MAX_BYTES,
	OPT_MAX_SERIES,
	OPT_BY,
	OPT_INPUT,
	OPT_MAX_LINE,
	OPT_EXPIRE,
	OPT_TRUNCATE,
	OPT_CAPTURE,
};

static const struct option longopts[] = {
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"input", required_argument, NULL, OPT_INPUT},
	{"reset", no_argument, NULL, OPT_RESET},
	{"from-end", no_argument, NULL, OPT_FROM_END},
	{"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
	{"max-line", required_argument, NULL, OPT_MAX_LINE},
	{"max-series", required_argument, NULL, OPT_MAX_SERIES},
	{"expire-after", required_argument, NULL, OPT_EXPIRE},
	{"by", required_argument, NULL, OPT_BY},
	{"sni-capture", required_argument, NULL, OPT_CAPTURE},
	{"truncate-at", required_argument, NULL, OPT_TRUNCATE},
	{NULL, 0, NULL, 0},
};

static const char options_help[] =
	"      --log-format STRING  the log-format line from haproxy.cfg\n"
	"      --format PRESET      tcp-sni (default), tcp-sni-tls, http-sni,\n"
	"                           traffic-exporter\n"
	"      --input LOG          a log to read (as an operand; - is stdin)\n"
	"      --reset              clear counters and positions first\n"
	"      --from-end           first run: skip what the log holds now\n"
	"      --max-bytes SIZE     read at most about SIZE bytes this run\n"
	"      --max-line SIZE      skip longer lines (default 64KiB)\n"
	"      --max-series N       keep at most N names (default 10000)\n"
	"      --expire-after DUR   forget names unseen for DUR (default 30d)\n"
	"      --by LABELS          add frontend and/or backend labels\n"
	"      --sni-capture N      slot of %hr holding the name (default 1)\n"
	"      --truncate-at N      HAProxy's log line limit (default 1024,\n"
	"                           0 for none)\n";

static int parse_by(const char *arg, int *fe, int *be, char *err,
		    size_t errlen)
{
	*fe = *be = 0;
	const char *p = arg;
	while (*p) {
		size_t n = strcspn(p, ", ");
		if (n == 8 && !memcmp(p, "frontend", 8))
			*fe = 1;
		else if (n == 7 && !memcmp(p, "backend", 7))
			*be = 1;
		else if (!(n == 3 && !memcmp(p, "sni", 3)) && n != 0) {
			snprintf(err, errlen,
				 "expected frontend, backend or both, got "
				 "\"%.*s\"",
				 (int)n, p);
			return -1;
		}
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return 0;
}

static int handle_opt(int opt, const char *arg, void *ctx)
{
	struct settings *s = ctx;
	long long v;
	char err[256];

	switch (opt) {
	case OPT_LOG_FORMAT:
		s->cli_log_format = arg;
		return 0;
	case OPT_FORMAT:
		s->cli_format = arg;
		return 0;
	case OPT_INPUT:
		if (s->ncli_inputs >= MAX_LOGS) {
			log_err("--input: at most %d logs", MAX_LOGS);
			return -1;
		}
		s->cli_inputs[s->ncli_inputs++] = arg;
		return 0;
	case OPT_RESET:
		s->reset = 1;
		return 0;
	case OPT_FROM_END:
		s->from_end = 1;
		return 0;
	case OPT_MAX_BYTES:
	case OPT_MAX_LINE: {
		unsigned long long sz;
		const char *name = opt == OPT_MAX_BYTES ? "--max-bytes"
							: "--max-line";
		if (parse_size(arg, opt == OPT_MAX_LINE ? 256 : 0,
			       opt == OPT_MAX_LINE ? (16ULL << 20) : (1ULL << 50),
			       &sz, err, sizeof err) < 0) {
			log_err("%s: %s", name, err);
			return -1;
		}
		if (opt == OPT_MAX_BYTES) {
			s->max_bytes = sz;
			s->max_bytes_set = 1;
		} else {
			s->max_line = sz;
			s->max_line_set = 1;
		}
		return 0;
	}
	case OPT_MAX_SERIES:
		if (cli_int("--max-series", arg, 1, 10000000, &v) < 0)
			return -1;
		s->max_series = v;
		s->max_series_set = 1;
		return 0;
	case OPT_EXPIRE:
		if (cli_duration("--expire-after", arg, 1, 1e10,
				 &s->expire_after) < 0)
			return -1;
		s->expire_set = 1;
		return 0;
	case OPT_BY:
		if (parse_by(arg, &s->by_fe, &s->by_be, err, sizeof err) < 0) {
			log_err("--by: %s", err);
			return -1;
		}
		s->by_set = 1;
		return 0;
	case OPT_CAPTURE:
		if (cli_int("--sni-capture", arg, 1, 64, &v) < 0)
			return -1;
		s->sni_capture = v;
		s->capture_set = 1;
		return 0;
	case OPT_TRUNCATE:
		if (cli_int("--truncate-at", arg, 0, 1 << 20, &v) < 0)
			return -1;
		s->truncate_at = (unsigned long long)v;
		s->truncate_set = 1;
		return 0;
	}
	return -1;
}

/* ---- configuration ---------------------------------------------------- */

static int load_config(struct settings *s, struct cfg_node **rootp,
		       const struct cli_opts *opts, char *err, size_t errlen)
{
	static const char *const top_keys[] = {
		"logs", "max_series", "expire_after", "by", "max_bytes",
		"max_line", "truncate_at", NULL};
	static const char *const log_keys[] = {"path", "log_format", "format",
					       "sni_capture", NULL};
	struct cfg_node *root;
	const struct cfg_node *logs = NULL;
	char path[256];

	*rootp = NULL;
	if (!opts->config_given && access(opts->config, F_OK) < 0)
		return 0; /* no config: shipped defaults */
	root = cfg_load(opts->config, err, errlen);
	if (!root)
		return -1;
	*rootp = root;
	if (cfg_check_keys(root, "", top_keys, err, errlen) < 0)
		return -1;
	long long ms = s->max_series;
	if (cfg_get_int(root, "", "max_series", 1, 10000000, &ms, err,
			errlen) < 0)
		return -1;
	if (!s->max_series_set)
		s->max_series = ms;
	double ea = s->expire_after;
	if (cfg_get_duration(root, "", "expire_after", 1, 1e10, &ea, err,
			     errlen) < 0)
		return -1;
	if (!s->expire_set)
		s->expire_after = ea;
	unsigned long long sz = s->max_bytes;
	if (cfg_get_size(root, "", "max_bytes", 0, 1ULL << 50, &sz, err,
			 errlen) < 0)
		return -1;
	if (!s->max_bytes_set)
		s->max_bytes = sz;
	sz = s->max_line;
	if (cfg_get_size(root, "", "max_line", 256, 16ULL << 20, &sz, err,
			 errlen) < 0)
		return -1;
	if (!s->max_line_set)
		s->max_line = sz;
	long long ta = (long long)s->truncate_at;
	if (cfg_get_int(root, "", "truncate_at", 0, 1 << 20, &ta, err,
			errlen) < 0)
		return -1;
	if (!s->truncate_set)
		s->truncate_at = (unsigned long long)ta;

	const struct cfg_node *by = cfg_get(root, "by");
	if (by && !s->by_set) {
		int fe = 0, be = 0;
		char e2[256];
		if (by->kind == CFG_SCALAR) {
			if (parse_by(by->str, &fe, &be, e2, sizeof e2) < 0)
				return cfg_error(by, "by", err, errlen, "%s", e2);
		} else if (by->kind == CFG_SEQ) {
			for (size_t i = 0; i < by->n; i++) {
				int f1, b1;
				const struct cfg_node *it = by->items[i];
				if (it->kind != CFG_SCALAR ||
				    parse_by(it->str, &f1, &b1, e2, sizeof e2))
					return cfg_error(it,
							 cfg_path_index(path, sizeof path, "by", i),
							 err, errlen,
							 "expected frontend or backend");
				fe |= f1;
				be |= b1;
			}
		} else {
			return cfg_error(by, "by", err, errlen,
					 "expected a list such as [frontend, backend]");
		}
		s->by_fe = fe;
		s->by_be = be;
	}

	if (cfg_get_seq(root, "", "logs", &logs, err, errlen) < 0)
		return -1;
	for (size_t i = 0; logs && i < logs->n; i++) {
		const struct cfg_node *l = logs->items[i];
		struct log_spec *ls;
		cfg_path_index(path, sizeof path, "logs", i);
		if (s->nlogs >= MAX_LOGS)
			return cfg_error(l, path, err, errlen,
					 "at most %d logs", MAX_LOGS);
		ls = &s->logs[s->nlogs];
		memset(ls, 0, sizeof *ls);
		if (l->kind == CFG_SCALAR) {
			ls->path = l->str; /* logs: [/var/log/haproxy.log] */
			s->nlogs++;
			continue;
		}
		if (cfg_check_keys(l, path, log_keys, err, errlen) < 0)
			return -1;
		if (cfg_get_str(l, path, "path", &ls->path, err, errlen) < 0)
			return -1;
		if (!ls->path)
			return cfg_error(l, path, err, errlen,
					 "missing key \"path\"");
		if (cfg_get_str(l, path, "log_format", &ls->log_format, err,
				errlen) < 0 ||
		    cfg_get_str(l, path, "format", &ls->format, err,
				errlen) < 0)
			return -1;
		if (ls->log_format && ls->format)
			return cfg_error(l, path, err, errlen,
					 "give log_format or format, not both");
		long long cap = 0;
		if (cfg_get_int(l, path, "sni_capture", 1, 64, &cap, err,
				errlen) < 0)
			return -1;
		ls->sni_capture = (unsigned)cap;
		/* Compile now, so a bad format is a config error with its
		 * position rather than a failure halfway through a run. */
		if (ls->log_format) {
			struct logformat *lf;
			char e2[512];
			if (logformat_compile(ls->log_format, &lf, e2,
					      sizeof e2) < 0)
				return cfg_error(cfg_get(l, "log_format"), path,
						 err, errlen, "%s", e2);
			logformat_free(lf);
		}
		if (ls->format) {
			struct logformat *lf;
			char e2[512];
			if (logformat_preset(ls->format, &lf, e2, sizeof e2) < 0)
				return cfg_error(cfg_get(l, "format"), path,
						 err, errlen, "%s", e2);
			logformat_free(lf);
		}
		s->nlogs++;
	}
	return 0;
}

/* ---- one log ------------------------------------------------------------ */

struct ctx {
	struct run *r;
	struct settings *s;
	struct counters *c;
	uint64_t budget; /* bytes left for this run; UINT64_MAX: no bound */
	double progress_start, progress_last;
	const char *progress_path;
	uint64_t progress_total;
	int progress_shown;
};

struct log_out {
	const char *name;
	uint64_t lines[SCAN_NRESULTS];
	uint64_t read, backlog, rotations;
};

static void progress(uint64_t done, void *arg)
{
	struct ctx *x = arg;
	double t = run_monotonic();
	if (t - x->progress_start < 1.0 || t - x->progress_last < 0.25)
		return;
	x->progress_last = t;
	x->progress_shown = 1;
	fprintf(stderr, "\r%s: %s: %" PRIu64 " of %" PRIu64 " MiB", TOOL,
		x->progress_path, done >> 20, x->progress_total >> 20);
}

static int get_pos(struct statefile *st, const char *path, struct logpos *p,
		   int quiet)
{
	char key[PATH_MAX + 16];
	unsigned hlen;
	memset(p, 0, sizeof *p);
	snprintf(key, sizeof key, "pos/%s", path);
	const char *v = statefile_get(st, key);
	if (!v)
		return 0;
	if (sscanf(v, "%" SCNu64 ",%" SCNu64 ",%" SCNu64 ",%" SCNu64 ",%u,%"
		      SCNx64 ",%d",
		   &p->dev, &p->ino, &p->off, &p->size, &hlen, &p->hash,
		   &p->skipping) != 7 || hlen > LOGPOS_HASH_MAX) {
		if (!quiet)
			log_warn("%s: saved position unreadable, reading "
				 "from the start", path);
		memset(p, 0, sizeof *p);
		return 0;
	}
	p->hlen = hlen;
	p->known = 1;
	return 0;
}

static int set_pos(struct statefile *st, const char *path,
		   const struct logpos *p)
{
	char key[PATH_MAX + 16];
	snprintf(key, sizeof key, "pos/%s", path);
	return statefile_setf(st, key,
			      "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			      ",%u,%" PRIx64 ",%d",
			      p->dev, p->ino, p->off, p->size, p->hlen,
			      p->hash, p->skipping);
}

static void start_job(struct ctx *x, struct logread_job *j, int fd,
		      uint64_t off, struct scan *sc, const char *path,
		      uint64_t total)
{
	memset(j, 0, sizeof *j);
	j->fd = fd;
	j->off = off;
	j->budget = x->budget;
	j->max_line = (size_t)x->s->max_line;
	j->scan = sc;
	j->now = x->r->now;
	if (isatty(2) && log_verbosity() >= 0) {
		j->progress = progress;
		j->progress_arg = x;
		x->progress_start = x->progress_last = run_monotonic();
		x->progress_path = path;
		x->progress_total = total;
	}
}

static void spend(struct ctx *x, uint64_t n)
{
	if (x->budget != UINT64_MAX)
		x->budget = n >= x->budget ? 0 : x->budget - n;
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * Read one log file as logpos decides; save the new position.  Returns 0,
 * or an exit code for a log that exists but cannot be read.
 */
/* A pipe, FIFO or terminal (stdin, <(journalctl ...)): read to its end,
 * every line counts, no position to keep. */
static int process_stream(struct ctx *x, int fd, const char *name,
			  struct scan *sc, struct log_out *lo)
{
	struct logread_job j;
	start_job(x, &j, fd, 0, sc, name, 0);
	j.progress = NULL;
	j.stream = 1;
	j.final = 1;
	j.budget = UINT64_MAX;
	if (logread_run(&j) < 0) {
		log_err("%s: cannot read: %s", name, strerror(errno));
		return 1;
	}
	lo->read += j.read;
	return 0;
}

static int process_file(struct ctx *x, const char *path, struct scan *sc,
			struct log_out *lo)
{
	char rpath[PATH_MAX];
	struct logpos saved, next;
	struct logpos_file cur, rot;
	struct logpos_plan plan;
	struct logread_job j;
	int cfd = -1, rfd = -1, rc = 0;

	get_pos(x->r->state, path, &saved, 0);
	cfd = open(path, O_RDONLY | O_CLOEXEC);
	if (cfd < 0 && errno != ENOENT) {
		int e = errno;
		log_err("%s: cannot open: %s", path, strerror(e));
		rc = e == EACCES ? EXIT_NOPERM : 1;
		goto out;
	}
	struct stat st;
	if (cfd >= 0 && fstat(cfd, &st) == 0 && !S_ISREG(st.st_mode)) {
		rc = process_stream(x, cfd, path, sc, lo);
		goto out;
	}
	snprintf(rpath, sizeof rpath, "%s.1", path);
	rfd = open(rpath, O_RDONLY | O_CLOEXEC);
	memset(&cur, 0, sizeof cur);
	memset(&rot, 0, sizeof rot);
	if ((cfd >= 0 && logread_describe(cfd, saved.hlen, &cur) < 0) ||
	    (rfd >= 0 && logread_describe(rfd, saved.hlen, &rot) < 0)) {
		log_err("%s: cannot read: %s", path, strerror(errno));
		rc = 1;
		goto out;
	}
	logpos_decide(&saved, &cur, &rot, x->s->from_end, &plan);
	if (cfd < 0)
		log_info("%s: missing (waiting for it to appear)", path);
	if (x->budget == 0 && (plan.read_rotated || plan.read_current)) {
		/* This run's budget is spent: report, change nothing. */
		lo->backlog = plan.read_rotated ?
			sub0(rot.size, plan.rot_off) + cur.size :
			sub0(cur.size, plan.cur_off);
		goto out;
	}
	next = saved;
	if (plan.rotation)
		lo->rotations++;
	int skipping = plan.keep_skipping ? saved.skipping : 0;
	if (plan.read_rotated) {
		start_job(x, &j, rfd, plan.rot_off, sc, rpath, rot.size);
		j.final = 1;
		j.skipping = skipping;
		if (logread_run(&j) < 0) {
			log_err("%s: cannot read: %s", rpath, strerror(errno));
			rc = 1;
			goto out;
		}
		lo->read += j.read;
		spend(x, j.read);
		next.dev = rot.dev;
		next.ino = rot.ino;
		next.off = j.end;
		next.size = rot.size;
		next.skipping = j.skipping;
		next.known = 1;
		skipping = 0;
		if (!j.eof) {
			lo->backlog = sub0(rot.size, j.end) + cur.size;
			set_pos(x->r->state, path, &next);
			goto out;
		}
	}
	if (plan.read_current && cfd >= 0) {
		uint64_t off = plan.cur_off;
		if (plan.cur_from_end &&
		    logread_line_start(cfd, cur.size, (size_t)x->s->max_line,
				       &off) < 0) {
			log_err("%s: cannot read: %s", path, strerror(errno));
			rc = 1;
			goto out;
		}
		start_job(x, &j, cfd, off, sc, path, cur.size);
		j.skipping = skipping;
		if (logread_run(&j) < 0) {
			log_err("%s: cannot read: %s", path, strerror(errno));
			rc = 1;
			goto out;
		}
		lo->read += j.read;
		spend(x, j.read);
		struct logpos_file after;
		if (logread_describe(cfd, 0, &after) < 0)
			after = cur;
		next.known = 1;
		next.dev = cur.dev;
		next.ino = cur.ino;
		next.off = j.end;
		next.size = after.size;
		next.skipping = j.skipping;
		/* Keep the hash of the first line while it is the same
		 * file; take a new one for a new file or once the first
		 * line is complete. */
		int same = saved.known && !plan.rotation &&
			   saved.dev == cur.dev && saved.ino == cur.ino;
		if (!same || saved.hlen == 0) {
			uint32_t hl;
			uint64_t h;
			if (logread_head(cfd, after.size, &hl, &h) == 0) {
				next.hlen = hl;
				next.hash = h;
			}
		}
		lo->backlog = sub0(after.size, j.end);
	}
	if (next.known)
		set_pos(x->r->state, path, &next);
out:
	if (x->progress_shown) {
		fputc('\n', stderr);
		x->progress_shown = 0;
	}
	if (cfd >= 0)
		close(cfd);
	if (rfd >= 0)
		close(rfd);
	return rc;
}


/* The format of one log: --log-format, --format, the log's own
 * log_format or format, or the default preset, in that order. */
static int compile_for(const struct settings *s, const struct log_spec *ls,
		       struct logformat **lf, char *err, size_t errlen)
{
	const char *fmt = s->cli_log_format ? s->cli_log_format :
			  s->cli_format	     ? NULL :
						  ls->log_format;
	const char *preset = s->cli_format ? s->cli_format :
			     ls->format	   ? ls->format :
						 DEFAULT_FORMAT;
	return fmt ? logformat_compile(fmt, lf, err, errlen) :
		     logformat_preset(preset, lf, err, errlen);
}

static int process_log(struct ctx *x, const struct log_spec *ls,
		       struct log_out *lo)
{
	struct settings *s = x->s;
	struct logformat *lf = NULL;
	struct scan sc;
	char err[512];
	int rc;

	if (compile_for(s, ls, &lf, err, sizeof err) < 0) {
		log_err("%s: %s", ls->path, err);
		return EXIT_CONFIG;
	}
	if (s->capture_set)
		logformat_set_sni_capture(lf, (unsigned)s->sni_capture);
	else if (ls->sni_capture)
		logformat_set_sni_capture(lf, ls->sni_capture);

	struct scan_opts so = {.truncate_at = (size_t)s->truncate_at};
	scan_init(&sc, lf, x->c, &so);
	lo->name = ls->path;
	if (!strcmp(ls->path, "-"))
		rc = process_stream(x, 0, "stdin", &sc, lo);
	else
		rc = process_file(x, ls->path, &sc, lo);
	scan_flush(&sc, x->r->now);
	for (int i = 0; i < SCAN_NRESULTS; i++)
		lo->lines[i] = sc.result[i];
	if (sc.oom) {
		log_err("out of memory");
		rc = 1;
	}
	logformat_free(lf);
	return rc;
}

/* ---- state and output --------------------------------------------------- */

/* Counters saved inline in the state file ("sni/<key>"), as before they
 * moved to a side file: loaded once, then removed from the state. */
struct load_ctx {
	struct counters *c;
	size_t n;
};

static int load_entry(const char *key, const char *value, void *arg)
{
	struct load_ctx *lc = arg;
	lc->n++;
	if (counters_load(lc->c, key + 4, value) < 0)
		log_warn("state: %s: unreadable entry skipped", key);
	return 0;
}

static int del_entry(const char *key, const char *value, void *arg)
{
	(void)value;
	return statefile_del(arg, key);
}

/*
 * The counters from the side file (and any saved inline).  *text keeps
 * the side file's content so an unchanged dump need not be written again.
 * A side file the state names but which is gone or damaged resets the
 * whole state, as a damaged state file does: positions without their
 * counters would lose what was read before.  Returns 0 or -1 (ENOMEM).
 */
static int load_counters(struct run *r, struct counters *c, char **text,
			 size_t *len, size_t *inline_n)
{
	char err[4400];
	size_t bad = 0;
	int rc = statefile_side_get(r->state, COUNTERS_SIDE, text, len, err,
				    sizeof err);

	if (rc == 0 && *text && counters_load_text(c, *text, *len, &bad) < 0) {
		if (errno == ENOMEM)
			return -1;
		snprintf(err, sizeof err, "%s/%s: not a counters file",
			 statefile_dir(r->state), COUNTERS_SIDE);
		rc = -1;
	}
	if (rc < 0) {
		char why[4500];
		if (errno == ENOMEM)
			return -1;
		snprintf(why, sizeof why, "%s; starting fresh", err);
		log_err("state: %s", why);
		statefile_clear(r->state);
		statefile_set_reset_reason(r->state, why);
		free(*text);
		*text = NULL;
		*len = 0;
		return 0;
	}
	if (bad)
		log_warn("state: %zu unreadable counters skipped", bad);
	struct load_ctx lc = {.c = c};
	statefile_foreach(r->state, "sni/", load_entry, &lc);
	*inline_n = lc.n;
	return 0;
}

/* Add this run's numbers to the totals in state and to the .prom. */
static int emit_log(struct run *r, const struct log_out *lo)
{
	char key[PATH_MAX + 64];
	uint64_t v;
	int e = 0;

	for (int i = 0; i < SCAN_NRESULTS; i++) {
		snprintf(key, sizeof key, "lines/%s/%s", scan_result_names[i],
			 lo->name);
		v = 0;
		statefile_get_u64(r->state, key, &v);
		v += lo->lines[i];
		if (v)
			statefile_set_u64(r->state, key, v);
		e |= promfile_add(r->pf, "sni_scan_lines_total", (double)v,
				  "log", lo->name, "result",
				  scan_result_names[i], NULL);
	}
	snprintf(key, sizeof key, "read/%s", lo->name);
	v = 0;
	statefile_get_u64(r->state, key, &v);
	v += lo->read;
	statefile_set_u64(r->state, key, v);
	e |= promfile_add(r->pf, "sni_scan_read_bytes_total", (double)v, "log",
			  lo->name, NULL);
	e |= promfile_add(r->pf, "sni_scan_backlog_bytes", (double)lo->backlog,
			  "log", lo->name, NULL);
	snprintf(key, sizeof key, "rotations/%s", lo->name);
	v = 0;
	statefile_get_u64(r->state, key, &v);
	v += lo->rotations;
	statefile_set_u64(r->state, key, v);
	e |= promfile_add(r->pf, "sni_scan_rotations_total", (double)v, "log",
			  lo->name, NULL);
	return e ? -1 : 0;
}

/* Logs named on the command line replace those of the config; with
 * neither, the default log. */
static void resolve_logs(struct settings *s)
{
	if (s->ncli_inputs) {
		for (size_t i = 0; i < s->ncli_inputs; i++) {
			memset(&s->logs[i], 0, sizeof s->logs[i]);
			s->logs[i].path = s->cli_inputs[i];
		}
		s->nlogs = s->ncli_inputs;
	}
	if (s->nlogs == 0) {
		s->logs[0].path = DEFAULT_LOG;
		s->nlogs = 1;
	}
}

static int is_dup_log(const struct settings *s, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (!strcmp(s->logs[k].path, s->logs[i].path))
			return 1; /* one position per file */
	return 0;
}

/* Does any log's format have %U (haproxy_sni_uploaded_bytes_total)? */
static int formats_have_up(const struct settings *s)
{
	int up = 0;
	for (size_t i = 0; i < s->nlogs; i++) {
		struct logformat *lf;
		char err[512];
		if (is_dup_log(s, i) ||
		    compile_for(s, &s->logs[i], &lf, err, sizeof err) < 0)
			continue;
		up |= logformat_has_bytes_in(lf);
		logformat_free(lf);
	}
	return up;
}

/* ---- the series block ----------------------------------------------------- */

/*
 * The haproxy_sni_* families, which sort first in the file.  A run renders
 * them into buf, or, with nothing new, reuses the first len bytes of the
 * last .prom (fd).  It goes into the file verbatim, ahead of r->pf's
 * families (promfile_set_prefix).
 */
struct series {
	char *buf;
	int fd;
	uint64_t len;
	uint64_t hash;	/* of the block, as the state has it */
	char ident[PATH_MAX]; /* the identity record; "" for none */
};

#define IDENT_FILE "last-prom"

static void ident_of(const struct stat *sb, struct reuse_ident *id)
{
	memset(id, 0, sizeof *id);
	id->dev = (uint64_t)sb->st_dev;
	id->ino = (uint64_t)sb->st_ino;
	id->size = (uint64_t)sb->st_size;
	id->mtime_ns = (uint64_t)sb->st_mtim.tv_sec * 1000000000u +
		       (uint64_t)sb->st_mtim.tv_nsec;
}

/* Did the last run record that the file with this stat begins with the
 * block of sum? */
static int ident_known(const char *path, const struct stat *sb,
		       const struct reuse_summary *sum)
{
	char buf[256];
	struct reuse_ident saved, cur;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return 0;
	k = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (k <= 0)
		return 0;
	buf[k] = 0;
	ident_of(sb, &cur);
	return reuse_ident_parse(buf, &saved) == 0 &&
	       reuse_ident_matches(&saved, &cur, sum);
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* Hash the file's first len bytes through a mapping (no copy); 0 and *h,
 * or -1.  A file truncated meanwhile raises SIGBUS, caught here. */
static int hash_mapped(int fd, uint64_t len, uint64_t *h)
{
	struct sigaction sa, old;
	void *m;
	int rc = -1;

	if (len == 0) {
		*h = reuse_hash("", 0);
		return 0;
	}
	m = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd,
		 0);
	if (m == MAP_FAILED)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0) {
		*h = reuse_hash(m, (size_t)len);
		rc = 0;
	}
	sigaction(SIGBUS, &old, NULL);
	munmap(m, (size_t)len);
	return rc;
}

/*
 * Does the .prom at path begin with the block the state describes?  Hashes
 * its first sum->len bytes; keeps the file open in b->fd.
 */
static int series_open(const char *path, const struct reuse_summary *sum,
		       struct series *b)
{
	struct stat sb;
	uint64_t h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size < sum->len || sum->len > SIZE_MAX ||
	    (!ident_known(b->ident, &sb, sum) &&
	     (hash_mapped(fd, sum->len, &h) < 0 || h != sum->hash))) {
		close(fd);
		return -1;
	}
	b->fd = fd;
	b->len = sum->len;
	b->hash = sum->hash;
	return 0;
}

/*
 * A run with nothing new: every log is a regular file whose saved
 * position is its end (same inode, size and first line), so reading it
 * would change nothing.  Fills outs as such a run would (all zero).
 */
static int logs_unchanged(struct run *r, const struct settings *s,
			  struct log_out *outs, size_t *nouts)
{
	*nouts = 0;
	for (size_t i = 0; i < s->nlogs; i++) {
		const char *path = s->logs[i].path;
		struct logpos saved;
		struct logpos_file cur;
		struct stat sb;
		int ok;
		if (is_dup_log(s, i))
			continue;
		if (!strcmp(path, "-"))
			return 0;
		get_pos(r->state, path, &saved, 1);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		memset(&cur, 0, sizeof cur);
		ok = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		     logread_describe(fd, saved.hlen, &cur) == 0 &&
		     logpos_unchanged(&saved, &cur);
		close(fd);
		if (!ok)
			return 0;
		memset(&outs[*nouts], 0, sizeof outs[0]);
		outs[(*nouts)++].name = path;
	}
	return 1;
}

/*
 * May this run skip the counters?  Nothing new in any log, the settings
 * and names as when the block was made, the counters file as written, no
 * name due to expire, and the .prom still begins with that block.
 */
static int try_reuse(struct run *r, const struct settings *s,
		     const char *out, const char *shape, struct log_out *outs,
		     size_t *nouts, struct series *b)
{
	struct reuse_summary sum;
	const char *v = statefile_get(r->state, SERIES_KEY);

	if (s->reset || !strcmp(out, "-") || !v ||
	    reuse_parse(v, &sum) < 0 ||
	    !reuse_possible(&sum, shape, r->now, s->expire_after) ||
	    !statefile_side_unchanged(r->state, COUNTERS_SIDE) ||
	    !logs_unchanged(r, s, outs, nouts))
		return 0;
	if (series_open(out, &sum, b) < 0) {
		log_info("%s: does not hold the series the state describes; "
			 "writing them anew", out);
		return 0;
	}
	log_info("nothing new: the series of %" PRIu64 " names reused from %s",
		 sum.names, out);
	return 1;
}

/* The block of this run's counters into b->buf, and its summary into the
 * state. */
static int series_render(struct run *r, const struct counters *c,
			 const struct settings *s, int with_up,
			 const char *shape, struct series *b)
{
	struct promfile *pf = promfile_new();
	size_t len = 0;
	int rc = -1;

	statefile_del(r->state, SERIES_KEY);
	if (!pf) {
		log_err("out of memory");
		return -1;
	}
	if (counters_fmt(c, pf, with_up, s->by_fe, s->by_be) < 0) {
		log_err("metrics: %s", promfile_error(pf));
		goto out;
	}
	if (promfile_render(pf, &b->buf, &len) < 0) {
		log_err("metrics: %s", strerror(errno));
		goto out;
	}
	struct reuse_summary sum = {
		.hash = reuse_hash(b->buf, len),
		.len = len,
		.oldest = counters_oldest(c),
		.names = c->live,
	};
	char val[160];
	snprintf(sum.shape, sizeof sum.shape, "%s", shape);
	reuse_format(&sum, val, sizeof val);
	b->len = len;
	b->hash = sum.hash;
	if (statefile_set(r->state, SERIES_KEY, val) < 0) {
		log_err("state: out of memory");
		goto out;
	}
	rc = 0;
out:
	promfile_free(pf);
	return rc;
}

/* Save the counters to their side file (unless unchanged), and drop any
 * copies saved inline by an older version. */
static int save_counters(struct run *r, const struct counters *c,
			 const char *old, size_t old_len, size_t inline_n)
{
	char *text, err[4400];
	size_t len;
	int rc = 0;

	if (counters_dump(c, &text, &len) < 0) {
		log_err("out of memory");
		return -1;
	}
	if (!old || old_len != len || memcmp(old, text, len) ||
	    !statefile_side_unchanged(r->state, COUNTERS_SIDE)) {
		if (statefile_side_put(r->state, COUNTERS_SIDE, text, len, err,
				       sizeof err) < 0) {
			log_err("state: %s", err);
			rc = -1;
		}
	}
	free(text);
	if (rc == 0 && inline_n)
		statefile_foreach(r->state, "sni/", del_entry, r->state);
	return rc;
}

/*
 * The run's work: either nothing is new and the counters need not be
 * touched (try_reuse), or load the counters, read every log, expire, save
 * the counters and render their series (into b).  The run's own series
 * go to r->pf.  Returns 0 or an exit code.
 */
static int measure(struct run *r, struct settings *s, const char *out,
		   struct series *b)
{
	static struct log_out outs[MAX_LOGS];
	struct counters *c = NULL;
	struct ctx x;
	size_t nouts = 0, inline_n = 0, old_len = 0;
	uint64_t dropped = 0;
	char *old = NULL;
	char shape[REUSE_SHAPE_MAX];
	int rc = 0, with_up = formats_have_up(s);

	reuse_shape(shape, sizeof shape, (uint64_t)s->max_series, s->by_fe,
		    s->by_be, with_up);
	statefile_get_u64(r->state, "dropped", &dropped);
	if (try_reuse(r, s, out, shape, outs, &nouts, b))
		goto emit;

	c = counters_new((size_t)s->max_series);
	if (!c) {
		log_err("out of memory");
		return 1;
	}
	counters_keep(c, s->by_fe, s->by_be);
	if (load_counters(r, c, &old, &old_len, &inline_n) < 0) {
		log_err("out of memory");
		rc = 1;
		goto out;
	}
	dropped = 0; /* the state may have been reset */
	statefile_get_u64(r->state, "dropped", &dropped);

	memset(&x, 0, sizeof x);
	x.r = r;
	x.s = s;
	x.c = c;
	x.budget = s->max_bytes ? s->max_bytes : UINT64_MAX;
	nouts = 0; /* try_reuse may have filled some */
	for (size_t i = 0; i < s->nlogs; i++) {
		if (is_dup_log(s, i))
			continue;
		memset(&outs[nouts], 0, sizeof outs[nouts]);
		rc = process_log(&x, &s->logs[i], &outs[nouts]);
		nouts++;
		if (rc)
			goto out;
	}

	size_t gone = counters_expire(c, r->now, s->expire_after);
	if (gone)
		log_info("%zu names unseen for the expiry time forgotten",
			 gone);
	dropped += c->dropped;
	if (save_counters(r, c, old, old_len, inline_n) < 0 ||
	    statefile_set_u64(r->state, "dropped", dropped) < 0 ||
	    series_render(r, c, s, with_up, shape, b) < 0) {
		rc = 1;
		goto out;
	}
emit:
	if (promfile_add(r->pf, "sni_scan_series_dropped_total",
			 (double)dropped, NULL) < 0) {
		log_err("metrics: %s", promfile_error(r->pf));
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < nouts; i++)
		if (emit_log(r, &outs[i]) < 0) {
			log_err("metrics: %s", promfile_error(r->pf));
			rc = 1;
			goto out;
		}
out:
	free(old);
	counters_free(c);
	return rc;
}

/* ---- after the file is written ------------------------------------------ */

/* Record which file now holds the block (see reuse.h); a cache, so a
 * failure to write it only costs the next run a hash. */
static void ident_save(const struct series *b, const struct stat *sb)
{
	struct reuse_ident id;
	char buf[256];
	int fd;

	ident_of(sb, &id);
	id.hash = b->hash;
	id.len = b->len;
	reuse_ident_format(&id, buf, sizeof buf);
	fd = open(b->ident, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		return;
	if (write(fd, buf, strlen(buf)) < 0)
		log_debug("%s: %s", b->ident, strerror(errno));
	close(fd);
}

int main(int argc, char **argv)
{
	static struct settings s = {
		.max_line = 64 * 1024,
		.truncate_at = 1024,
		.max_series = 10000,
		.expire_after = 30 * 86400,
	};
	struct cli_tool tool = {
		.name = TOOL,
		.synopsis = "[options] [LOG...]",
		.summary = "Read HAProxy logs from where the last run stopped "
			   "and write per-SNI traffic counters.",
		.options_help = options_help,
		.epilog = "Examples:\n"
			  "  sni-scan /var/log/haproxy.log\n"
			  "  journalctl -u haproxy -o cat --since -1h | "
			  "sni-scan -o - -\n",
		.longopts = longopts,
		.handle = handle_opt,
		.ctx = &s,
	};
	struct cli_opts opts;
	struct cfg_node *cfg = NULL;
	struct run r;
	char err[1024];
	int first, rc, code;

	/* Started with 0, 1 or 2 closed, the lock file would take its
	 * place and stdout's writes land in it: fill them first. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return 1;
	rc = cli_parse(&tool, argc, argv, &opts, &first);
	if (rc != CLI_CONTINUE)
		return rc;
	for (int i = first; i < argc; i++) {
		if (s.ncli_inputs >= MAX_LOGS) {
			log_err("at most %d logs", MAX_LOGS);
			return EXIT_USAGE;
		}
		s.cli_inputs[s.ncli_inputs++] = argv[i];
	}
	rc = run_begin(&r, TOOL, &opts);
	if (rc)
		return rc;
	struct series b = {.fd = -1};
	char out[sizeof r.out_path];
	snprintf(out, sizeof out, "%s", r.out_path);
	snprintf(b.ident, sizeof b.ident, "%s/" IDENT_FILE,
		 statefile_dir(r.state));
	/* The record of which file holds the series block is written after
	 * run_finish closes the state: keep the lock until then, so that
	 * runs write it in the order they replaced the .prom. */
	int held = statefile_lock_dup(r.state);
	if (load_config(&s, &cfg, &opts, err, sizeof err) < 0) {
		log_err("%s", err);
		code = EXIT_CONFIG;
	} else {
		resolve_logs(&s);
		if (s.reset)
			statefile_clear(r.state);
		code = measure(&r, &s, out, &b);
	}
	/* The series go first, verbatim; a failed run drops them. */
	if (b.len)
		promfile_set_prefix(r.pf, b.buf, b.fd, b.len);
	rc = run_finish(&r, code);
	if (rc == 0 && b.len && r.written && b.ident[0] &&
	    S_ISREG(r.written_stat.st_mode))
		ident_save(&b, &r.written_stat);
	if (held >= 0)
		close(held);
	if (b.fd >= 0)
		close(b.fd);
	free(b.buf);
	cfg_free(cfg);
	return rc;
}
