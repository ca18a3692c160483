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

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_in_place(const char *path, const void *data, size_t len,
			  char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("cannot open", path, err, errlen);
	if (write_all(fd, data, len) < 0) {
		fail("cannot write", path, err, errlen);
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (close(fd) < 0)
		return fail("cannot close", path, err, errlen);
	return 0;
}

int atomicfile_write(const char *path, const void *data, size_t len,
		     mode_t mode, char *err, size_t errlen)
{
	char dirbuf[4096], basebuf[4096], tmp[4096 + 16];
	const char *dir, *base;
	const char *p = data;
	int fd = -1, dfd = -1, e;

	/* A device or FIFO (-o /dev/null, -o /dev/stderr) is written in
	 * place: renaming over it would replace the device node itself. */
	struct stat sb;
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if (S_ISDIR(sb.st_mode)) {
			errno = EISDIR;
			return fail("cannot write", path, err, errlen);
		}
		return write_in_place(path, data, len, err, errlen);
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
	if (write_all(fd, p, len) < 0) {
		fail("cannot write", tmp, err, errlen);
		goto out_unlink;
	}
	if (fsync(fd) < 0) {
		fail("cannot fsync", tmp, err, errlen);
		goto out_unlink;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail("cannot close", tmp, err, errlen);
		goto out_unlink;
	}
	fd = -1;
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
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = e;
	return -1;
}
