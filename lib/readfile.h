/* SPDX-License-Identifier: MIT */
/*
 * readfile: read a whole regular file into memory, with a size bound
 * (state and config files are small; a huge one is an error, not a reason
 * to exhaust memory).
 *
 * Returns 0 with *buf malloc'd and NUL-terminated (the caller frees it) and
 * *len its length, or -1 with errno set: ENOENT etc. from open, EINVAL if
 * the path is not a regular file, EFBIG if it is larger than max.
 */
#ifndef PROMSNAP_READFILE_H
#define PROMSNAP_READFILE_H

#include <stddef.h>

int readfile(const char *path, size_t max, char **buf, size_t *len);

#endif
