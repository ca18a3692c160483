/* SPDX-License-Identifier: MIT */
/*
 * promsnap-status: one-shot diagnosis of the whole suite, the batch
 * analogue of a daemon's /healthz.  Reads every enabled tool's state and
 * .prom file, prints a table (or JSON with --json), and exits 0 when every
 * enabled tool succeeded within 3 intervals, 1 otherwise.  It only reads:
 * no lock is taken (a status check must never make a tool's run exit 75).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "parse_num.h"
#include "run.h"
#include "statefile.h"
#include "status.h"

#define TOOL_NAME "promsnap-status"
#define MAX_TOOLS 32
#define MAX_READ  (64u << 20)

enum enabled { EN_AUTO, EN_YES, EN_NO };

struct tool_cfg {
	char name[64];
	double interval;
	enum enabled enabled;
};

/* The timers' intervals (cron/<tool>.timer); tests check they agree. */
static const struct tool_cfg default_tools[] = {
    {"trace-once", 10, EN_AUTO},   {"tcpping-burst", 30, EN_AUTO},
    {"qemu-netsnap", 15, EN_AUTO}, {"sni-scan", 60, EN_AUTO},
    {"bpf-snap", 30, EN_AUTO},
};

struct opts {
	const char *config;
	int config_given;
	const char *textfile_dir;
	const char *state_root;
	int json;
	int quiet;
	int verbosity;
	int print_intervals;
	int only; /* -t given: check only the listed tools */
	struct tool_cfg tools[MAX_TOOLS];
	size_t ntools;
};

static const char usage_text[] =
    "usage: promsnap-status [options]\n"
    "\n"
    "Read every promsnap tool's state and .prom file and report whether "
    "each\n"
    "succeeded within 3 timer intervals.  Exit 0 if all enabled tools "
    "did,\n"
    "1 otherwise.\n"
    "\n"
    "Options:\n"
    "  -t, --tool NAME[=INTERVAL]  check only this tool (repeatable), "
    "with\n"
    "                          its timer interval [default: built in]\n"
    "  -j, --json              print JSON instead of the table\n"
    "      --print-intervals   print each known tool and its interval in "
    "seconds\n"
    "  -c, --config FILE       configuration file\n"
    "                          [default: " CLI_DEFAULT_CONFIG_DIR
    "/promsnap-status.yaml]\n"
    "  -d, --textfile-dir DIR  where the tools write <tool>.prom\n"
    "                          [default: " CLI_DEFAULT_TEXTFILE_DIR "]\n"
    "  -s, --state-dir DIR     the directory holding one state directory "
    "per\n"
    "                          tool [default: " CLI_DEFAULT_STATE_ROOT "]\n"
    "  -q, --quiet             print nothing; the exit status says it\n"
    "  -v, --verbose           say why a file could not be read\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "Exit status: 0 every enabled tool healthy; 1 a tool is failing, "
    "stale or\n"
    "never ran, or no tool is enabled; 64 usage; 78 configuration "
    "error.\n"
    "\n"
    "See promsnap-status(8) and promsnap(7).\n";

enum { OPT_PRINT_INTERVALS = 0x10001 };

