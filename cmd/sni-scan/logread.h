/* SPDX-License-Identifier: MIT */
/*
 * logread: the thin I/O under sni-scan: stat and hash a log file, and feed
 * its complete lines from an offset to scan.c.  pread(2) into one bounded
 * buffer rather than mmap: a log truncated by copytruncate while being
 * read must give a short read, not SIGBUS.
 *
 * A region of 64 MiB or more is read by two threads, one per half (split
 * at a newline), each with its own counters, merged at the end.
 *
 * Errors: -1 with errno set; nothing here prints.
 */
#ifndef LOGREAD_H
#define LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#include "logpos.h"
#include "scan.h"

/* fstat fd into f and hash its first hlen bytes (hash_ok if it has them). */
int logread_describe(int fd, uint32_t hlen, struct logpos_file *f);

/* The hash of the file's first line (at most LOGPOS_HASH_MAX bytes); *hlen
 * 0 if the file has no complete first line yet. */
int logread_head(int fd, uint64_t size, uint32_t *hlen, uint64_t *hash);

/* The offset just past the last newline before size (size if none
 * within max_back bytes): where --from-end starts so no line is cut. */
int logread_line_start(int fd, uint64_t size, size_t max_back,
		       uint64_t *off);

struct logread_job {
	int fd;
	uint64_t off;	    /* where to start */
	uint64_t budget;    /* stop after about this many bytes (--max-bytes) */
	size_t max_line;    /* longer lines are skipped and counted */
	int stream;	    /* fd is a pipe (stdin): read(2), no offsets */
	int final;	    /* input ends here: a last line without newline
			       counts (stdin); else it waits for the next run */
	int skipping;	    /* in/out: inside an over-long line */
	struct scan *scan;
	double now;
	/* Called about every chunk with the bytes consumed so far; may be
	 * NULL.  For the progress line on a terminal. */
	void (*progress)(uint64_t done, void *arg);
	void *progress_arg;
	/* out */
	uint64_t end;	    /* offset after the last consumed byte */
	uint64_t read;	    /* bytes consumed */
	int eof;	    /* reached the end of the data (not the budget) */
};

int logread_run(struct logread_job *j);

#endif
