/* SPDX-License-Identifier: MIT */
#include "mtr_run.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int job_start(struct mtr_job *j)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int po[2] = {-1, -1}, pe[2] = {-1, -1};
	sigset_t none, def;
	int rc;

	j->fd_out = j->fd_err = -1;
	j->pid = -1;
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) {
		rc = errno;
		goto fail_pipes;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	/* Own process group, so a deadline kill reaches mtr-packet too;
	 * default dispositions and an empty mask whatever ours are. */
	sigemptyset(&none);
	sigfillset(&def);
	sigdelset(&def, SIGKILL);
	sigdelset(&def, SIGSTOP);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					  POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&j->pid, j->argv[0], &fa, &at, j->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(po[1]);
	close(pe[1]);
	if (rc) {
		close(po[0]);
		close(pe[0]);
		goto fail;
	}
	j->fd_out = po[0];
	j->fd_err = pe[0];
	fcntl(j->fd_out, F_SETFL, O_NONBLOCK);
	fcntl(j->fd_err, F_SETFL, O_NONBLOCK);
	return 0;
fail_pipes:
	if (po[0] >= 0) {
		close(po[0]);
		close(po[1]);
	}
fail:
	j->state = MTR_JOB_SPAWN_FAILED;
	j->spawn_errno = rc;
	return -1;
}

/* Read what is there; on EOF or error close the descriptor. */
static void drain(struct mtr_job *j, int *fd, int is_out)
{
	char buf[8192];

	while (*fd >= 0) {
		ssize_t n = read(*fd, buf, sizeof buf);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(fd);
			return;
		}
		if (is_out) {
			size_t room = MTR_RUN_OUT_MAX - j->outlen;
			size_t take = (size_t)n < room ? (size_t)n : room;

			if (take < (size_t)n)
				j->out_truncated = 1;
			if (j->outlen + take + 1 > j->outcap) {
				size_t cap = j->outcap ? j->outcap : 4096;
				char *p;

				while (cap < j->outlen + take + 1)
					cap *= 2;
				p = realloc(j->out, cap);
				if (!p) {
					j->out_truncated = 1;
					continue;
				}
				j->out = p;
				j->outcap = cap;
			}
			memcpy(j->out + j->outlen, buf, take);
			j->outlen += take;
			j->out[j->outlen] = 0;
		} else {
			size_t room = sizeof j->err - 1 - j->errlen;
			size_t take = (size_t)n < room ? (size_t)n : room;

			memcpy(j->err + j->errlen, buf, take);
			j->errlen += take;
			j->err[j->errlen] = 0;
		}
	}
}

static void job_finish(struct mtr_job *j, enum mtr_job_state st, double now)
{
	drain(j, &j->fd_out, 1);
	drain(j, &j->fd_err, 0);
	close_fd(&j->fd_out);
	close_fd(&j->fd_err);
	j->state = st;
	j->duration = now - (j->deadline - j->timeout);
}

static void job_kill(struct mtr_job *j, double now)
{
	int st;

	kill(-j->pid, SIGKILL);
	kill(j->pid, SIGKILL);
	while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
		;
	job_finish(j, MTR_JOB_TIMEOUT, now);
}

