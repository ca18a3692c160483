/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the child runner with real processes (/bin/sh): output
 * and stderr collected, exit status kept, a missing program reported, a
 * hung child and its own children killed at the deadline and reaped (no
 * zombie, no orphan), more jobs than slots all run.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "../cmd/trace-once/mtr_run.h"

static void sh_job(struct mtr_job *j, char **argv, const char *script,
		   double timeout)
{
	memset(j, 0, sizeof *j);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)script;
	argv[3] = NULL;
	j->argv = argv;
	j->timeout = timeout;
}

START_TEST(test_output_and_status)
{
	struct mtr_job j[3];
	char *a[3][4];

	sh_job(&j[0], a[0], "printf 'hello\\n'; printf 'oops' >&2", 10);
	sh_job(&j[1], a[1], "exit 3", 10);
	/* More than the pipe buffer: read while the child writes. */
	sh_job(&j[2], a[2], "head -c 200000 /dev/zero | tr '\\0' x", 10);
	ck_assert_int_eq(mtr_run_all(j, 3, 2, NULL), 0);
	ck_assert_int_eq(j[0].state, MTR_JOB_EXITED);
	/* stderr shares stdout's pipe, in the order written. */
	ck_assert_str_eq(j[0].out, "hello\noops");
	ck_assert_int_eq(WEXITSTATUS(j[0].status), 0);
	ck_assert_int_eq(j[1].state, MTR_JOB_EXITED);
	ck_assert_int_eq(WEXITSTATUS(j[1].status), 3);
	ck_assert_uint_eq(j[1].outlen, 0);
	ck_assert_uint_eq(j[2].outlen, 200000);
	ck_assert_int_eq(j[2].out_truncated, 0);
	for (int i = 0; i < 3; i++)
		mtr_job_release(&j[i]);
	/* Everything was reaped. */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

START_TEST(test_missing_program)
{
	struct mtr_job j;
	char *argv[] = {"/nonexistent/mtr", NULL};

	memset(&j, 0, sizeof j);
	j.argv = argv;
	j.timeout = 5;
	ck_assert_int_eq(mtr_run_all(&j, 1, 1, NULL), 0);
	ck_assert_int_eq(j.state, MTR_JOB_SPAWN_FAILED);
	ck_assert_int_eq(j.spawn_errno, ENOENT);
}
END_TEST

static int alive(pid_t pid)
{
	/* kill(pid, 0) succeeds on a zombie too: read its state. */
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

START_TEST(test_hung_child_killed)
{
	struct mtr_job j[2];
	char *a[2][4];
	long grandchild = 0;
	struct timespec ts = {0, 20 * 1000 * 1000};

	/* Reparented orphans come to us, so their reaping can be seen. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* A child that starts a helper (as mtr starts mtr-packet), prints
	 * its pid and then hangs. */
	sh_job(&j[0], a[0], "sleep 300 & echo $!; wait", 0.5);
	sh_job(&j[1], a[1], "echo fine", 10);
	ck_assert_int_eq(mtr_run_all(j, 2, 16, NULL), 0);
	ck_assert_int_eq(j[0].state, MTR_JOB_TIMEOUT);
	ck_assert_double_ge(j[0].duration, 0.5);
	ck_assert_int_eq(j[1].state, MTR_JOB_EXITED);
	ck_assert_str_eq(j[1].out, "fine\n");
	grandchild = strtol(j[0].out, NULL, 10);
	ck_assert_int_gt(grandchild, 1);
	/* The helper got SIGKILL with its process group: poll (bounded)
	 * until it is gone, reaping it as its subreaper. */
	for (int i = 0; i < 250 && alive((pid_t)grandchild); i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		nanosleep(&ts, NULL);
	}
	ck_assert_msg(!alive((pid_t)grandchild), "helper %ld survived",
		      grandchild);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	mtr_job_release(&j[0]);
	mtr_job_release(&j[1]);
}
END_TEST

START_TEST(test_more_jobs_than_slots)
{
	struct mtr_job j[20];
	char *a[20][4];
	char scripts[20][32];

	for (int i = 0; i < 20; i++) {
		snprintf(scripts[i], sizeof scripts[i], "echo %d", i);
		sh_job(&j[i], a[i], scripts[i], 10);
	}
	ck_assert_int_eq(mtr_run_all(j, 20, 3, NULL), 0);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(j[i].state, MTR_JOB_EXITED);
		ck_assert_int_eq(atoi(j[i].out), i);
		mtr_job_release(&j[i]);
	}
}
END_TEST

/* More than the cap: kept up to it, flagged, the child still reaped. */
START_TEST(test_output_cap)
{
	struct mtr_job j;
	char *a[4];

	sh_job(&j, a, "head -c 1100000 /dev/zero", 30);
	ck_assert_int_eq(mtr_run_all(&j, 1, 1, NULL), 0);
	ck_assert_int_eq(j.state, MTR_JOB_EXITED);
	ck_assert_int_eq(j.out_truncated, 1);
	ck_assert_uint_eq(j.outlen, MTR_RUN_OUT_MAX);
	mtr_job_release(&j);
}
END_TEST

/* SIGTERM during a run: every child is killed and reaped, the caller
 * learns which signal came. */
START_TEST(test_stop_signal)
{
	struct mtr_job j[2];
	char *a[2][4];
	int sig = -1;

	sh_job(&j[0], a[0], "sleep 30", 60);
	/* Tells the runner to stop, then hangs like the other. */
	sh_job(&j[1], a[1], "kill -TERM $PPID; sleep 30", 60);
	ck_assert_int_eq(mtr_run_all(j, 2, 16, &sig), -1);
	ck_assert_int_eq(errno, EINTR);
	ck_assert_int_eq(sig, SIGTERM);
	ck_assert_int_ne(j[0].state, MTR_JOB_PENDING);
	ck_assert_int_ne(j[1].state, MTR_JOB_PENDING);
	ck_assert_double_lt(j[0].duration, 30);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	mtr_job_release(&j[0]);
	mtr_job_release(&j[1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trace_mtr_run");
	TCase *tc = tcase_create("mtr_run");

	tcase_add_test(tc, test_output_and_status);
	tcase_add_test(tc, test_missing_program);
	tcase_add_test(tc, test_hung_child_killed);
	tcase_add_test(tc, test_more_jobs_than_slots);
	tcase_add_test(tc, test_stop_signal);
	tcase_add_test(tc, test_output_cap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
