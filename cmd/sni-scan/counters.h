/* SPDX-License-Identifier: MIT */
/*
 * counters: the per-SNI totals sni-scan keeps across runs, with the cap on
 * how many names it keeps and the expiry of names not seen for a while.
 *
 * A series is keyed by (sni, frontend, backend); frontend and backend are
 * "" unless counters_keep() asked for them (--by), so the cap counts
 * names, or names per frontend/backend when those are labels.  Calling sequence per run:
 *     struct counters *c = counters_new(max_series);
 *     counters_load(c, key, value) for every saved entry (from state);
 *     counters_push(c, ...) for every parsed line (or counters_add);
 *     counters_sync(c);
 *     counters_expire(c, now, expire_after);
 *     counters_foreach(c, fn) to save what changed;  counters_fmt(c, pf, ...)
 *     counters_free(c);
 *
 * The counters are saved as text (counters_dump, counters_load_text): a
 * header line, then one "key value" line per live entry, sorted by key,
 * with the value of counters_value().
 *
 * Beyond max_series distinct keys, a new name is counted under
 * sni="other" (with the same frontend/backend) and `dropped` grows.  The
 * label values "none", "invalid" and "other" are always accepted: they
 * are how the cap and hostile input stay bounded.  Counters saturate at
 * UINT64_MAX instead of wrapping.  Pure: takes the time as an argument.
 */
#ifndef COUNTERS_H
#define COUNTERS_H

#include <stddef.h>
#include <stdint.h>

struct promfile;

#define COUNTERS_LABEL_MAX 128 /* frontend/backend names are cut here */

struct sni_entry {
	char *key; /* "sni|frontend|backend"; points to inl when short */
	size_t klen;
	uint64_t hash;
	uint64_t bytes, conns, zero, up;
	double last_seen;
	int dirty;  /* changed since load: must be saved */
	int removed; /* expired: must be deleted from state */
	/* Most keys fit here, next to the counters: one cache miss a line
	 * instead of two, and no malloc per name. */
	char inl[40];
};

/* A slot of the hash index: 1 + the entry's position in tab (0: empty)
 * and the top 32 bits of its hash. */
struct counters_ix {
	uint32_t pos, tag;
};

/* Pushes between fetching an add's index slot and fetching its entry,
 * and between that and applying it. */
#define COUNTERS_FETCH_LAG 2
#define COUNTERS_APPLY_LAG 4
#define COUNTERS_QUEUE 8 /* > COUNTERS_APPLY_LAG, a power of two */
#define COUNTERS_KEY_MAX (253 + 2 * COUNTERS_LABEL_MAX + 3)

/* An add queued by counters_push. */
struct counters_pending {
	uint64_t hash, bytes_out, bytes_in;
	double now;
	size_t klen, snilen;
	int zero;
	char key[COUNTERS_KEY_MAX + 1];
};

struct counters {
	/* Entries in the order they were created; slots n..cap have key
	 * NULL.  Found through ix, open addressing over icap slots. */
	struct sni_entry *tab;
	size_t cap, n, live;
	struct counters_ix *ix;
	size_t icap;
	size_t max_series;
	uint64_t dropped;
	int keep_fe, keep_be;
	/* The last frontend/backend seen, raw and as the key's "|fe|be"
	 * suffix: a log has few of them, so most lines reuse it. */
	char last_fe[COUNTERS_LABEL_MAX], last_be[COUNTERS_LABEL_MAX];
	size_t last_fe_len, last_be_len;
	char suffix[2 * COUNTERS_LABEL_MAX + 3];
	size_t suffix_len;
	int suffix_ok;
	/* Queued adds, oldest at q[qhead]. */
	struct counters_pending q[COUNTERS_QUEUE];
	size_t qhead, qn;
};

struct counters *counters_new(size_t max_series);
/* Keep frontend / backend in the keys (call before the first add/load). */
void counters_keep(struct counters *c, int fe, int be);
void counters_free(struct counters *c);

/* Add one connection.  sni is already normalised (sni_name.h); fe/be may
 * be NULL.  Applies what counters_push queued first.  Returns -1 (ENOMEM)
 * only if memory runs out. */
int counters_add(struct counters *c, const char *sni, const char *fe,
		 size_t fe_len, const char *be, size_t be_len,
		 uint64_t bytes_out, uint64_t bytes_in, int zero, double now);

/*
 * counters_add for a stream of lines: the add is queued and applied
 * COUNTERS_APPLY_LAG pushes later, in the order pushed, with the same
 * result as counters_add.  Meanwhile the index slot of its key and then
 * its entry are fetched into the cache while the caller parses the next
 * lines: a table of 10,000 names does not fit in L2, and a lookup that
 * waits for memory cost as much as parsing the line.  sni is snilen bytes
 * (no NUL needed).  counters_sync applies everything queued; the other
 * calls see only what was applied, so sync before reading, merging,
 * expiring or saving.  Both return -1 (ENOMEM) when an add they applied
 * ran out of memory (that add is lost; the queue goes on).
 */
int counters_push(struct counters *c, const char *sni, size_t snilen,
		  const char *fe, size_t fe_len, const char *be, size_t be_len,
		  uint64_t bytes_out, uint64_t bytes_in, int zero, double now);
int counters_sync(struct counters *c);

/* Load one saved entry: value is "bytes,conns,zero,up,last_seen".
 * Entries beyond the cap are merged into "other", entries with labels no
 * longer kept into the entry without them.  Returns 1 when the entry went
 * into another key (the caller deletes the saved one: the merged entry
 * is saved under its own key), 0 when loaded as is, -1 (EINVAL) on a
 * malformed value, which the caller reports and skips. */
int counters_load(struct counters *c, const char *key, const char *value);
/* Format an entry's saved value into buf (>= 128 bytes). */
void counters_value(const struct sni_entry *e, char *buf, size_t len);

/*
 * Every live entry as text, sorted by key, into a malloc'd buffer (NUL
 * terminated); *len without the NUL.  -1 (ENOMEM).
 */
int counters_dump(const struct counters *c, char **buf, size_t *len);
/*
 * Load what counters_dump wrote (counters_load for each line).  Returns -1
 * (EINVAL) if the header is not ours, (ENOMEM) if memory runs out; else 0
 * with *bad the number of malformed lines, which are skipped.
 */
int counters_load_text(struct counters *c, const char *text, size_t len,
		       size_t *bad);
/* The smallest last-seen time among live entries, as saved (whole
 * seconds); 0 if there are none. */
double counters_oldest(const struct counters *c);

/* Add every live entry of src (same cap and labels) into dst, under the
 * cap of dst; src->dropped is added too.  Returns -1 (ENOMEM). */
int counters_merge(struct counters *dst, const struct counters *src);

/* Mark entries whose last_seen is older than now - expire_after as
 * removed; returns how many. */
size_t counters_expire(struct counters *c, double now, double expire_after);

/* Call fn for every slot in use (removed entries included, so the caller
 * can delete them from the state). */
int counters_foreach(struct counters *c,
		     int (*fn)(struct sni_entry *e, void *arg), void *arg);

/*
 * Add haproxy_sni_total_bytes, _connections, _zero_bytes and (if
 * with_up) haproxy_sni_uploaded_bytes_total for every live entry, sorted
 * by key; by_fe / by_be add the frontend / backend labels.  Returns -1 if
 * promfile refuses a sample (promfile_error() says why).
 */
int counters_fmt(const struct counters *c, struct promfile *pf, int with_up,
		 int by_fe, int by_be);

#endif
