/* SPDX-License-Identifier: MIT */
/*
 * pins: bpf-snap's objects in the BPF filesystem, and everything done
 * with them after attach: reading the maps into a struct snapshot,
 * printing the status, and detaching.  Thin I/O over libbpf's low-level
 * bpf(2) wrappers; it needs neither BTF nor the skeleton, only the pins.
 *
 * Layout of a pin directory (default PINS_DEFAULT_DIR):
 *     map names from pins_maps[], link_<program> for every program.
 *
 * Functions return 0, or -1 with errno set and err filled with
 * `what: why`; they print nothing except pins_status(), which writes its
 * report to the stream it is given.
 */
#ifndef BPF_SNAP_PINS_H
#define BPF_SNAP_PINS_H

#include <stddef.h>
#include <stdio.h>

#include "snapshot.h"

#define PINS_BPFFS_ROOT	 "/sys/fs/bpf"
#define PINS_DEFAULT_DIR "/sys/fs/bpf/promsnap/bpf-snap"

struct pins_map_desc {
	const char *name;
	unsigned key_size, value_size;
	int has_dropped; /* index in the dropped map, or -1 */
};
extern const struct pins_map_desc pins_maps[];
extern const size_t pins_n_maps;
/* Program names; each is pinned as link_<name>. */
extern const char *const pins_links[];
extern const size_t pins_n_links;

/*
 * Make sure dir can live on a bpffs.  If dir is under PINS_BPFFS_ROOT and
 * that is not a bpffs mount, mount one there when may_mount (errno EPERM
 * if not allowed: err then says what to run); *mounted is set to 1 if
 * this call mounted it.  -1 with ENOTSUP for a dir on another filesystem.
 */
int pins_bpffs_ready(const char *dir, int may_mount, int *mounted, char *err,
		     size_t errlen);

/* 1 if every link pin is present in dir, 0 if none is, -1 (errno
 * EUCLEAN) if only some are: a crashed attach or a partial detach; -2 if
 * the directory may not be searched (EACCES). */
int pins_attached(const char *dir);

/* Memory behind a struct snapshot filled by pins_read(). */
struct pins_data {
	struct snap_edge *edges;
	struct snap_hist *conn, *tx;
	struct bpf_snap_target *targets;
};
/*
 * Read every pinned map of dir into s (pointing into d; free with
 * pins_data_free).  -1 with errno ENOENT if nothing is attached, EPROTO if
 * the pins were made by an incompatible bpf-snap, EPERM/EACCES without
 * privilege.
 */
int pins_read(const char *dir, struct snapshot *s, struct pins_data *d,
	      char *err, size_t errlen);
void pins_data_free(struct pins_data *d);

/*
 * Remove every link and pin of dir (and of stale "<dir>-new-*" directories
 * a crashed attach left), then wait up to timeout seconds until none of
 * the programs, links and maps they held exists any more.  Not attached
 * is not an error: *removed says how many pins went.  -1 with ETIMEDOUT
 * if something of ours is still loaded at the end (err names it).
 * *verified is 0 when the check could not be made: looking objects up
 * by ID needs CAP_SYS_ADMIN, which the unpinning itself does not.
 */
int pins_detach(const char *dir, double timeout, size_t *removed, int *verified,
		char *err, size_t errlen);

/* Plain-text report of what is attached in dir, to out.  Returns 0 if
 * attached, -1 with errno ENOENT if not (after saying so on out). */
int pins_status(const char *dir, FILE *out, char *err, size_t errlen);

/* Unlink every entry of a pin directory and the directory (for attach's
 * failure path and detach).  Returns the number removed, -1 on error. */
int pins_remove_dir(const char *dir);

/* Remove the "<dir>-new-<pid>" directories of attaches that died before
 * renaming them into place (their pid is gone): their pins would keep
 * programs running that nothing reads.  Returns how many pins went. */
size_t pins_remove_stale(const char *dir);

#endif
