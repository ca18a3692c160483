/* SPDX-License-Identifier: MIT */
/*
 * procscan: the thin I/O of qemu-netsnap.  Walks <proc>/[0-9]*, keeps the
 * processes whose argv[0] is QEMU's, and for each finds its tap devices
 * (open /dev/net/tun descriptors, named by the "iff:" line of their
 * fdinfo; macvtap /dev/tapN through the ifindex N) and reads their
 * counters: from our own <proc>/self/net/dev when the process shares our
 * network namespace (the ifindex asked of the kernel, or read from
 * <sys>/class/net/<if>/ifindex where <sys> is not /sys), from
 * <proc>/<pid>/net/dev when it has its own.  Both roots are paths so
 * tests can point them at fake trees.
 *
 * On a busy host two threads share the scan (opts.threads, 0: automatic,
 * from the link count of <proc>): the kernel's cost of reading every
 * process's cmdline is most of it.
 * Each thread opens the command lines of 32 processes at a time
 * together, and closes them together (openbatch.h).
 * Findings come back in <proc>'s order, as one thread would find them.
 *
 * Calling sequence:
 *     struct qn_scan s = {0};
 *     if (procscan_run(&opts, &s)) ... <proc> could not be opened
 *     ... s.procs[0 .. s.n) ...
 *     procscan_free(&s);
 *
 * Processes that vanish mid-scan are skipped and counted; QEMU processes
 * whose descriptors we may not read (another user's, without
 * CAP_SYS_PTRACE) are kept with readable = 0 and counted in denied.
 * Returns 0, or -1 with errno set (the proc root cannot be read, ENOMEM).
 */
#ifndef QEMU_NETSNAP_PROCSCAN_H
#define QEMU_NETSNAP_PROCSCAN_H

#include <stddef.h>

#include "account.h"
#include "decode.h"

struct qn_scan_opts {
	const char *proc_root; /* "/proc" */
	const char *sys_root;  /* "/sys" */
	const struct qn_rules *rules;
	size_t max_procs; /* QEMU processes kept at most */
	int threads;	  /* 0: automatic (two on a big host), else 1..8 */
};

struct qn_scan {
	struct qn_proc *procs;
	size_t n, cap;
	size_t processes; /* /proc entries looked at */
	size_t vanished;  /* gone, or cmdline refused, mid-scan */
	size_t denied;	  /* QEMU processes whose descriptors were refused */
	size_t over_cap;  /* QEMU processes beyond max_procs */
	int denied_pid;	  /* the first of them, for the message */
	char denied_what[32]; /* "fd", "fdinfo" or "ns/net" */
	int netdev_errno;     /* <proc>/self/net/dev unreadable: why */
};

int procscan_run(const struct qn_scan_opts *o, struct qn_scan *s);
void procscan_free(struct qn_scan *s);

#endif
