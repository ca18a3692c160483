/* SPDX-License-Identifier: MIT */
#include "logread.h"

#include "counters.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Read in pieces that stay in a core's L2 (512 KiB here) with the
 * counters beside them: the lines are parsed from the copy pread just
 * made, not fetched again from L3 (1 MiB pieces: memchr over the lines,
 * their first reader, took 9.5% of the cycles, 4% with 256 KiB). */
#define CHUNK (1u << 18)
/* Regions at least this big are read by two threads, one per half. */
#define SPLIT_MIN (64ull << 20)

static ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got,
				  (off_t)(off + got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int logread_describe(int fd, uint32_t hlen, struct logpos_file *f)
{
	struct stat st;
	memset(f, 0, sizeof *f);
	if (fstat(fd, &st) < 0)
		return -1;
	f->exists = 1;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	f->size = (uint64_t)st.st_size;
	if (hlen && f->size >= hlen) {
		char buf[LOGPOS_HASH_MAX];
		if (hlen > sizeof buf)
			hlen = sizeof buf;
		ssize_t n = pread_full(fd, buf, hlen, 0);
		if (n < 0)
			return -1;
		if ((size_t)n == hlen) {
			f->hash_ok = 1;
			f->hash = logpos_hash(buf, hlen);
		}
	}
	return 0;
}

int logread_head(int fd, uint64_t size, uint32_t *hlen, uint64_t *hash)
{
	char buf[LOGPOS_HASH_MAX];
	size_t want = size < sizeof buf ? (size_t)size : sizeof buf;
	*hlen = 0;
	*hash = 0;
	ssize_t n = pread_full(fd, buf, want, 0);
	if (n < 0)
		return -1;
	const char *nl = memchr(buf, '\n', (size_t)n);
	if (nl)
		*hlen = (uint32_t)(nl - buf + 1);
	else if ((size_t)n == sizeof buf)
		*hlen = sizeof buf;
	if (*hlen)
		*hash = logpos_hash(buf, *hlen);
	return 0;
}

int logread_line_start(int fd, uint64_t size, size_t max_back, uint64_t *off)
{
	char buf[4096];
	uint64_t end = size;
	/* No newline near the end: skip it all, the over-long tail is
	 * counted when its newline comes. */
	*off = size;
	while (end > 0 && size - end < max_back) {
		size_t n = end < sizeof buf ? (size_t)end : sizeof buf;
		ssize_t got = pread_full(fd, buf, n, end - n);
		if (got < 0)
			return -1;
		if ((size_t)got < n) {
			*off = 0; /* shrank meanwhile: start from 0 */
			return 0;
		}
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				*off = end - n + i;
				return 0;
			}
		end -= n;
	}
	return 0;
}

