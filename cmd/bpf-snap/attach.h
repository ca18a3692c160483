/* SPDX-License-Identifier: MIT */
/*
 * attach: load bpf-snap's programs from the embedded skeleton (CO-RE,
 * needs the kernel's BTF), attach them, and pin maps and links so the
 * kernel keeps counting after the process exits.
 *
 * The pins are made in "<dir>-new-<pid>" (bpffs refuses dots in names) and
 * renamed to dir in one step, so a snapshot sees either nothing or a complete
 * set; on any failure the half-made directory is removed and nothing stays
 * attached.
 *
 * Returns 0; -1 with errno EEXIST if dir already holds a complete
 * attachment (nothing is changed), or another errno with err filled
 * (EPERM/EACCES: privilege; ENOENT/EINVAL/ENOTSUP: kernel feature).
 */
#ifndef BPF_SNAP_ATTACH_H
#define BPF_SNAP_ATTACH_H

#include <stddef.h>

#include "snapconf.h"

struct attach_opts {
	const char *dir;    /* pin directory */
	const char *cgroup; /* cgroup2 directory for the sendmsg hooks */
	double now;	    /* Unix time recorded as "attached since" */
	int verbose;	    /* pass libbpf's messages to the log */
	int noop;	    /* programs that return at once (BPF_SNAP_NOOP=1):
			     * what the hooks cost without our work */
};

int attach_run(const struct attach_opts *o, const struct snapconf *c, char *err,
	       size_t errlen);

#endif
