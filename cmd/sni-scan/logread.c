/* SPDX-License-Identifier: MIT */
#include "logread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20)

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
	*off = 0;
	while (end > 0 && size - end < max_back) {
		size_t n = end < sizeof buf ? (size_t)end : sizeof buf;
		ssize_t got = pread_full(fd, buf, n, end - n);
		if (got < 0)
			return -1;
		if ((size_t)got < n)
			return 0; /* shrank meanwhile: start from 0 */
		for (size_t i = n; i > 0; i--)
			if (buf[i - 1] == '\n') {
				*off = end - n + i;
				return 0;
			}
		end -= n;
	}
	return 0;
}

int logread_run(struct logread_job *j)
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
