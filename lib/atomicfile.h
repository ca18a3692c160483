/* SPDX-License-Identifier: MIT */
/*
 * atomicfile: replace a file so that every reader sees either the old or
 * the new complete content, also across a crash or SIGKILL.
 *
 * The data goes to `.<base>.XXXXXX` in the target's directory (a hidden
 * name that never ends in `.prom`, so node_exporter never reads it), gets
 * its mode set explicitly (mkstemp's 0600 would hide a .prom from a
 * node_exporter running as another user), is fsynced, renamed over the
 * target, and the directory is fsynced so the rename survives a power
 * loss.  On any error the temp file is removed, the old file is untouched,
 * -1 is returned with errno set and err names the file and the reason.
 * A path that names a device or FIFO (-o /dev/null) is written in place,
 * never replaced; a directory is refused (EISDIR).
 */
#ifndef PROMSNAP_ATOMICFILE_H
#define PROMSNAP_ATOMICFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

int atomicfile_write(const char *path, const void *data, size_t len,
		     mode_t mode, char *err, size_t errlen);
/* The same, streaming: fill writes the content to f (buffered) and returns
 * 0, or -1 to abandon the file.  Large files need no copy in memory. */
int atomicfile_write_fn(const char *path, mode_t mode,
			int (*fill)(FILE *f, void *arg), void *arg, char *err,
			size_t errlen);

/* A hook for tests: called after the temp file is written and synced and
 * before the rename.  NULL in production. */
extern void (*atomicfile_before_rename)(const char *tmp, const char *path);

#endif
