/* SPDX-License-Identifier: MIT */
/*
 * qemu-noring: test helper for qemu-netsnap.  Runs a command in which
 * io_uring_setup(2) fails, as it does on a host where io_uring is turned
 * off or filtered out:
 *
 *   qemu-noring EPERM|ENOSYS CMD [ARG...]
 *
 * EPERM is what kernel.io_uring_disabled=2 answers (and what systemd's
 * SystemCallFilter= and Docker's default seccomp profile answer); ENOSYS
 * what a kernel built without io_uring answers.  A seccomp filter, so no
 * global setting is touched: the command and its children only.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned err;

	if (argc < 3 ||
	    (strcmp(argv[1], "EPERM") && strcmp(argv[1], "ENOSYS"))) {
		fprintf(stderr,
			"usage: qemu-noring EPERM|ENOSYS CMD [ARG...]\n");
		return 64;
	}
	err = strcmp(argv[1], "EPERM") ? ENOSYS : EPERM;
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof code / sizeof code[0], code};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("qemu-noring: seccomp");
		return 69;
	}
	/* The filter knows x86-64 only: elsewhere say so, and the test
	 * skips rather than passes without io_uring refused. */
	if (syscall(__NR_io_uring_setup, 0, NULL) != -1 || errno != (int)err) {
		fprintf(stderr, "qemu-noring: io_uring_setup not refused\n");
		return 69;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