static int run_one(struct logread_job *j)
{
	size_t cap = CHUNK + j->max_line + 1;
	char *buf = malloc(cap);
	size_t have = 0;	   /* bytes in buf, starting at file offset base */
	uint64_t base = j->off;	   /* file offset of buf[0] */
	uint64_t rd = j->off;	   /* next offset to read */
	/* Never stop before one full line fits, or no run progresses. */
	uint64_t budget = j->budget;
	int rc = -1;

	if (budget < j->max_line + 1)
		budget = j->max_line + 1;
	if (!j->stream) {
		/* Skip a hole (see scan.c: copytruncate under a writer
		 * without O_APPEND) without reading its NULs. */
		off_t d = lseek(j->fd, (off_t)j->off, SEEK_DATA);
		if (d > (off_t)j->off) {
			rd = base = (uint64_t)d;
		}
	}
	j->eof = 0;
	j->read = 0;
	if (!buf)
		return -1;
	for (;;) {
		int at_eof = 0;
		if (rd - j->off < budget) {
			size_t want = cap - have;
			if (want > CHUNK)
				want = CHUNK;
			if (want > budget - (rd - j->off))
				want = (size_t)(budget - (rd - j->off));
			ssize_t n = j->stream ?
				read_full(j->fd, buf + have, want) :
				pread_full(j->fd, buf + have, want, rd);
			if (n < 0)
				goto out;
			if ((size_t)n < want)
				at_eof = 1;
			have += (size_t)n;
			rd += (uint64_t)n;
		}
		/* Consume complete lines. */
		size_t pos = 0;
		for (;;) {
			const char *nl = memchr(buf + pos, '\n', have - pos);
			if (!nl)
				break;
			size_t llen = (size_t)(nl - (buf + pos));
			if (j->skipping) {
				j->skipping = 0; /* tail of a line counted */
			} else if (llen > j->max_line) {
				j->scan->result[SCAN_TOO_LONG]++;
			} else {
				scan_line(j->scan, buf + pos, llen, j->now);
			}
			pos += llen + 1;
		}
		/* What is left has no newline yet. */
		size_t rest = have - pos;
		if (rest > j->max_line) {
			if (!j->skipping)
				j->scan->result[SCAN_TOO_LONG]++;
			j->skipping = 1;
			pos = have;
			rest = 0;
		}
		int stop = at_eof || rd - j->off >= budget;
		/* The input ends here (stdin, or a rotated file nobody writes
		 * to any more): its last line needs no newline. */
		if (at_eof && rest && j->final) {
			if (!j->skipping)
				scan_line(j->scan, buf + pos, rest, j->now);
			pos = have;
			rest = 0;
		}
		base += pos;
		memmove(buf, buf + pos, rest);
		have = rest;
		if (j->progress)
			j->progress(base - j->off, j->progress_arg);
		if (stop) {
			j->eof = at_eof;
			break;
		}
	}
	if (j->final && j->eof)
		j->skipping = 0;
	j->end = base;
	j->read = base - j->off;
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- two halves at once ----------------------------------------------- */

static void *run_thread(void *arg)
{
	struct logread_job *j = arg;
	if (run_one(j) < 0)
		j->end = (uint64_t)-1; /* errno is per thread: report as EIO */
	return NULL;
}

/*
 * Where the second half starts: just after the first newline at or after
 * mid, so both halves hold whole lines.  0 if there is none before end.
 */
static uint64_t split_point(int fd, uint64_t mid, uint64_t end)
{
	char buf[65536];
	while (mid < end) {
		size_t want = end - mid < sizeof buf ? (size_t)(end - mid) :
						      sizeof buf;
		ssize_t n = pread_full(fd, buf, want, mid);
		if (n <= 0)
			return 0;
		const char *nl = memchr(buf, '\n', (size_t)n);
		if (nl)
			return mid + (uint64_t)(nl - buf) + 1;
		mid += (uint64_t)n;
	}
	return 0;
}

int logread_run(struct logread_job *j)
{
	struct stat st;
	static long ncpu;

	if (!ncpu)
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (j->stream || ncpu < 2 || fstat(j->fd, &st) < 0 ||
	    (uint64_t)st.st_size < j->off + SPLIT_MIN)
		return run_one(j);
	uint64_t end = (uint64_t)st.st_size;
	if (j->budget < end - j->off)
		end = j->off + j->budget;
	if (end - j->off < SPLIT_MIN)
		return run_one(j);
	uint64_t p = split_point(j->fd, j->off + (end - j->off) / 2, end);
	if (!p)
		return run_one(j);

	/* The second half: its own scan and counters, merged after.  A
	 * name split by a raw newline exactly at p is not recognised. */
	struct scan *sa = j->scan;
	struct counters *cb = counters_new(sa->c->max_series);
	if (!cb)
		return run_one(j);
	counters_keep(cb, sa->c->keep_fe, sa->c->keep_be);
	struct scan sb;
	scan_init(&sb, sa->lf, cb, &sa->opts);
	struct logread_job b = *j;
	b.off = p;
	b.budget = end - p;
	b.skipping = 0;
	b.scan = &sb;
	b.progress = NULL;
	struct logread_job a = *j;
	a.budget = p - j->off;
	a.final = 0;
	pthread_t th;
	if (pthread_create(&th, NULL, run_thread, &b)) {
		counters_free(cb);
		return run_one(j);
	}
	int ra = run_one(&a);
	pthread_join(th, NULL);
	scan_flush(&sb, j->now);
	int rc = 0;
	if (ra < 0 || b.end == (uint64_t)-1) {
		if (b.end == (uint64_t)-1)
			errno = EIO;
		rc = -1;
	} else if (a.end != p) {
		/* The first half stopped early (the file shrank under us):
		 * drop the second half, the next run reads it again. */
		j->end = a.end;
		j->read = a.read;
		j->eof = 0;
		j->skipping = a.skipping;
	} else if (cb->dropped) {
		/* The second half met more names than the cap allows on its
		 * own, and its table cannot know which of them the first
		 * half already holds: drop its work and read it again after
		 * the first half, so the names kept and their counts are
		 * those of a read by one thread. */
		struct logread_job c2 = *j;
		c2.off = p;
		c2.budget = end - p;
		c2.skipping = a.skipping;
		c2.progress = NULL;
		if (run_one(&c2) < 0) {
			rc = -1;
		} else {
			j->end = c2.end;
			j->read = c2.end - j->off;
			j->eof = c2.eof;
			j->skipping = c2.skipping;
		}
	} else {
		/* The first half's last entry, held back for the line after
		 * it, is counted before everything the second half read, as
		 * one thread would; then entries merge in the order the
		 * second half met them, so the cap keeps the names a
		 * one-thread read keeps. */
		scan_flush(sa, j->now);
		for (int i = 0; i < SCAN_NRESULTS; i++)
			sa->result[i] += sb.result[i];
		if (sb.oom || counters_merge(sa->c, cb) < 0)
			sa->oom = 1;
		j->end = b.end;
		j->read = b.end - j->off;
		j->eof = b.eof;
		j->skipping = b.skipping;
	}
	counters_free(cb);
	return rc;
}
