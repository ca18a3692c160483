/* SPDX-License-Identifier: MIT */
/*
 * qemu-netsnap: one measurement cycle of the network traffic of every
 * running QEMU process, read from the VM's own tap devices (not from
 * /proc/<pid>/net/dev, which shows the whole host namespace), kept
 * monotonic and windowed with the help of state, written as a .prom file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "cli.h"
#include "config.h"
#include "fmt.h"
#include "log.h"
#include "procscan.h"
#include "run.h"
#include "settings.h"

#define TOOL "qemu-netsnap"

struct qn_args {
	int reset;
	const char *proc_root;
	const char *sys_root;
};

enum { OPT_RESET = 1000, OPT_PROC_ROOT, OPT_SYS_ROOT };

static const struct option qn_longopts[] = {
    {"reset", no_argument, NULL, OPT_RESET},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"sys-root", required_argument, NULL, OPT_SYS_ROOT},
    {NULL, 0, NULL, 0},
};

static int qn_option(int opt, const char *arg, void *ctx)
{
	struct qn_args *a = ctx;

	switch (opt) {
	case OPT_RESET:
		a->reset = 1;
		return 0;
	case OPT_PROC_ROOT:
		a->proc_root = arg;
		return 0;
	case OPT_SYS_ROOT:
		a->sys_root = arg;
		return 0;
	}
	return -1;
}

struct load_ctx {
	struct qn_table *t;
	size_t bad;
	char first_bad[128];
};

static int load_entry(const char *key, const char *value, void *arg)
{
	struct load_ctx *l = arg;

	if (account_load(l->t, key, value) && !l->bad++)
		snprintf(l->first_bad, sizeof l->first_bad, "%s", key);
	return 0;
}

static int del_entry(const char *key, const char *value, void *arg)
{
	(void)value;
	return statefile_del(arg, key);
}

static int set_entry(void *arg, const char *key, const char *value)
{
	return statefile_set(arg, key, value);
}

static int load_settings(const struct cli_opts *opts, struct qn_settings *s)
{
	const char *path = opts->config ? opts->config : opts->default_config;
	struct cfg_node *root;
	char err[1024];
	int rc;

	settings_defaults(s);
	/* Every setting has a default, so the default file is optional;
	 * a file named with -c is not. */
	if (!opts->config_given && access(path, F_OK) && errno == ENOENT)
		return 0;
	root = cfg_load(path, err, sizeof err);
	if (!root) {
		log_err("%s", err);
		return -1;
	}
	rc = settings_load(s, root, err, sizeof err);
	if (rc)
		log_err("%s", err);
	cfg_free(root);
	return rc;
}

int main(int argc, char **argv)
{
	struct qn_args a = {.proc_root = "/proc", .sys_root = "/sys"};
	struct cli_tool tool = {
	    .name = TOOL,
	    .synopsis = "[options]",
	    .summary = "Read the tap counters of every running QEMU "
		       "process and write per-VM traffic totals and "
		       "windows.",
	    .options_help =
		"      --reset          restart every statistic from 0 "
		"at this run\n"
		"      --proc-root DIR  read processes from DIR "
		"[/proc] (tests)\n"
		"      --sys-root DIR   read devices from DIR [/sys] "
		"(tests)\n",
	    .longopts = qn_longopts,
	    .handle = qn_option,
	    .ctx = &a,
	};
	struct qn_settings set;
	struct qn_scan scan = {0};
	struct qn_scan_opts so;
	struct qn_table *t = NULL;
	struct load_ctx lc = {0};
	struct cli_opts opts;
	struct run r;
	int first, rc, code = 0;

	rc = cli_parse(&tool, argc, argv, &opts, &first);
	if (rc != CLI_CONTINUE)
		return rc;
	if (first < argc) {
		log_err("%s: unexpected operand (see --help)", argv[first]);
		return EXIT_USAGE;
	}
	rc = run_begin(&r, TOOL, &opts);
	if (rc)
		return rc;
	if (load_settings(&opts, &set)) {
		code = EXIT_CONFIG;
		goto out;
	}
	t = account_new((size_t)set.max_vms);
	if (!t) {
		log_err("out of memory");
		code = 1;
		goto out;
	}
	lc.t = t;
	statefile_foreach(r.state, "vm/", load_entry, &lc);
	if (lc.bad)
		log_warn("state: %zu malformed entries ignored (first: %s)",
			 lc.bad, lc.first_bad);

	so = (struct qn_scan_opts){a.proc_root, a.sys_root, &set.rules,
				   (size_t)set.max_vms + 64,
				   (int)set.scan_threads};
	if (procscan_run(&so, &scan)) {
		log_err("%s: %s", a.proc_root, strerror(errno));
		code = errno == EACCES ? EXIT_NOPERM : 1;
		goto out;
	}
	if (scan.denied) {
		/* Said once, however many VMs it concerns. */
		log_warn("%s/%d/%s: permission denied: reading another user's "
			 "QEMU process needs CAP_SYS_PTRACE; %zu of %zu QEMU "
			 "processes unreadable",
			 a.proc_root, scan.denied_pid, scan.denied_what,
			 scan.denied, scan.n);
		if (scan.denied == scan.n) {
			code = EXIT_NOPERM;
			goto out;
		}
	}
	if (scan.netdev_errno)
		log_warn("%s/self/net/dev: %s: taps found but their counters "
			 "not read",
			 a.proc_root, strerror(scan.netdev_errno));
	if (scan.over_cap)
		log_warn("%zu QEMU processes beyond max_vms ignored",
			 scan.over_cap);
	if (account_update(t, scan.procs, scan.n, r.now, a.reset)) {
		log_err("out of memory");
		code = 1;
		goto out;
	}
	if (t->over_cap)
		log_warn("%zu VMs beyond max_vms (%lld) not reported",
			 t->over_cap, set.max_vms);
	if (t->ifaces_over_cap)
		log_warn("%zu interfaces beyond %d per VM not reported",
			 t->ifaces_over_cap, QN_IFACES_MAX);
	if (qn_fmt(r.pf, t, scan.vanished + scan.denied)) {
		log_err("%s", promfile_error(r.pf));
		code = 1;
		goto out;
	}
	if (statefile_foreach(r.state, "vm/", del_entry, r.state) ||
	    account_save(t, set_entry, r.state)) {
		log_err("state: %s", strerror(errno));
		code = 1;
		goto out;
	}
	log_info("%zu processes, %zu QEMU, %zu VMs", scan.processes, scan.n,
		 t->n);
out:
	account_free(t);
	procscan_free(&scan);
	return run_finish(&r, code);
}
