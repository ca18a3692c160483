/* SPDX-License-Identifier: MIT */
/*
 * check_qemu_procscan: qemu-netsnap's /proc scan on a fake tree of 1,500
 * processes (122 of them QEMU with a tap each, 24 of these with a
 * command line longer than the first read, 41 that vanished, the rest
 * other programs) gives the same findings, in the same order, read
 * by one thread or by several claiming chunks of the list while it is
 * still being listed (in blocks of 1,024: the tree spans two); also when
 * max_procs cuts the list short; and the same without io_uring, its
 * setup refused as kernel.io_uring_disabled or a seccomp profile would,
 * and under an RLIMIT_NOFILE too low for two chunks open at once.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "../cmd/qemu-netsnap/openbatch.h"
#include "../cmd/qemu-netsnap/procscan.h"

#define NPROCS 1500

static char root[64];

static void put(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* mkdir <root>/proc/<pid><sub>; pid 0 is "self". */
static void mk(int pid, const char *sub)
{
	char path[256];

	if (pid)
		snprintf(path, sizeof path, "%s/proc/%d%s", root, pid, sub);
	else
		snprintf(path, sizeof path, "%s/proc/self%s", root, sub);
	ck_assert_msg(!mkdir(path, 0755), "%s: %s", path, strerror(errno));
}

/* Pid 1000 + i: every 12th a QEMU process holding tap t<i> (its counters
 * i and 2i in our net/dev), every 37th gone (a directory without a
 * command line), the others a shell. */
