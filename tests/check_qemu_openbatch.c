/* SPDX-License-Identifier: MIT */
/*
 * check_qemu_openbatch: qemu-netsnap's batched opens give what openat(2)
 * gives, file by file (the descriptor of a file there, -ENOENT for one
 * that is not), through io_uring and without it (io_uring_setup failing
 * as kernel.io_uring_disabled makes it, EPERM, or as a seccomp profile
 * without it, ENOSYS); and closing a batch closes its descriptors and
 * no other, also when a descriptor of someone else's sits in the middle
 * of the numbers.  Files of a process just started, which are not in
 * the dentry cache yet (the ring answers EAGAIN for them), open too.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "../cmd/qemu-netsnap/openbatch.h"

static char dir[64];

static long setup_eperm(unsigned entries, void *params)
{
	(void)entries;
	(void)params;
	errno = EPERM;
	return -1;
}

static long setup_enosys(unsigned entries, void *params)
{
	(void)entries;
	(void)params;
	errno = ENOSYS;
	return -1;
}

/* The real io_uring_setup(2), then the two refusals. */
static long (*const setups[])(unsigned, void *) = {NULL, setup_eperm,
						   setup_enosys};

static long (*real_setup)(unsigned, void *);

static void use_setup(int i)
{
	openbatch_ring_setup = setups[i] ? setups[i] : real_setup;
}

/* <dir>/f<i> holding "file <i>" for even i; odd i are missing. */
static void make_dir(void)
{
	strcpy(dir, "/tmp/check_qemu_openbatch.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	for (int i = 0; i < OPENBATCH_MAX; i += 2) {
		char path[128], text[32];
		int fd, n = snprintf(text, sizeof text, "file %d", i);

		snprintf(path, sizeof path, "%s/f%d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, text, (size_t)n), n);
		close(fd);
	}
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* Opens f0 .. f<n-1> under dfd and checks each against openat's view. */
static void open_and_check(struct openbatch *b, int dfd, size_t n, int *fds)
{
	char names[OPENBATCH_MAX][16];
	const char *paths[OPENBATCH_MAX] = {NULL};

	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "f%zu", i);
		paths[i] = names[i];
	}
	openbatch_open(b, dfd, paths, n, fds);
	for (size_t i = 0; i < n; i++) {
		char want[32], got[32];
		ssize_t k;

		if (i % 2) {
			ck_assert_int_eq(fds[i], -ENOENT);
			continue;
		}
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_ne(fds[i], dfd);
		/* Close-on-exec, as openat with O_CLOEXEC. */
		ck_assert_int_eq(fcntl(fds[i], F_GETFD), FD_CLOEXEC);
		snprintf(want, sizeof want, "file %zu", i);
		k = read(fds[i], got, sizeof got - 1);
		ck_assert_int_eq(k, (ssize_t)strlen(want));
		got[k] = '\0';
		ck_assert_str_eq(got, want);
	}
}

START_TEST(opens_as_openat)
{
	int fds[OPENBATCH_MAX], dfd;
	struct openbatch *b;

	use_setup(_i);
	make_dir();
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	b = openbatch_new();
	ck_assert_ptr_nonnull(b);
	if (setups[_i])
		ck_assert_int_eq(openbatch_uses_ring(b), 0);
	/* Full batches, a batch of one, and again: the ring is reused. */
	for (int round = 0; round < 3; round++) {
		size_t n = round == 1 ? 1 : OPENBATCH_MAX;

		open_and_check(b, dfd, n, fds);
		openbatch_close(b, fds, n);
		for (size_t i = 0; i < n; i++)
			if (fds[i] >= 0)
				ck_assert(!is_open(fds[i]));
	}
	ck_assert(is_open(dfd));
	openbatch_free(b);
	close(dfd);
	remove_dir();
}
END_TEST

START_TEST(close_spares_others)
{
	int fds[OPENBATCH_MAX], dfd, hole, mine;
	struct openbatch *b;

	use_setup(_i);
	make_dir();
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	b = openbatch_new();
	ck_assert_ptr_nonnull(b);
	/* A free number below one that stays ours: the batch takes the
	 * free one first, so our descriptor sits among its numbers. */
	hole = dup(dfd);
	mine = dup(dfd);
	ck_assert_int_eq(mine, hole + 1);
	close(hole);
	open_and_check(b, dfd, OPENBATCH_MAX, fds);
	ck_assert_int_eq(fds[0], hole);
	ck_assert_int_gt(fds[2], mine);
	openbatch_close(b, fds, OPENBATCH_MAX);
	ck_assert(is_open(mine));
	ck_assert(is_open(dfd));
	for (size_t i = 0; i < OPENBATCH_MAX; i += 2)
		if (fds[i] != mine)
			ck_assert(!is_open(fds[i]));
	close(mine);
	openbatch_free(b);
	close(dfd);
	remove_dir();
}
END_TEST

START_TEST(uncached_proc_files)
{
	static const char *const rest[] = {
	    "cmdline", "stat", "status", "comm", "io", "limits", "wchan"};
	enum { N = sizeof rest / sizeof rest[0] };
	char names[N + 1][48], comm[32], want[32];
	const char *paths[N + 1];
	int fds[N + 1], procfd;
	struct openbatch *b;
	pid_t child;
	ssize_t k;
	int fd;

	use_setup(_i);
	/* The child's name is ours. */
	fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	k = read(fd, want, sizeof want - 1);
	ck_assert_int_gt(k, 0);
	want[k] = '\0';
	close(fd);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(procfd, 0);
	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "%d/%s", (int)child,
			 rest[i]);
		paths[i] = names[i];
	}
	/* And a pid that is not there. */
	snprintf(names[N], sizeof names[N], "%d/cmdline", 0x3fffffff);
	paths[N] = names[N];
	b = openbatch_new();
	ck_assert_ptr_nonnull(b);
	openbatch_open(b, procfd, paths, N + 1, fds);
	for (size_t i = 0; i < N; i++)
		ck_assert_msg(fds[i] >= 0, "%s: %s", paths[i],
			      strerror(-fds[i]));
	ck_assert_int_eq(fds[N], -ENOENT);
	k = read(fds[3], comm, sizeof comm - 1);
	ck_assert_int_gt(k, 0);
	comm[k] = '\0';
	ck_assert_str_eq(comm, want);
	openbatch_close(b, fds, N + 1);
	openbatch_free(b);
	close(procfd);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}
END_TEST

static Suite *openbatch_suite(void)
{
	Suite *s = suite_create("qemu_openbatch");
	TCase *tc = tcase_create("openbatch");
	int n = (int)(sizeof setups / sizeof setups[0]);

	tcase_add_loop_test(tc, opens_as_openat, 0, n);
	tcase_add_loop_test(tc, close_spares_others, 0, n);
	tcase_add_loop_test(tc, uncached_proc_files, 0, n);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	real_setup = openbatch_ring_setup;
	return tu_run(openbatch_suite());
}