static const struct option longopts[] = {
    {"tool", required_argument, NULL, 't'},
    {"json", no_argument, NULL, 'j'},
    {"print-intervals", no_argument, NULL, OPT_PRINT_INTERVALS},
    {"config", required_argument, NULL, 'c'},
    {"textfile-dir", required_argument, NULL, 'd'},
    {"state-dir", required_argument, NULL, 's'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* Tool names become file names and table cells: keep them plain. */
static int valid_tool_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof default_tools[0].name)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static struct tool_cfg *find_tool(struct opts *o, const char *name)
{
	for (size_t i = 0; i < o->ntools; i++)
		if (!strcmp(o->tools[i].name, name))
			return &o->tools[i];
	return NULL;
}

static struct tool_cfg *add_tool(struct opts *o, const char *name)
{
	struct tool_cfg *t = find_tool(o, name);
	if (t)
		return t;
	if (o->ntools == MAX_TOOLS)
		return NULL;
	t = &o->tools[o->ntools++];
	snprintf(t->name, sizeof t->name, "%s", name);
	t->interval = 60;
	t->enabled = EN_AUTO;
	return t;
}

/* -t NAME[=INTERVAL] */
static int tool_option(struct opts *o, const char *arg, struct tool_cfg *out)
{
	char name[64];
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

	if (n >= sizeof name) {
		log_err("--tool: name too long: \"%s\"", arg);
		return -1;
	}
	memcpy(name, arg, n);
	name[n] = '\0';
	if (!valid_tool_name(name)) {
		log_err("--tool: expected a tool name (a-z, 0-9, -, _), got "
			"\"%s\"",
			name);
		return -1;
	}
	snprintf(out->name, sizeof out->name, "%s", name);
	out->interval = NAN;
	out->enabled = EN_YES;
	if (eq && cli_duration("--tool", eq + 1, 0.001, 86400 * 365,
			       &out->interval) < 0)
		return -1;
	(void)o;
	return 0;
}

static int load_config(struct opts *o)
{
	char err[1024], path[512];
	struct cfg_node *root;
	const struct cfg_node *tools;
	const char *s;
	int rc = -1;
	static const char *const keys[] = {"state_dir", "textfile_dir", "tools",
					   NULL};
	static const char *const tool_keys[] = {"interval", "enabled", NULL};

	if (!o->config_given && access(o->config, F_OK) != 0)
		return 0; /* no config: the built-in defaults */
	root = cfg_load(o->config, err, sizeof err);
	if (!root) {
		log_err("%s", err);
		return -1;
	}
	if (cfg_check_keys(root, "", keys, err, sizeof err) < 0)
		goto out;
	s = NULL;
	if (cfg_get_str(root, "", "state_dir", &s, err, sizeof err) < 0)
		goto out;
	if (s && o->state_root == NULL)
		o->state_root = strdup(s);
	s = NULL;
	if (cfg_get_str(root, "", "textfile_dir", &s, err, sizeof err) < 0)
		goto out;
	if (s && o->textfile_dir == NULL)
		o->textfile_dir = strdup(s);
	tools = cfg_get(root, "tools");
	if (tools && !(tools->kind == CFG_SCALAR && tools->is_null)) {
		if (tools->kind != CFG_MAP) {
			cfg_error(tools, "tools", err, sizeof err,
				  "expected a mapping of tool names");
			goto out;
		}
		for (size_t i = 0; i < tools->n; i++) {
			const struct cfg_node *t = tools->items[i];
			struct tool_cfg *tc;
			const char *en = NULL;

			cfg_path_key(path, sizeof path, "tools",
				     tools->keys[i]);
			if (!valid_tool_name(tools->keys[i])) {
				cfg_error(tools->keynodes[i], path, err,
					  sizeof err,
					  "expected a tool name (a-z, 0-9, "
					  "-, _)");
				goto out;
			}
			tc = add_tool(o, tools->keys[i]);
			if (!tc) {
				cfg_error(t, path, err, sizeof err,
					  "more than %d tools", MAX_TOOLS);
				goto out;
			}
			if (t->kind == CFG_SCALAR && t->is_null)
				continue;
			if (cfg_check_keys(t, path, tool_keys, err,
					   sizeof err) < 0 ||
			    cfg_get_duration(t, path, "interval", 0.001,
					     86400 * 365, &tc->interval, err,
					     sizeof err) < 0 ||
			    cfg_get_str(t, path, "enabled", &en, err,
					sizeof err) < 0)
				goto out;
			if (!en) {
			} else if (!strcmp(en, "auto")) {
				tc->enabled = EN_AUTO;
			} else if (!strcmp(en, "true") || !strcmp(en, "yes")) {
				tc->enabled = EN_YES;
			} else if (!strcmp(en, "false") || !strcmp(en, "no")) {
				tc->enabled = EN_NO;
			} else {
				cfg_error(cfg_get(t, "enabled"), path, err,
					  sizeof err,
					  "enabled: expected true, false or "
					  "auto, got \"%s\"",
					  en);
				goto out;
			}
		}
	}
	rc = 0;
out:
	if (rc < 0)
		log_err("%s", err);
	cfg_free(root);
	return rc;
}

/* Read a whole regular file of at most MAX_READ bytes; *mtime if asked. */
static char *read_file(const char *path, size_t *len, double *mtime)
{
	struct stat sb;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0)
		goto fail;
	if (!S_ISREG(sb.st_mode) || (unsigned long long)sb.st_size > MAX_READ) {
		errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf)
		goto fail;
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	if (mtime)
		*mtime = (double)sb.st_mtim.tv_sec +
			 (double)sb.st_mtim.tv_nsec / 1e9;
	close(fd);
	return buf;
fail : {
	int e = errno;
	free(buf);
	close(fd);
	errno = e;
	return NULL;
}
}

