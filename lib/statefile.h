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

/* Serialise to a malloc'd buffer (what commit writes). */
int statefile_render(const struct statefile *st, char **buf, size_t *len);
int statefile_commit(struct statefile *st, char *err, size_t errlen);
void statefile_close(struct statefile *st);

/* NULL if the state loaded normally (or there was none); otherwise why it
 * was moved aside. */
const char *statefile_reset_reason(const struct statefile *st);
const char *statefile_dir(const struct statefile *st);

#endif
