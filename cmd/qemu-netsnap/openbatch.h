/* SPDX-License-Identifier: MIT */
/*
 * openbatch: opens many files under one directory, and closes them again,
 * with as few system calls as the kernel allows.  A scan of every
 * /proc/<pid>/cmdline is three syscalls a process, and on a VM with
 * return-stack mitigations the entry and exit cost as much as the work:
 * here the opens of a batch go to the kernel in one io_uring_enter(2),
 * and the batch is closed by close_range(2) over each run of consecutive
 * descriptors, so a process costs about one syscall, its read(2).
 * (io_uring does not read them: a procfs read cannot be done without
 * blocking in its view, so every read would go to a kernel worker thread,
 * which measured slower than read(2) itself.)
 *
 * Where io_uring is missing or refused (kernel.io_uring_disabled, a
 * seccomp filter, a kernel older than 5.12) each file is opened with
 * openat(2), with the same results; where close_range(2) is missing,
 * each is closed with close(2).
 *
 * Calling sequence, by one thread (each thread its own batch):
 *     struct openbatch *b = openbatch_new();   NULL: out of memory
 *     openbatch_open(b, dirfd, paths, n, fds);  fds[i]: fd, or -errno
 *     ... read(fds[i]) ...
 *     openbatch_close(b, fds, n);
 *     openbatch_free(b);
 *
 * openbatch_close() must see every descriptor opened in that table since
 * openbatch_open() closed again, except those of the batch: it closes a
 * run of numbers whole, and only numbers it was given are in a run.
 */
#ifndef QEMU_NETSNAP_OPENBATCH_H
#define QEMU_NETSNAP_OPENBATCH_H

#include <stddef.h>

/* Files opened by one call at most. */
#define OPENBATCH_MAX 32

struct openbatch;

struct openbatch *openbatch_new(void);

/*
 * Opens dirfd/paths[i] read-only (close-on-exec, no controlling tty) for
 * i < n <= OPENBATCH_MAX; fds[i] is the descriptor, or -errno of
 * openat(2).  The paths must stay valid until it returns.
 */
void openbatch_open(struct openbatch *b, int dirfd, const char *const *paths,
		    size_t n, int *fds);

/* Closes every fds[i] >= 0, i < n. */
void openbatch_close(struct openbatch *b, const int *fds, size_t n);

/* Whether the opens go through io_uring (for tests and the log). */
int openbatch_uses_ring(const struct openbatch *b);

void openbatch_free(struct openbatch *b);

/*
 * Tests: io_uring_setup(2) is called through this pointer, so a test can
 * make it fail as a kernel or a seccomp filter that refuses io_uring
 * would (return -1 with errno set).
 */
extern long (*openbatch_ring_setup)(unsigned entries, void *params);

#endif
