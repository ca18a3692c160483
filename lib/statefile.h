/* SPDX-License-Identifier: MIT */
/*
 * statefile: a tool's memory between runs, and the lock that serialises
 * overlapping runs.
 *
 * Layout: <dir>/lock (flock target) and <dir>/state, a versioned,
 * human-readable file an operator can read:
 *     # promsnap-state tool=sni-scan version=1
 *     <key> <value>
 * Keys and values are byte strings; bytes <= 0x20, 0x7f and '%' are written
 * as %XX so every entry stays one line.  Keys are sorted on output.
 *
 * Calling sequence:
 *     struct statefile *st;
 *     if (statefile_open(&st, dir, "sni-scan", lock_wait, err, sizeof err))
 *         errno == EWOULDBLOCK: another run holds the lock (exit 75);
 *         otherwise the directory or lock file could not be made (73).
 *     statefile_get / _set / _del / _foreach ...
 *     statefile_commit(st, err, sizeof err);    atomic replace
 *     statefile_close(st);                      unlock and free
 *
 * The directory is created with mode 0750 if missing.  The lock is held
 * from open to close; the kernel drops it if the process dies.  A state
 * file that fails to parse or has another tool name or version is renamed
 * to state.corrupt.<unix-time>; statefile_reset_reason() then says why,
 * and the run continues with empty state.
 */
#ifndef PROMSNAP_STATEFILE_H
#define PROMSNAP_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#define STATEFILE_VERSION 1

struct statefile;

int statefile_open(struct statefile **out, const char *dir, const char *tool,
		   double lock_wait_seconds, char *err, size_t errlen);
/* Parse state text (no locking, no files): for tests and fuzzing.  Returns
 * -1 (EINVAL) with a reason "line N: ..." in err on a malformed text. */
int statefile_parse(struct statefile *st, const char *text, size_t len,
		    char *err, size_t errlen);
/* An unlocked, empty, in-memory state (for tests); commit fails. */
struct statefile *statefile_new_memory(const char *tool);

/* NULL if the key is absent.  The pointer lives until the key changes. */
const char *statefile_get(const struct statefile *st, const char *key);
int statefile_set(struct statefile *st, const char *key, const char *value);
int statefile_setf(struct statefile *st, const char *key, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
int statefile_del(struct statefile *st, const char *key);
/* Remove every key (an explicit reset). */
void statefile_clear(struct statefile *st);
size_t statefile_count(const struct statefile *st);

/* Typed access: 0 if the key exists and parses, else -1 and *out keeps
 * its value (so callers can preset defaults). */
int statefile_get_u64(const struct statefile *st, const char *key,
		      uint64_t *out);
int statefile_get_double(const struct statefile *st, const char *key,
			 double *out);
int statefile_set_u64(struct statefile *st, const char *key, uint64_t v);
int statefile_set_double(struct statefile *st, const char *key, double v);

/*
 * Call fn for every key that starts with prefix, in sorted key order.
 * fn may set or delete keys (the list is taken before the first call); a
 * non-zero return stops the walk and is returned.
 */
int statefile_foreach(struct statefile *st, const char *prefix,
		      int (*fn)(const char *key, const char *value, void *arg),
		      void *arg);

/* A second descriptor for the lock: the lock then outlasts
 * statefile_close until this one is closed too, for work that must follow
 * the commit under the same lock.  -1 with errno (in-memory state: EBADF). */
int statefile_lock_dup(const struct statefile *st);

/* Serialise to a malloc'd buffer (what commit writes). */
int statefile_render(const struct statefile *st, char **buf, size_t *len);
int statefile_commit(struct statefile *st, char *err, size_t errlen);
void statefile_close(struct statefile *st);

/*
 * Side files: a large value kept out of the state file, in
 * <dir>/<name>.<generation>, so that a run which does not change it
 * neither reads, parses nor rewrites it.  The state holds the key
 * "side/<name>" = "<generation>,<length>,<inode>,<mtime ns>"; a new side
 * file is written (fsynced) under a new generation before the state, so
 * the state's atomic replace is what commits it: after a crash the state
 * on disk names the side file that matches it.  statefile_commit removes
 * the side files the new state no longer names; statefile_close without a
 * successful commit removes the ones written in between.
 *
 * statefile_side_put: write data as the new content of name; 0, or -1
 *   with errno and err (the state is unchanged then).
 * statefile_side_get: 0 with *data malloc'd and NUL-terminated (NULL,
 *   length 0, if the state names no such side file), or -1 with err if
 *   the file the state names cannot be read.  Like the state file, it may
 *   have been edited: the caller parses it as untrusted.
 * statefile_side_unchanged: 1 if the file is the one written (same
 *   inode, length and mtime: nobody edited or replaced it), else 0.
 */
#define STATEFILE_SIDE_MAX 8
int statefile_side_put(struct statefile *st, const char *name,
		       const void *data, size_t len, char *err, size_t errlen);
int statefile_side_get(struct statefile *st, const char *name, char **data,
		       size_t *len, char *err, size_t errlen);
int statefile_side_unchanged(const struct statefile *st, const char *name);

/* NULL if the state loaded normally (or there was none); otherwise why it
 * was moved aside. */
const char *statefile_reset_reason(const struct statefile *st);
/* Record that the tool found part of its state unusable and started that
 * part afresh (a side file gone): reported like a corrupt state file. */
void statefile_set_reset_reason(struct statefile *st, const char *reason);
const char *statefile_dir(const struct statefile *st);

#endif
