/* SPDX-License-Identifier: MIT */
#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int readfile(const char *path, size_t max, char **buf, size_t *len)
{
	struct stat sb;
	size_t got = 0;
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0)
		goto fail;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	if ((unsigned long long)sb.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	p = malloc((size_t)sb.st_size + 1);
	if (!p)
		goto fail;
	/* The file may shrink while we read; take what is there. */
	while (got < (size_t)sb.st_size) {
		ssize_t k = read(fd, p + got, (size_t)sb.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			free(p);
			goto fail;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	p[got] = 0;
	*buf = p;
	*len = got;
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
