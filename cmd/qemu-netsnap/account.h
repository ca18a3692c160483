/* SPDX-License-Identifier: MIT */
/*
 * account: turns the readings of one scan into monotonic per-VM counters
 * and window values, using (and updating) what earlier runs remembered.
 * Pure: the time is an argument, the state comes in and goes out as
 * key/value strings, nothing here touches a file.
 *
 * Calling sequence, once per run:
 *     struct qn_table *t = account_new(max_vms);
 *     statefile_foreach(st, "vm/", ...account_load(t, key, value)...);
 *     account_update(t, procs, nprocs, now, reset);
 *     ... fmt_all(pf, t, ...) ...
 *     account_save(t, set_fn, arg);     after deleting the old "vm/" keys
 *     account_free(t);
 *
 * Counter resets.  A tap's counters start at 0 when the device is made,
 * so a new device behind a known name is a new "incarnation" whose whole
 * count is new traffic.  An interface is the same incarnation as in the
 * previous run when it is in the same network namespace, has the same
 * ifindex (or, where the ifindex is unknown, belongs to the same process
 * by pid and start time), and none of its counters went down.  Otherwise
 * its current counters are added in full.  Totals are sums of these
 * deltas, so they never go down except on an explicit reset.
 *
 * VMs are keyed by their id (the uuid label); two processes with one id
 * are one VM (their interfaces are merged, de-duplicated by name).  A VM
 * or an interface not seen for more than QN_FORGET seconds is forgotten.
 */
#ifndef QEMU_NETSNAP_ACCOUNT_H
#define QEMU_NETSNAP_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "windows.h"

#define QN_IFACES_MAX 32
#define QN_PIDS_MAX   8
#define QN_FORGET     3600.0

/* Counters in the guest's view: rx is what the guest received. */
enum {
	QN_RX_BYTES,
	QN_RX_PACKETS,
	QN_RX_DROPPED,
	QN_TX_BYTES,
	QN_TX_PACKETS,
	QN_TX_DROPPED,
	QN_NCOUNTERS
};

struct qn_counters {
	uint64_t v[QN_NCOUNTERS];
};

/* One interface as read in this run. */
struct qn_ifread {
	char name[QN_IFNAME_MAX];
	uint64_t netns;
	int ifindex; /* 0: unknown (a tap in another namespace) */
	struct qn_counters c;
};

/* One QEMU process as the scan found it. */
struct qn_proc {
	int pid;
	uint64_t start; /* start time in clock ticks after boot */
	struct qn_cmdline cl;
	int readable; /* 0: its descriptors could not be read */
	size_t nif;
	struct qn_ifread ifs[QN_IFACES_MAX];
};

/* A tap's device counters in the guest's view: the host side transmits
 * what the guest receives.  macvtap counts from the guest's side
 * already (as libvirt's domifstat treats it). */
void qn_counters_from_dev(struct qn_counters *c, const struct qn_devstats *d,
			  int swap);

/* One interface remembered between runs. */
struct qn_ifstate {
	char name[QN_IFNAME_MAX];
	double seen;
	uint64_t netns;
	int ifindex;
	int pid;
	uint64_t start;
	struct qn_counters raw; /* last reading */
	struct qn_counters cum; /* published, monotonic */
	int present;		/* read in this run */
};

struct qn_vm {
	char id[QN_ID_MAX];
	double seen;
	int has_total; /* ever had a readable interface */
	uint64_t rx, tx;
	size_t nif;
	/* Most VMs have one or two interfaces: grown as needed, at most
	 * QN_IFACES_MAX (a table of a thousand VMs stays small). */
	struct qn_ifstate *ifs;
	size_t ifcap;
	struct qn_ring ring;
	/* This run only. */
	int present, readable;
	char name[QN_NAME_MAX];
	size_t npids;
	int pids[QN_PIDS_MAX];
	size_t nif_now;
	struct qn_window_value w[QN_NWINDOWS];
};

struct qn_table {
	size_t n, cap, max_vms;
	struct qn_vm **vms;	/* sorted by id */
	size_t over_cap;	/* VMs this run had no room for */
	size_t ifaces_over_cap; /* interfaces beyond QN_IFACES_MAX */
};

struct qn_table *account_new(size_t max_vms);
void account_free(struct qn_table *t);
struct qn_vm *account_find(const struct qn_table *t, const char *id);

/* Load one state entry (key starts with "vm/").  Returns 0, or -1 if the
 * entry is malformed (it is then ignored). */
int account_load(struct qn_table *t, const char *key, const char *value);

/*
 * Compare an interface's reading with what the previous run kept.
 * prev may be NULL (never seen).  Stores the increase to add in *delta
 * and returns 1 if this is a new incarnation (the counters restarted),
 * 0 if the counters continue.
 */
int compute_fold(const struct qn_ifstate *prev, const struct qn_ifread *cur,
		 int pid, uint64_t start, struct qn_counters *delta);

/* Fold this run's readings into the table (see the file comment); with
 * reset, every statistic restarts from 0 at this run.  -1 (ENOMEM). */
int account_update(struct qn_table *t, const struct qn_proc *procs,
		   size_t nprocs, double now, int reset);

/* Emit every state entry; stops at and returns a non-zero from set. */
int account_save(const struct qn_table *t,
		 int (*set)(void *arg, const char *key, const char *value),
		 void *arg);

#endif
