/* SPDX-License-Identifier: MIT */
#include "mtr_run.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/*
 * What the vfork child needs, and where it leaves exec's errno: the child
 * shares our memory until it execs or exits.
 */
struct spawn {
	char **argv;
	int out; /* the pipe's write end, becomes 1 and 2 */
	volatile int exec_errno;
};

/* Both ends of a pipe dup2'd onto itself keeps FD_CLOEXEC: clear it. */
static void child_fd(int fd, int to)
{
	if (fd == to)
		fcntl(to, F_SETFD, 0);
	else
		dup2(fd, to);
}

/*
 * The child between vfork and exec: own process group (a deadline kill
 * reaches mtr-packet too), stdin /dev/null, stdout and stderr the pipe,
 * every signal at its default and none blocked, whatever ours are.  Only
 * system calls: it runs on our stack.
 */
static void __attribute__((noinline)) child(struct spawn *sp)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int fd;

	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	child_fd(sp->out, 1);
	dup2(1, 2);
	/* The pipe was made non-blocking for our read end; mtr's write end
	 * (an open file description of its own) blocks as usual. */
	fcntl(1, F_SETFL, 0);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(sp->argv[0], sp->argv);
	sp->exec_errno = errno;
	_exit(127);
}

/*
 * vfork, not posix_spawn: glibc's posix_spawn maps and unmaps a stack and
 * asks for RLIMIT_NOFILE five times per child, which with 16 targets was
 * a tenth of trace-once's own kernel time.  Every signal is blocked
 * across vfork so no handler of ours runs in the child.  Returns the pid,
 * or -1 with errno (exec's errno when the program could not be run).
 */
static pid_t spawn(struct spawn *sp)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	sp->exec_errno = 0;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0)
		child(sp);
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = e;
		return -1;
	}
	if (sp->exec_errno) {
		/* The child has exited already (vfork returns after it). */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = sp->exec_errno;
		return -1;
	}
	return pid;
}

static int job_start(struct mtr_job *j)
{
	struct spawn sp;
	int po[2];
	int rc;

	j->fd_out = -1;
	j->pid = -1;
	if (pipe2(po, O_CLOEXEC | O_NONBLOCK)) {
		rc = errno;
		goto fail;
	}
	sp.argv = j->argv;
	sp.out = po[1];
	j->pid = spawn(&sp);
	rc = j->pid < 0 ? errno : 0;
	close(po[1]);
	if (rc) {
		close(po[0]);
		goto fail;
	}
	j->fd_out = po[0];
	return 0;
fail:
	j->state = MTR_JOB_SPAWN_FAILED;
	j->spawn_errno = rc;
	return -1;
}

/* Read what is there; on EOF or error close the descriptor. */
static void drain(struct mtr_job *j, int *fd)
{
	char buf[32768];

	while (*fd >= 0) {
		ssize_t n = read(*fd, buf, sizeof buf);
		int more = n == (ssize_t)sizeof buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_fd(fd);
			return;
		}
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
		/* A pipe read returns all there is up to the size asked
		 * for: after a short one the pipe was empty, and epoll will
		 * say when there is more.  No read just to see EAGAIN. */
		if (!more)
			return;
	}
}

static void job_finish(struct mtr_job *j, enum mtr_job_state st, double now)
{
	drain(j, &j->fd_out);
	close_fd(&j->fd_out);
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

/* epoll data: the job's index; the signalfd is SIG_EV. */
#define SIG_EV UINT64_MAX

static void watch(int ep, int fd, uint64_t what)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = what};

	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Reap job i if it has exited; 1 if it had. */
static int reap_job(struct mtr_job *j, double now)
{
	int st;

	if (waitpid(j->pid, &st, WNOHANG) != j->pid)
		return 0;
	j->status = st;
	job_finish(j, MTR_JOB_EXITED, now);
	return 1;
}

/*
 * Reap the jobs that have exited; returns how many.  waitid(WNOWAIT)
 * names an exited child without reaping it, so a wakeup costs a system
 * call per exit rather than one per running job.  Should it name a child
 * that is not one of the jobs (a caller's own), that one is left alone
 * and every job is asked in turn instead.
 */
