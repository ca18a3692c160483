/* SPDX-License-Identifier: MIT */
/*
 * bpf-snap: eBPF counts of outbound connects and sends per process.
 *
 *   bpf-snap attach    load, attach and pin the programs, then exit
 *   bpf-snap           read the pinned maps, write bpf-snap.prom
 *   bpf-snap status    what is attached, in plain text
 *   bpf-snap detach    remove every link and pin, verify nothing is left
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "cli.h"
#include "config.h"
#include "log.h"
#include "pins.h"
#include "run.h"
#include "snapconf.h"
#include "snapshot.h"
#include "statefile.h"

#define TOOL "bpf-snap"

enum { OPT_ALL = 0x20001, OPT_PIN_DIR, OPT_CGROUP };

struct bs_opts {
	int all;
	const char *pin_dir;
	const char *cgroup;
};

static int handle(int opt, const char *arg, void *ctx)
{
	struct bs_opts *o = ctx;

	switch (opt) {
	case OPT_ALL:
		o->all = 1;
		return 0;
	case OPT_PIN_DIR:
		if (!*arg || arg[0] != '/') {
			log_err("--pin-dir: expected an absolute path, got "
				"\"%s\"",
				arg);
			return -1;
		}
		o->pin_dir = arg;
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	}
	return -1;
}

static const struct option longopts[] = {
    {"all", no_argument, NULL, OPT_ALL},
    {"pin-dir", required_argument, NULL, OPT_PIN_DIR},
    {"cgroup", required_argument, NULL, OPT_CGROUP},
    {NULL, 0, NULL, 0},
};

static struct bs_opts bso;

static const struct cli_tool tool = {
    .name = TOOL,
    .synopsis = "[options] [attach | detach | status | snapshot]",
    .summary = "Count outbound TCP connects and UDP sends per process in "
	       "the kernel (attach), and\nwrite the counts to "
	       "bpf-snap.prom (the default, snapshot).",
    .options_help =
	"      --all               attach: count every process under "
	"its comm,\n"
	"                          whatever the targets\n"
	"      --pin-dir DIR       pin directory on a bpffs\n"
	"                          [default: " PINS_DEFAULT_DIR "]\n"
	"      --cgroup DIR        attach: cgroup2 directory for the "
	"UDP sendmsg\n"
	"                          hooks [default: the cgroup2 root "
	"from\n"
	"                          /proc/self/mountinfo]\n",
    .epilog = "Commands: attach (at boot), snapshot (the timer), status, "
	      "detach.\n",
    .shortopts = "",
    .longopts = longopts,
    .handle = handle,
    .ctx = &bso,
};

static int exit_for(int e)
{
	switch (e) {
	case EPERM:
	case EACCES:
		return EXIT_NOPERM;
	case ENOENT:
	case EINVAL:
	case ENOTSUP:
	case ENOSYS:
	case EPROTO:
	case ESRCH:
		return EXIT_UNAVAILABLE;
	}
	return 1;
}

static int cmd_snapshot(const struct cli_opts *opts, const char *dir)
{
	struct run r;
	struct snapshot s;
	struct pins_data d;
	struct snapshot_edges *e;
	char err[1024];
	size_t skipped = 0;
	int rc = run_begin(&r, TOOL, opts);

	if (rc)
		return rc;
	if (pins_read(dir, &s, &d, err, sizeof err) < 0) {
		rc = exit_for(errno);
		log_err("%s", err);
		/* Say it in the file too, for the "not attached" alert. */
		if (promfile_add(r.pf, "bpf_snap_attached", 0, NULL) == 0)
			run_keep_on_failure(&r, "bpf_snap_attached");
		return run_finish(&r, rc);
	}
	/* The edge records go as soon as they are decoded, before the
	 * families grow: a large snapshot peaks while those are added. */
	e = snapshot_edges_decode(&s, &skipped, err, sizeof err);
	free(d.edges);
	d.edges = NULL;
	s.edges = NULL;
	s.n_edges = 0;
	if (!e || snapshot_edges_fmt(e, r.pf, err, sizeof err) < 0 ||
	    snapshot_fmt_others(&s, r.pf, &skipped, err, sizeof err) < 0) {
		log_err("%s", err);
		rc = 1;
	}
	snapshot_edges_free(e);
	if (skipped)
		log_warn("%zu map entries with an unknown family, protocol or "
			 "target were skipped",
			 skipped);
	pins_data_free(&d);
	return run_finish(&r, rc);
}

