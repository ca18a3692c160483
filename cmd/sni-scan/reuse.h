/* SPDX-License-Identifier: MIT */
/*
 * reuse: may a run reuse the per-SNI series of the last .prom instead of
 * loading 10,000 counters and formatting them again?  Pure decisions; the
 * I/O is in main.c.
 *
 * Most runs find nothing new in the log.  Such a run changes no counter,
 * so the haproxy_sni_* families it would write are byte for byte those of
 * the last file: the "series block", which sorts first in the file.  The
 * state keeps a summary of that block (its hash and length, the settings
 * it was made with, and the oldest last-seen time among the names, which
 * says when expiry would change it); the .prom is reused only if its
 * first bytes hash to the summary, so an edited, truncated, deleted or
 * foreign file is formatted anew from the counters.
 *
 *     reuse_shape(shape, ...);                   the settings of this run
 *     reuse_parse(statefile value, &sum)         0, or -1 if unusable
 *     reuse_possible(&sum, shape, now, expire)   1: skip the counters
 *     ... check the .prom's first sum.len bytes with reuse_hash ...
 *     reuse_format(&sum, buf, len)               what the state keeps
 */
#ifndef REUSE_H
#define REUSE_H

#include <stddef.h>
#include <stdint.h>

#define REUSE_SHAPE_MAX 64

struct reuse_summary {
	uint64_t hash, len;	/* of the series block */
	double oldest;		/* smallest saved last-seen; 0 with no names */
	uint64_t names;		/* how many names the counters hold */
	char shape[REUSE_SHAPE_MAX];
};

/* The settings the series block depends on, as a short string. */
void reuse_shape(char *buf, size_t len, uint64_t max_series, int by_fe,
		 int by_be, int with_up);

void reuse_format(const struct reuse_summary *s, char *buf, size_t len);
int reuse_parse(const char *value, struct reuse_summary *s);

/* 1 if a run with this shape, at now, with nothing new to read, leaves
 * the block as it is: same settings, no name due to expire. */
int reuse_possible(const struct reuse_summary *s, const char *shape,
		   double now, double expire_after);

/*
 * The identity of the .prom a run wrote (device, inode, size, mtime) with
 * the block it begins with, kept in a small file next to the state after
 * the rename.  A file with that identity need not be hashed again: an
 * edit changes its mtime or size, a replacement its inode.  The record is
 * written after the state is committed, so it may be missing, old or torn
 * after a crash: then it does not match and the file is hashed.
 */
struct reuse_ident {
	uint64_t dev, ino, size, mtime_ns, hash, len;
};
void reuse_ident_format(const struct reuse_ident *id, char *buf, size_t len);
int reuse_ident_parse(const char *s, struct reuse_ident *id);
/* 1 if saved describes the file now at the path (cur: its stat, hash and
 * len unused) and the block the state describes. */
int reuse_ident_matches(const struct reuse_ident *saved,
			const struct reuse_ident *cur,
			const struct reuse_summary *sum);

/* The hash kept for the block: 64 bits, four lanes of eight bytes (the
 * block is 2 MB for 10,000 names; byte-wise FNV would cost 2 ms). */
uint64_t reuse_hash(const void *data, size_t len);

/* The same, fed piece by piece: init, update (any split), final. */
struct reuse_hasher {
	uint64_t lane[4];
	unsigned char tail[32];
	size_t ntail;
	uint64_t total;
};
void reuse_hash_init(struct reuse_hasher *h);
void reuse_hash_update(struct reuse_hasher *h, const void *data, size_t len);
uint64_t reuse_hash_final(struct reuse_hasher *h);

#endif