static size_t reap(struct mtr_job *jobs, size_t next, double now)
{
	size_t done = 0;

	for (;;) {
		siginfo_t si = {0};
		size_t i;

		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    si.si_pid == 0)
			return done;
		for (i = 0; i < next; i++)
			if (jobs[i].state == MTR_JOB_PENDING &&
			    jobs[i].pid == si.si_pid)
				break;
		if (i == next)
			break;
		if (!reap_job(&jobs[i], now))
			return done;
		done++;
	}
	for (size_t i = 0; i < next; i++)
		if (jobs[i].state == MTR_JOB_PENDING)
			done += (size_t)reap_job(&jobs[i], now);
	return done;
}

int mtr_run_all(struct mtr_job *jobs, size_t n, size_t max_parallel,
		int *stop_signal)
{
	struct epoll_event ev[32];
	size_t next = 0, running = 0;
	sigset_t chld, old;
	int rc = -1, sfd = -1, ep, masked = 0;

	if (max_parallel < 1)
		max_parallel = 1;
	for (size_t i = 0; i < n; i++) {
		jobs[i].state = MTR_JOB_PENDING;
		jobs[i].fd_out = -1;
	}
	/* One epoll set holds every output pipe and one signalfd that tells
	 * of every child's exit: each descriptor is registered once, and a
	 * wakeup names only what is ready.  Without signalfd, waitpid is
	 * tried every 50 ms.  SIGTERM, SIGINT and SIGHUP come through it
	 * too, so a stopped run takes its children with it instead of
	 * leaving them to run out. */
	if (stop_signal)
		*stop_signal = 0;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (stop_signal) {
		sigaddset(&chld, SIGTERM);
		sigaddset(&chld, SIGINT);
		sigaddset(&chld, SIGHUP);
	}
	masked = sigprocmask(SIG_BLOCK, &chld, &old) == 0;
	sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd >= 0)
		watch(ep, sfd, SIG_EV);
	while (next < n || running) {
		double now, wait = 1e9;
		int nev, child_news = sfd < 0;

		while (running < max_parallel && next < n) {
			struct mtr_job *j = &jobs[next++];

			j->deadline = mono() + j->timeout;
			if (job_start(j) == 0) {
				running++;
				watch(ep, j->fd_out, next - 1);
			}
		}
		if (!running)
			continue;
		now = mono();
		for (size_t i = 0; i < next; i++)
			if (jobs[i].state == MTR_JOB_PENDING &&
			    jobs[i].deadline - now < wait)
				wait = jobs[i].deadline - now;
		if (sfd < 0 && wait > 0.05)
			wait = 0.05;
		if (wait < 0)
			wait = 0;
		nev = epoll_wait(ep, ev, sizeof ev / sizeof ev[0],
				 (int)ceil(wait * 1000));
		if (nev < 0 && errno != EINTR)
			goto out;
		now = mono();
		for (int k = 0; k < nev; k++) {
			uint64_t what = ev[k].data.u64;
			struct mtr_job *j;

			if (what == SIG_EV) {
				struct signalfd_siginfo si[8];
				ssize_t got;

				/* Fewer than asked for: none left. */
				do {
					got = read(sfd, si, sizeof si);
					for (ssize_t q = 0;
					     q < got / (ssize_t)sizeof si[0];
					     q++)
						if (si[q].ssi_signo != SIGCHLD &&
						    stop_signal)
							*stop_signal =
							    (int)si[q].ssi_signo;
				} while (got == (ssize_t)sizeof si);
				child_news = 1;
				continue;
			}
			j = &jobs[what];
			if (j->state == MTR_JOB_PENDING)
				drain(j, &j->fd_out);
		}
		if (stop_signal && *stop_signal) {
			errno = EINTR;
			goto out;
		}
		if (child_news)
			running -= reap(jobs, next, now);
		for (size_t i = 0; i < next; i++) {
			struct mtr_job *j = &jobs[i];

			if (j->state == MTR_JOB_PENDING && now >= j->deadline) {
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
	close(ep);
	if (masked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void mtr_job_release(struct mtr_job *job)
{
	free(job->out);
	job->out = NULL;
	job->outlen = job->outcap = 0;
}
