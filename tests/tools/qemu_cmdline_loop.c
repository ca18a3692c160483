/* SPDX-License-Identifier: MIT */
/*
 * qemu-cmdline-loop: the benchmark's reference for qemu-netsnap.  The
 * least any QEMU scan must do: list /proc and open and read every
 * /proc/<pid>/cmdline once.  Prints how many it read.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	static char buf[4096];
	char path[300];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int procfd, n = 0;

	if (!d)
		return 1;
	procfd = dirfd(d);
	while ((e = readdir(d))) {
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "%s/cmdline", e->d_name);
		fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read(fd, buf, sizeof buf) >= 0)
			n++;
		close(fd);
	}
	closedir(d);
	printf("%d\n", n);
	return 0;
}
