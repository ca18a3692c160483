/* SPDX-License-Identifier: MIT */
/*
 * snapconf: bpf-snap's configuration, compiled from the config tree into
 * what attach loads into the kernel: the comm filter table and the map
 * sizes.  The file format is compatible with Metric Net Agent's
 * config.yaml:
 *     interfaces: ["eth0"]            accepted, reserved
 *     targets:
 *       - name: "app"                 the process label
 *         match_comm: "myapp"         /proc/<pid>/comm to count
 *     export: {listen_addr: ":9102"}  accepted, not used (noted)
 *     otel: {endpoint: "", insecure: true}   accepted, not used (noted)
 * plus bpf-snap's own keys:
 *     all: false                      count every process under its comm
 *     maps: {edges: 16384, conn_lat: 4096, tx_lat: 4096, pending: 16384}
 *
 * Pure code: snapconf_compile() reads a tree from config.h and fills a
 * struct; it prints nothing.  Errors come back as -1 with errno EINVAL
 * and err holding `file:line:col: path: why`; remarks an operator should
 * see (unused keys, a truncated comm) come back in notes[].
 */
#ifndef BPF_SNAP_SNAPCONF_H
#define BPF_SNAP_SNAPCONF_H

#include <stddef.h>
#include <stdint.h>

#include "bpf_snap.h"
#include "config.h"

#define SNAPCONF_MAX_TARGETS 256
#define SNAPCONF_MAX_NOTES   8
#define SNAPCONF_MIN_ENTRIES 16
#define SNAPCONF_MAX_ENTRIES (1u << 20)

struct snapconf_target {
	char name[BPF_SNAP_NAME_LEN]; /* NUL-terminated label */
	char comm[BPF_SNAP_COMM_LEN]; /* zero-padded, at most 15 bytes */
};

struct snapconf {
	struct snapconf_target targets[SNAPCONF_MAX_TARGETS];
	size_t n_targets;
	int all; /* count every process: no targets, or all: true */
	uint32_t max_edges, max_conn_lat, max_tx_lat, max_pending;
	char notes[SNAPCONF_MAX_NOTES][256];
	size_t n_notes;
};

/* Defaults: no targets (so all processes), the default map sizes. */
void snapconf_init(struct snapconf *c);
/* Fill c from root (NULL: keep the defaults).  c must be initialised. */
int snapconf_compile(const struct cfg_node *root, struct snapconf *c, char *err,
		     size_t errlen);
/* The kernel filter entry of targets[i]: comm key and value (id i+1). */
void snapconf_filter_entry(const struct snapconf *c, size_t i,
			   char key[BPF_SNAP_COMM_LEN],
			   struct bpf_snap_target *val);

/*
 * The mount point of the cgroup2 hierarchy root in a /proc/self/mountinfo
 * text (its octal escapes such as \040 undone), into out.  0 on success,
 * -1 with errno ENOENT if there is no cgroup2 mount of "/", ENAMETOOLONG
 * if out is too small.
 */
int decode_mountinfo_cgroup2(const char *text, size_t len, char *out,
			     size_t outlen);

#endif