static void make_tree(void)
{
	char path[256], dev[NPROCS * 120];
	size_t o = 0;

	strcpy(root, "/tmp/check_qemu_procscan.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(path, sizeof path, "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sys", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sys/class", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/sys/class/net", root);
	mkdir(path, 0755);
	mk(0, "");
	mk(0, "/ns");
	mk(0, "/net");
	snprintf(path, sizeof path, "%s/proc/self/ns/net", root);
	ck_assert_int_eq(symlink("net:[4026531840]", path), 0);
	o += (size_t)snprintf(dev + o, sizeof dev - o,
			      "Inter-|   Receive |  Transmit\n"
			      " face |bytes packets errs drop fifo frame "
			      "compressed multicast|bytes packets errs drop "
			      "fifo colls carrier compressed\n");
	for (int i = 0; i < NPROCS; i++) {
		int pid = 1000 + i;
		char cmd[8192];
		size_t n;

		mk(pid, "");
		if (i % 37 == 5)
			continue;
		if (i % 12 != 3) {
			n = (size_t)snprintf(cmd, sizeof cmd,
					     "/bin/sh%c-c%csleep %d", 0, 0, i) +
			    1;
			snprintf(path, sizeof path, "%s/proc/%d/cmdline", root,
				 pid);
			put(path, cmd, n);
			continue;
		}
		n = (size_t)snprintf(cmd, sizeof cmd,
				     "/usr/bin/qemu-system-x86_64%c-name%c"
				     "guest=vm%d%c",
				     0, 0, i, 0);
		/* Every fifth a long one, as libvirt's are: its -uuid
		 * comes after the first 4 KB. */
		for (int k = 0; i % 60 == 15 && k < 200; k++)
			n += (size_t)snprintf(cmd + n, sizeof cmd - n,
					      "-device%cvirtio-serial,id=s%03d%c",
					      0, k, 0);
		n += (size_t)snprintf(cmd + n, sizeof cmd - n,
				      "-uuid%c00000000-0000-4000-8000-%012d",
				      0, i) +
		     1;
		snprintf(path, sizeof path, "%s/proc/%d/cmdline", root, pid);
		put(path, cmd, n);
		mk(pid, "/ns");
		mk(pid, "/fd");
		mk(pid, "/fdinfo");
		snprintf(path, sizeof path, "%s/proc/%d/ns/net", root, pid);
		ck_assert_int_eq(symlink("net:[4026531840]", path), 0);
		snprintf(path, sizeof path, "%s/proc/%d/fd/0", root, pid);
		ck_assert_int_eq(symlink("/dev/null", path), 0);
		snprintf(path, sizeof path, "%s/proc/%d/fd/7", root, pid);
		ck_assert_int_eq(symlink("/dev/net/tun", path), 0);
		snprintf(path, sizeof path, "%s/proc/%d/fdinfo/7", root, pid);
		n = (size_t)snprintf(cmd, sizeof cmd,
				     "pos:\t0\nflags:\t0104002\niff:\tt%d\n",
				     i);
		put(path, cmd, n);
		snprintf(path, sizeof path, "%s/sys/class/net/t%d", root, i);
		mkdir(path, 0755);
		snprintf(path, sizeof path, "%s/sys/class/net/t%d/ifindex",
			 root, i);
		n = (size_t)snprintf(cmd, sizeof cmd, "%d\n", 10 + i);
		put(path, cmd, n);
		o += (size_t)snprintf(dev + o, sizeof dev - o,
				      "t%d: %d %d 0 0 0 0 0 0 %d %d 0 0 0 0 "
				      "0 0\n",
				      i, i, 1, 2 * i, 2);
	}
	snprintf(path, sizeof path, "%s/proc/self/net/dev", root);
	put(path, dev, o);
}

static void remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

static void scan(int threads, size_t max_procs, struct qn_scan *s)
{
	char proc[128], sys[128];
	struct qn_rules rules;
	struct qn_scan_opts o = {proc, sys, &rules, max_procs, threads};

	qn_rules_default(&rules);
	snprintf(proc, sizeof proc, "%s/proc", root);
	snprintf(sys, sizeof sys, "%s/sys", root);
	memset(s, 0, sizeof *s);
	ck_assert_int_eq(procscan_run(&o, s), 0);
}

/* The same processes, in the same order, with the same readings. */
static void assert_same(const struct qn_scan *a, const struct qn_scan *b)
{
	ck_assert_uint_eq(a->n, b->n);
	ck_assert_uint_eq(a->processes, b->processes);
	ck_assert_uint_eq(a->vanished, b->vanished);
	ck_assert_uint_eq(a->denied, b->denied);
	ck_assert_uint_eq(a->over_cap, b->over_cap);
	for (size_t i = 0; i < a->n; i++) {
		const struct qn_proc *p = &a->procs[i], *q = &b->procs[i];

		ck_assert_int_eq(p->pid, q->pid);
		ck_assert_str_eq(p->cl.id, q->cl.id);
		ck_assert_int_eq(p->readable, q->readable);
		ck_assert_uint_eq(p->nif, q->nif);
		for (size_t k = 0; k < p->nif; k++) {
			ck_assert_str_eq(p->ifs[k].name, q->ifs[k].name);
			ck_assert_int_eq(p->ifs[k].ifindex, q->ifs[k].ifindex);
			ck_assert_mem_eq(&p->ifs[k].c, &q->ifs[k].c,
					 sizeof p->ifs[k].c);
		}
	}
}

static const int thread_counts[] = {2, 3, 8};
/* What the refused io_uring_setup(2) says. */
static int refused_errno;

START_TEST(threads_find_what_one_finds)
{
	struct qn_scan one, many;

	make_tree();
	scan(1, 1000, &one);
	/* What the tree holds: i % 12 == 3 and not i % 37 == 5. */
	ck_assert_uint_eq(one.processes, NPROCS);
	ck_assert_uint_eq(one.vanished, 41);
	ck_assert_uint_eq(one.n, 122);
	ck_assert_uint_eq(one.over_cap, 0);
	for (size_t i = 0; i < one.n; i++) {
		const struct qn_proc *p = &one.procs[i];
		int k = p->pid - 1000;
		char id[64];

		snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", k);
		ck_assert_str_eq(p->cl.id, id);
		ck_assert_uint_eq(p->nif, 1);
		ck_assert_int_eq(p->ifs[0].ifindex, 10 + k);
		/* The tap's tx is what the guest received. */
		ck_assert_uint_eq(p->ifs[0].c.v[QN_RX_BYTES], 2 * (uint64_t)k);
		ck_assert_uint_eq(p->ifs[0].c.v[QN_TX_BYTES], (uint64_t)k);
	}
	scan(thread_counts[_i], 1000, &many);
	assert_same(&one, &many);
	procscan_free(&many);
	procscan_free(&one);
	/* Cut short: the first 50 of the list, as one thread keeps them. */
	scan(1, 50, &one);
	ck_assert_uint_eq(one.n, 50);
	ck_assert_uint_eq(one.over_cap, 72);
	scan(thread_counts[_i], 50, &many);
	assert_same(&one, &many);
	procscan_free(&many);
	procscan_free(&one);
	remove_tree();
}
END_TEST

static long setup_refused(unsigned entries, void *params)
{
	(void)entries;
	(void)params;
	errno = refused_errno;
	return -1;
}

START_TEST(without_io_uring)
{
	long (*real_setup)(unsigned, void *) = openbatch_ring_setup;
	struct qn_scan ring, plain;

	make_tree();
	scan(1, 1000, &ring);
	openbatch_ring_setup = setup_refused;
	refused_errno = _i % 2 ? ENOSYS : EPERM;
	scan(1 + _i / 2, 1000, &plain);
	openbatch_ring_setup = real_setup;
	assert_same(&ring, &plain);
	procscan_free(&plain);
	procscan_free(&ring);
	remove_tree();
}
END_TEST

START_TEST(low_fd_limit)
{
	struct rlimit rl;
	struct qn_scan wide, narrow;

	make_tree();
	scan(2, 1000, &wide);
	/* Room for far fewer than two chunks of command lines open at once:
	 * smaller chunks, not processes counted as vanished (EMFILE). */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 40;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	scan(2, 1000, &narrow);
	assert_same(&wide, &narrow);
	procscan_free(&narrow);
	procscan_free(&wide);
	remove_tree();
}
END_TEST

static Suite *procscan_suite(void)
{
	Suite *s = suite_create("qemu_procscan");
	TCase *tc = tcase_create("procscan");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, threads_find_what_one_finds, 0,
			    sizeof thread_counts / sizeof thread_counts[0]);
	/* EPERM and ENOSYS, by one thread and by two. */
	tcase_add_loop_test(tc, without_io_uring, 0, 4);
	tcase_add_test(tc, low_fd_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(procscan_suite());
}