/* A file whose size stat does not tell (/proc): read to EOF, at most
 * cap bytes. */
static char *read_stream(const char *path, size_t cap, size_t *len)
{
	size_t got = 0, size = 65536;
	char *buf = malloc(size + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0)
		goto fail;
	for (;;) {
		ssize_t n;
		if (got == size) {
			char *nb;
			if (size >= cap)
				break;
			size *= 2;
			nb = realloc(buf, size + 1);
			if (!nb)
				goto fail;
			buf = nb;
		}
		n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	close(fd);
	return buf;
fail:
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Gather one tool's input; returns 1 if the tool shows any trace of
 * being installed (state directory or .prom file).  locks is the text of
 * /proc/locks (NULL if unreadable). */
static int gather(const struct opts *o, const struct tool_cfg *t,
		  struct status_input *in, const char *locks, size_t lockslen)
{
	char path[4200], err[256];
	struct stat sb;
	size_t len;
	char *buf;
	int present = 0;

	memset(in, 0, sizeof *in);
	in->tool = t->name;
	in->interval = t->interval;
	in->state_last_success = NAN;
	status_prom_init(&in->prom);

	snprintf(path, sizeof path, "%s/%s", o->state_root, t->name);
	if (stat(path, &sb) == 0)
		present = 1;
	snprintf(path, sizeof path, "%s/%s/lock", o->state_root, t->name);
	if (locks && stat(path, &sb) == 0)
		in->running_pid = status_decode_locks(
		    locks, lockslen, major(sb.st_dev), minor(sb.st_dev),
		    (unsigned long long)sb.st_ino);
	snprintf(path, sizeof path, "%s/%s/state", o->state_root, t->name);
	buf = read_file(path, &len, NULL);
	if (buf) {
		struct statefile *st = statefile_new_memory(t->name);
		if (st && statefile_parse(st, buf, len, err, sizeof err) == 0) {
			in->have_state = 1;
			statefile_get_double(st, "promsnap.last_success",
					     &in->state_last_success);
		} else {
			in->state_unreadable = 1;
			log_info("%s: %s", path, st ? err : "out of memory");
		}
		if (st)
			statefile_close(st);
		free(buf);
	} else if (errno != ENOENT) {
		in->state_unreadable = 1;
		log_info("%s: %s", path, strerror(errno));
	}

	snprintf(path, sizeof path, "%s/%s.prom", o->textfile_dir, t->name);
	buf = read_file(path, &len, &in->prom_mtime);
	if (buf) {
		present = 1;
		in->have_prom = 1;
		status_decode_prom(buf, len, t->name, &in->prom);
		free(buf);
	} else if (errno != ENOENT) {
		log_info("%s: %s", path, strerror(errno));
	}
	return present;
}

static double now_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct opts o = {.config =
			     CLI_DEFAULT_CONFIG_DIR "/promsnap-status.yaml"};
	struct tool_cfg only[MAX_TOOLS];
	struct status_row rows[MAX_TOOLS];
	size_t nonly = 0, nrows = 0, lockslen = 0;
	char *locks;
	int c, rc;
	double now;

	log_init(TOOL_NAME);
	memcpy(o.tools, default_tools, sizeof default_tools);
	o.ntools = sizeof default_tools / sizeof default_tools[0];
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:t:jc:d:s:qvhV", longopts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			if (nonly == MAX_TOOLS) {
				log_err("--tool: at most %d tools", MAX_TOOLS);
				return EXIT_USAGE;
			}
			if (tool_option(&o, optarg, &only[nonly++]) < 0)
				return EXIT_USAGE;
			o.only = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case OPT_PRINT_INTERVALS:
			o.print_intervals = 1;
			break;
		case 'c':
			o.config = optarg;
			o.config_given = 1;
			break;
		case 'd':
			o.textfile_dir = optarg;
			break;
		case 's':
			o.state_root = optarg;
			break;
		case 'q':
			o.quiet = 1;
			o.verbosity = -1;
			break;
		case 'v':
			o.verbosity++;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("%s (promsnap) %s\n", TOOL_NAME,
			       PROMSNAP_VERSION);
			return 0;
		case ':':
			log_err("%s: option requires an argument (see --help)",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			log_err("%s: unknown option (see --help)",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_err("%s: unexpected operand (see --help)", argv[optind]);
		return EXIT_USAGE;
	}
	log_set_verbosity(o.verbosity);
	if (load_config(&o) < 0)
		return EXIT_CONFIG;
	if (!o.textfile_dir)
		o.textfile_dir = CLI_DEFAULT_TEXTFILE_DIR;
	if (!o.state_root)
		o.state_root = CLI_DEFAULT_STATE_ROOT;
	if (o.only) {
		/* -t names exactly the tools to check; the interval comes
		 * from the option, else the config, else the built-in. */
		struct tool_cfg sel[MAX_TOOLS];
		for (size_t i = 0; i < nonly; i++) {
			const struct tool_cfg *known =
			    find_tool(&o, only[i].name);
			sel[i] = only[i];
			if (isnan(sel[i].interval))
				sel[i].interval = known ? known->interval : 60;
		}
		memcpy(o.tools, sel, nonly * sizeof sel[0]);
		o.ntools = nonly;
	}
	if (o.print_intervals) {
		for (size_t i = 0; i < o.ntools; i++) {
			char v[40];
			prom_format_value(o.tools[i].interval, v, sizeof v);
			printf("%s %s\n", o.tools[i].name, v);
		}
		return 0;
	}

	/* Who holds a tool's lock, read without taking it. */
	locks = read_stream("/proc/locks", 16u << 20, &lockslen);
	now = now_wall();
	for (size_t i = 0; i < o.ntools; i++) {
		struct status_input in;
		int present;
		if (o.tools[i].enabled == EN_NO)
			continue;
		present = gather(&o, &o.tools[i], &in, locks, lockslen);
		if (o.tools[i].enabled == EN_AUTO && !present)
			continue;
		status_compute(&in, now, &rows[nrows++]);
	}
	if (nrows == 0)
		log_err("no enabled tool: no state directory under %s and no "
			".prom file in %s (see --tool)",
			o.state_root, o.textfile_dir);
	free(locks);
	rc = status_all_healthy(rows, nrows) ? 0 : 1;
	if (!o.quiet) {
		int w = o.json ? status_fmt_json(stdout, rows, nrows, now)
			       : status_fmt_table(stdout, rows, nrows, now);
		if (w < 0 || fflush(stdout) != 0) {
			log_err("stdout: cannot write: %s", strerror(errno));
			return EXIT_IOERR;
		}
	}
	return rc;
}
