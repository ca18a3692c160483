/* SPDX-License-Identifier: MIT */
/*
 * logpos: where to resume reading a log that may have been rotated,
 * truncated or replaced since the last run -- as pure decisions on what
 * stat(2) and a hash of the file's first bytes say.  logread.c does the
 * I/O; this module only decides, so every case is unit-tested.
 *
 * Saved per log: device, inode, offset (end of the last consumed line),
 * size at that time, and a hash of the first hlen bytes (the first line,
 * at most LOGPOS_HASH_MAX bytes; hlen 0 while no complete line existed).
 *
 * logpos_decide() compares the saved position with the current file and
 * with the rotated file (<log>.1), both hashed over the saved hlen bytes,
 * and returns a plan:
 *   - same inode, size >= offset, same first bytes: read on from offset;
 *   - same inode but smaller, or other first bytes (copytruncate, or a
 *     new file that reused the inode): a rotation; if <log>.1 holds the
 *     old first bytes (a copytruncate copy), finish it from the offset,
 *     then read the current file from 0;
 *   - another inode: a rotation; finish <log>.1 if it is the saved inode
 *     (rename, as Debian's logrotate does), then read the new file from 0;
 *   - current file missing: finish <log>.1 if it is ours, and keep the
 *     position (the new file may not exist yet);
 *   - nothing saved: read from 0, or from the end with from_end.
 */
#ifndef LOGPOS_H
#define LOGPOS_H

#include <stdint.h>

#define LOGPOS_HASH_MAX 4096

struct logpos {
	int known;	/* 0: nothing saved for this log */
	uint64_t dev, ino, off, size;
	uint32_t hlen;	/* bytes hashed; 0: no hash yet */
	uint64_t hash;
	int skipping;	/* inside an over-long line: drop up to its newline */
};

struct logpos_file {
	int exists;
	uint64_t dev, ino, size;
	int hash_ok;	/* size >= saved hlen and hash computed */
	uint64_t hash;	/* of the first saved-hlen bytes */
};

struct logpos_plan {
	int read_rotated;   /* finish <log>.1 from rot_off */
	uint64_t rot_off;
	int read_current;   /* then read the current file from cur_off */
	uint64_t cur_off;
	int cur_from_end;   /* cur_off is the file size: align to a line */
	int rotation;	    /* count one rotation */
	int keep_skipping;  /* saved skipping applies to the first read */
};

void logpos_decide(const struct logpos *saved, const struct logpos_file *cur,
		   const struct logpos_file *rot, int from_end,
		   struct logpos_plan *plan);

/*
 * 1 if there is nothing to read and nothing to save: the file is the
 * saved one (inode, first bytes; cur hashed over saved->hlen) and ends
 * exactly at the saved offset, with the size saved.  A run may then skip
 * the log and keep the position as it is.
 */
int logpos_unchanged(const struct logpos *saved,
		     const struct logpos_file *cur);

/* 64-bit FNV-1a, the hash used for the first bytes. */
uint64_t logpos_hash(const void *data, uint64_t len);

#endif
