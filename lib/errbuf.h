/* SPDX-License-Identifier: MIT */
/*
 * errbuf: how library and pure code report an error without printing:
 * write one line into the caller's buffer, set errno, return -1, so a
 * failing function can end with `return errbuf_set(err, errlen, EINVAL,
 * "...", ...);`.  err may be NULL (the message is dropped).
 */
#ifndef PROMSNAP_ERRBUF_H
#define PROMSNAP_ERRBUF_H

#include <stddef.h>

int errbuf_set(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