int mtr_run_all(struct mtr_job *jobs, size_t n, size_t max_parallel,
		int *stop_signal)
{
	size_t cap = 2 * (max_parallel < n ? max_parallel : n) + 1;
	struct pollfd *pfd = calloc(cap, sizeof *pfd);
	size_t *owner = calloc(cap, sizeof *owner);
	unsigned char *ready = calloc(n + 1, 1);
	size_t next = 0, running = 0;
	sigset_t chld, old;
	int rc = -1, sfd = -1, masked = 0;

	if (!pfd || !owner || !ready)
		goto out;
	if (max_parallel < 1)
		max_parallel = 1;
	for (size_t i = 0; i < n; i++) {
		jobs[i].state = MTR_JOB_PENDING;
		jobs[i].fd_out = jobs[i].fd_err = -1;
	}
	/* One signalfd tells of every child's exit: a pidfd per child would
	 * cost a descriptor, a poll entry and an inode each.  Without it
	 * (no signalfd) waitpid is tried every 50 ms.  SIGTERM, SIGINT and
	 * SIGHUP come through it too, so a stopped run takes its children
	 * with it instead of leaving them to run out. */
	if (stop_signal)
		*stop_signal = 0;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (stop_signal) {
		sigaddset(&chld, SIGTERM);
		sigaddset(&chld, SIGINT);
		sigaddset(&chld, SIGHUP);
	}
	masked = sigprocmask(SIG_BLOCK, &chld, &old) == 0;
	sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	while (next < n || running) {
		double now, wait = 1e9;
		size_t np = 0;
		int pr, child_news = 0;

		while (running < max_parallel && next < n) {
			struct mtr_job *j = &jobs[next++];

			j->deadline = mono() + j->timeout;
			if (job_start(j) == 0)
				running++;
		}
		if (!running)
			continue;
		now = mono();
		if (sfd >= 0) {
			owner[np] = n; /* no job */
			pfd[np++] = (struct pollfd){sfd, POLLIN, 0};
		}
		for (size_t i = 0; i < next; i++) {
			struct mtr_job *j = &jobs[i];

			if (j->state != MTR_JOB_PENDING)
				continue;
			if (j->fd_out >= 0) {
				owner[np] = i;
				pfd[np++] =
				    (struct pollfd){j->fd_out, POLLIN, 0};
			}
			if (j->fd_err >= 0) {
				owner[np] = i;
				pfd[np++] =
				    (struct pollfd){j->fd_err, POLLIN, 0};
			}
			if (j->deadline - now < wait)
				wait = j->deadline - now;
		}
		if (sfd < 0 && wait > 0.05)
			wait = 0.05;
		if (wait < 0)
			wait = 0;
		pr = poll(pfd, np, (int)ceil(wait * 1000));
		if (pr < 0 && errno != EINTR)
			goto out;
		now = mono();
		memset(ready, 0, n + 1);
		for (size_t k = 0; pr > 0 && k < np; k++)
			if (pfd[k].revents)
				ready[owner[k]] = 1;
		if (sfd < 0 || ready[n]) {
			struct signalfd_siginfo si[8];
			ssize_t got;

			while (sfd >= 0 && (got = read(sfd, si, sizeof si)) > 0)
				for (size_t k = 0;
				     k < (size_t)got / sizeof si[0]; k++)
					if (si[k].ssi_signo != SIGCHLD &&
					    stop_signal)
						*stop_signal =
						    (int)si[k].ssi_signo;
			child_news = 1;
		}
		if (stop_signal && *stop_signal) {
			errno = EINTR;
			goto out;
		}
		for (size_t i = 0; i < next; i++) {
			struct mtr_job *j = &jobs[i];
			int st;
			pid_t w = 0;

			if (j->state != MTR_JOB_PENDING)
				continue;
			/* Only children with news or past their deadline
			 * cost syscalls: 16 mtr runs mostly wait. */
			if (ready[i]) {
				drain(j, &j->fd_out, 1);
				drain(j, &j->fd_err, 0);
			}
			if (child_news || now >= j->deadline)
				w = waitpid(j->pid, &st, WNOHANG);
			if (w == j->pid) {
				j->status = st;
				job_finish(j, MTR_JOB_EXITED, now);
				running--;
			} else if (now >= j->deadline) {
				job_kill(j, now);
				running--;
			}
		}
	}
	rc = 0;
out:
	if (rc) {
		int e = errno;

		for (size_t i = 0; i < next; i++)
			if (jobs[i].state == MTR_JOB_PENDING)
				job_kill(&jobs[i], mono());
		errno = e;
	}
	if (sfd >= 0)
		close(sfd);
	if (masked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	free(pfd);
	free(owner);
	free(ready);
	return rc;
}

void mtr_job_release(struct mtr_job *job)
{
	free(job->out);
	job->out = NULL;
	job->outlen = job->outcap = 0;
}
