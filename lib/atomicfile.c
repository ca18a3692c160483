/* SPDX-License-Identifier: MIT */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void (*atomicfile_before_rename)(const char *tmp, const char *path);

static int fail(const char *what, const char *file, char *err, size_t errlen)
{
	int e = errno;
	if (err && errlen)
		snprintf(err, errlen, "%s: %s: %s", file, what, strerror(e));
	errno = e;
	return -1;
}

/* Run fill on f and flush; -1 with errno on any write error. */
static int fill_and_flush(FILE *f, int (*fill)(FILE *, void *), void *arg)
{
	errno = 0;
	if (fill(f, arg) < 0 || fflush(f) != 0 || ferror(f)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

static int write_in_place(const char *path, int (*fill)(FILE *, void *),
			  void *arg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return fail("cannot open", path, err, errlen);
	if (fill_and_flush(f, fill, arg) < 0) {
		fail("cannot write", path, err, errlen);
		int e = errno;
		fclose(f);
		errno = e;
		return -1;
	}
	if (fclose(f) != 0)
		return fail("cannot close", path, err, errlen);
	return 0;
}

int atomicfile_write_fn(const char *path, mode_t mode,
			int (*fill)(FILE *f, void *arg), void *arg, char *err,
			size_t errlen)
{
	char dirbuf[4096], basebuf[4096], tmp[4096 + 16];
	const char *dir, *base;
	struct stat sb;
	FILE *f = NULL;
	int fd = -1, dfd, e;

	/* A device or FIFO (-o /dev/null, -o /dev/stderr) is written in
	 * place: renaming over it would replace the device node itself. */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if (S_ISDIR(sb.st_mode)) {
			errno = EISDIR;
			return fail("cannot write", path, err, errlen);
		}
		return write_in_place(path, fill, arg, err, errlen);
	}
	if (strlen(path) >= sizeof dirbuf) {
		errno = ENAMETOOLONG;
		return fail("cannot write", path, err, errlen);
	}
	strcpy(dirbuf, path);
	strcpy(basebuf, path);
	dir = dirname(dirbuf);
	base = basename(basebuf);
	if (snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, base) >=
	    (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return fail("cannot write", path, err, errlen);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;
		/* Name the file the operator asked for, not the temp name. */
		if (err && errlen)
			snprintf(err, errlen,
				 "%s: cannot create a temporary file in %s: %s",
				 path, dir, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fchmod(fd, mode) < 0) {
		fail("cannot set mode", tmp, err, errlen);
		goto out_unlink;
	}
	f = fdopen(fd, "w");
	if (!f) {
		fail("cannot write", tmp, err, errlen);
		goto out_unlink;
	}
	fd = -1; /* owned by f now */
	if (fill_and_flush(f, fill, arg) < 0) {
		fail("cannot write", tmp, err, errlen);
		goto out_unlink;
	}
	if (fsync(fileno(f)) < 0) {
		fail("cannot fsync", tmp, err, errlen);
		goto out_unlink;
	}
	e = fclose(f);
	f = NULL;
	if (e != 0) {
		fail("cannot close", tmp, err, errlen);
		goto out_unlink;
	}
	if (atomicfile_before_rename)
		atomicfile_before_rename(tmp, path);
	if (rename(tmp, path) < 0) {
		fail("cannot rename temporary file into place", path, err,
		     errlen);
		goto out_unlink;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		/* The file is in place already; a failed directory fsync
		 * only weakens durability, so it is not an error. */
		fsync(dfd);
		close(dfd);
	}
	return 0;
out_unlink:
	e = errno;
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}

struct buffer {
	const void *data;
	size_t len;
};

static int fill_buffer(FILE *f, void *arg)
{
	const struct buffer *b = arg;
	return b->len && fwrite(b->data, 1, b->len, f) != b->len ? -1 : 0;
}

int atomicfile_write(const char *path, const void *data, size_t len,
		     mode_t mode, char *err, size_t errlen)
{
	struct buffer b = {data, len};
	return atomicfile_write_fn(path, mode, fill_buffer, &b, err, errlen);
}
