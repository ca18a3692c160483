/* SPDX-License-Identifier: MIT */
/*
 * mtr_run: run child processes (mtr, one per target) concurrently, at most
 * max_parallel at a time, each with a deadline, and collect their output.
 *
 *     struct mtr_job jobs[n];   fill argv and timeout of each
 *     mtr_run_all(jobs, n, 16);
 *     jobs[i].state: MTR_JOB_EXITED (see status, out),
 *                    MTR_JOB_TIMEOUT (killed at its deadline) or
 *                    MTR_JOB_SPAWN_FAILED (spawn_errno: ENOENT, EACCES ...)
 *     mtr_job_release(&jobs[i]);
 *
 * Each child runs in its own process group with stdin on /dev/null; when
 * its deadline passes the whole group (mtr and its mtr-packet helper) gets
 * SIGKILL and is reaped before mtr_run_all returns, so no zombie and no
 * orphan is left behind.  Children start with vfork and exec (no stack
 * mapped per child, as posix_spawn does).  Exits are noticed through one
 * signalfd for SIGCHLD (blocked while mtr_run_all runs) in one epoll set
 * with the output pipes, each registered once, so a run of many targets
 * costs no busy waiting and no per-wakeup walk over every descriptor.
 * stdout and stderr share one pipe (the child's 2 is a copy of its 1), as
 * `2>&1` would: a pipe is the costliest object a child needs from us,
 * and mtr writes its report in one piece at exit, so what it says on
 * stderr comes before (see result.h).  Kept up to MTR_RUN_OUT_MAX bytes
 * (more sets out_truncated).
 *
 * Returns 0, or -1 with errno set if poll itself failed (the children
 * started so far are still killed and reaped).
 */
#ifndef TRACE_MTR_RUN_H
#define TRACE_MTR_RUN_H

#include <stddef.h>
#include <sys/types.h>

#define MTR_RUN_OUT_MAX (1u << 20)

enum mtr_job_state {
	MTR_JOB_PENDING,
	MTR_JOB_EXITED,
	MTR_JOB_TIMEOUT,
	MTR_JOB_SPAWN_FAILED,
};

struct mtr_job {
	/* in */
	char **argv;	/* argv[0] is looked up on PATH unless it has a '/' */
	double timeout; /* seconds from spawn */
	/* out */
	enum mtr_job_state state;
	int status; /* wait status when MTR_JOB_EXITED */
	int spawn_errno;
	char *out; /* stdout and stderr, NUL-terminated, malloc'd */
	size_t outlen;
	int out_truncated;
	double duration; /* seconds from spawn to exit or kill */
	/* private */
	pid_t pid;
	int fd_out;
	double deadline;
	size_t outcap;
};

/* stop_signal (may be NULL): set to SIGTERM, SIGINT or SIGHUP when one
 * arrived during the run; the children are then killed and reaped and -1
 * comes back with errno EINTR, for the caller to end as that signal would
 * have ended it. */
int mtr_run_all(struct mtr_job *jobs, size_t n, size_t max_parallel,
		int *stop_signal);
void mtr_job_release(struct mtr_job *job);

#endif