static int load_config(const struct cli_opts *opts, struct snapconf *c)
{
	struct cfg_node *root = NULL;
	char err[1024];
	int rc = 0;

	snapconf_init(c);
	if (access(opts->config, F_OK) < 0 && errno == ENOENT &&
	    !opts->config_given) {
		log_info("%s: not found, counting every process", opts->config);
		return 0;
	}
	root = cfg_load(opts->config, err, sizeof err);
	if (!root || snapconf_compile(root, c, err, sizeof err) < 0) {
		log_err("%s", err);
		rc = EXIT_CONFIG;
	}
	for (size_t i = 0; rc == 0 && i < c->n_notes; i++)
		log_warn("%s: %s", opts->config, c->notes[i]);
	cfg_free(root);
	return rc;
}

static int find_cgroup(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *text = NULL;
	size_t cap = 0, n = 0;
	int rc = -1;

	if (!f)
		return -1;
	for (;;) {
		if (n + 4096 > cap) {
			char *t = realloc(text, cap + 65536);

			if (!t)
				goto out;
			text = t;
			cap += 65536;
		}
		size_t k = fread(text + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	rc = decode_mountinfo_cgroup2(text, n, buf, len);
out:
	free(text);
	fclose(f);
	return rc;
}

/* The lock of the state directory, so attach and detach never overlap a
 * snapshot or each other. */
static int take_lock(const struct cli_opts *opts, struct statefile **st)
{
	char err[1024];

	if (statefile_open(st, opts->state_dir, TOOL, opts->lock_wait, err,
			   sizeof err) < 0) {
		int e = errno;

		log_err("%s", err);
		return e == EWOULDBLOCK ? EXIT_TEMPFAIL : EXIT_CANTCREAT;
	}
	return 0;
}

static int cmd_attach(const struct cli_opts *opts, const char *dir)
{
	struct snapconf *c = calloc(1, sizeof *c);
	struct attach_opts ao = {0};
	struct statefile *st = NULL;
	char cg[4096], err[1024];
	int rc, mounted = 0;

	if (!c) {
		log_err("out of memory");
		return 1;
	}
	if ((rc = load_config(opts, c)))
		goto out;
	if (bso.all)
		c->all = 1;
	if ((rc = take_lock(opts, &st)))
		goto out;
	if (bso.cgroup) {
		snprintf(cg, sizeof cg, "%s", bso.cgroup);
	} else if (find_cgroup(cg, sizeof cg) < 0) {
		log_err("no cgroup2 mount in /proc/self/mountinfo: the UDP "
			"hooks need one (mount -t cgroup2 none "
			"/sys/fs/cgroup/unified)");
		rc = EXIT_UNAVAILABLE;
		goto out;
	}
	if (pins_bpffs_ready(dir, 1, &mounted, err, sizeof err) < 0) {
		rc = exit_for(errno);
		log_err("%s", err);
		goto out;
	}
	if (mounted)
		log_warn("mounted a bpf filesystem on %s", PINS_BPFFS_ROOT);
	ao.dir = dir;
	ao.cgroup = cg;
	ao.now = run_walltime();
	ao.verbose = opts->verbosity > 0;
	/* For measuring: the hooks' own cost, on this kernel. */
	ao.noop = getenv("BPF_SNAP_NOOP") && !strcmp(getenv("BPF_SNAP_NOOP"), "1");
	if (attach_run(&ao, c, err, sizeof err) < 0) {
		if (errno == EEXIST) {
			if (opts->verbosity >= 0)
				printf("%s: already attached (pins in %s); "
				       "nothing "
				       "changed; detach first to apply another "
				       "configuration\n",
				       TOOL, dir);
			rc = 0;
			goto out;
		}
		rc = exit_for(errno);
		log_err("%s", err);
		goto out;
	}
	if (opts->verbosity < 0)
		;
	else if (c->all)
		printf("%s: attached, counting every process; pins in %s\n",
		       TOOL, dir);
	else
		printf("%s: attached, counting %zu targets; pins in %s\n", TOOL,
		       c->n_targets, dir);
	rc = 0;
out:
	if (st)
		statefile_close(st);
	free(c);
	return rc;
}

static int cmd_detach(const struct cli_opts *opts, const char *dir)
{
	struct statefile *st = NULL;
	char err[1024];
	size_t removed = 0;
	int rc, verified = 1;

	if ((rc = take_lock(opts, &st)))
		return rc;
	if (pins_detach(dir, 5.0, &removed, &verified, err, sizeof err) < 0) {
		log_err("%s", err);
		rc = errno == ETIMEDOUT ? 1 : exit_for(errno);
	} else if (!verified && removed) {
		log_warn("detached: removed %zu pins; not verified that "
			 "nothing is left: that needs CAP_SYS_ADMIN",
			 removed);
	} else if (opts->verbosity < 0) {
		/* -q: the exit status says it all. */
	} else if (removed == 0) {
		printf("%s: nothing attached in %s\n", TOOL, dir);
	} else {
		printf("%s: detached: removed %zu pins; no program, link or "
		       "map of ours is left\n",
		       TOOL, removed);
	}
	statefile_close(st);
	return rc;
}

static int cmd_status(const char *dir)
{
	char err[1024];

	if (pins_status(dir, stdout, err, sizeof err) < 0) {
		if (errno == ENOENT)
			return EXIT_UNAVAILABLE;
		log_err("%s", err);
		return exit_for(errno);
	}
	return 0;
}

/*
 * cli_parse stops at the first operand, but "bpf-snap attach -c FILE"
 * should work as well as "bpf-snap -c FILE attach": when the operand is
 * a command, parse again with it taken out.
 */
static int parse(int argc, char **argv, struct cli_opts *opts, const char **cmd)
{
	static const char *const cmds[] = {"attach", "detach", "status",
					   "snapshot", NULL};
	char **av;
	int first, rc, n = 0;

	rc = cli_parse(&tool, argc, argv, opts, &first);
	if (rc != CLI_CONTINUE)
		return rc;
	*cmd = "snapshot";
	if (first >= argc)
		return CLI_CONTINUE;
	for (size_t i = 0; cmds[i]; i++)
		if (!strcmp(argv[first], cmds[i]))
			*cmd = cmds[i];
	if (strcmp(argv[first], *cmd)) {
		log_err("%s: unknown command (attach, detach, status, "
			"snapshot)",
			argv[first]);
		return EXIT_USAGE;
	}
	av = calloc((size_t)argc + 1, sizeof *av);
	if (!av)
		return 1;
	for (int i = 0; i < argc; i++)
		if (i != first)
			av[n++] = argv[i];
	memset(&bso, 0, sizeof bso);
	rc = cli_parse(&tool, n, av, opts, &first);
	if (rc == CLI_CONTINUE && first < n) {
		log_err("%s: unexpected operand", av[first]);
		rc = EXIT_USAGE;
	}
	free(av);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli_opts opts;
	const char *cmd = NULL, *dir;
	int rc;

	log_init(TOOL);
	rc = parse(argc, argv, &opts, &cmd);
	if (rc != CLI_CONTINUE)
		return rc;
	dir = bso.pin_dir ? bso.pin_dir : PINS_DEFAULT_DIR;
	if (!strcmp(cmd, "attach"))
		return cmd_attach(&opts, dir);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(&opts, dir);
	if (!strcmp(cmd, "status"))
		return cmd_status(dir);
	return cmd_snapshot(&opts, dir);
}
