/* SPDX-License-Identifier: MIT */
#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A QEMU command line longer than this is cut (the id rules then see a
 * prefix); libvirt's run to a few kilobytes. */
#define CMDLINE_MAX (256 * 1024)
/* Descriptors looked at per process: QEMU holds a few dozen, plus two
 * per vhost queue; this bounds the work on a process that holds many. */
#define FDS_MAX 65536

struct ctx {
	const struct qn_scan_opts *o;
	int procfd, netfd; /* <proc>, <sys>/class/net (-1 if absent) */
	uint64_t self_netns;
	/* <proc>/self/net/dev, read and indexed on first need. */
	int netdev_loaded, netdev_errno;
	struct qn_netdev_entry *devs;
	ssize_t ndevs;
	/* ifindex -> name of the macvtap devices, read on first need. */
	int idx_loaded;
	size_t nidx;
	struct idx {
		int ifindex;
		char name[QN_IFNAME_MAX];
	} * idx;
};

static int is_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Read up to len bytes of dirfd/path.  Returns the count, or -1 with
 * errno from open or read.  With once, a single read(2): enough for
 * /proc and sysfs files that fit the buffer (the kernel hands them out
 * whole), and half the syscalls of reading on to EOF, which counts on a
 * scan of thousands of processes. */
static ssize_t read_at(int dirfd, const char *path, char *buf, size_t len,
		       int once)
{
	size_t got = 0;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	while (got < len) {
		ssize_t k = read(fd, buf + got, len - got);

		if (k < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			errno = e;
			return -1;
		}
		got += (size_t)k;
		if (k == 0 || once)
			break;
	}
	close(fd);
	return (ssize_t)got;
}

static int read_u64_at(int dirfd, const char *path, uint64_t *out)
{
	char buf[32];
	ssize_t n = read_at(dirfd, path, buf, sizeof buf, 1);

	if (n < 0)
		return -1;
	if (decode_u64(buf, (size_t)n, out)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static int read_netns(int dirfd, const char *path, uint64_t *out)
{
	char link[64];
	ssize_t n = readlinkat(dirfd, path, link, sizeof link - 1);

	if (n < 0)
		return -1;
	link[n] = '\0';
	if (decode_netns(link, out)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* A whole file of unknown size (a net/dev), in a malloc'd buffer.  -1
 * with errno on failure; *buf is then NULL. */
static ssize_t read_all_at(int dirfd, const char *path, char **buf)
{
	size_t cap = 16384, got = 0;
	char *b = malloc(cap);
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	*buf = NULL;
	if (!b || fd < 0)
		goto fail;
	for (;;) {
		ssize_t k;

		if (got == cap) {
			char *nb;

			/* A host with ten thousand interfaces makes ~1.3 MB;
			 * past 64 MB something is wrong. */
			if (cap >= 64u << 20) {
				errno = EFBIG;
				goto fail;
			}
			nb = realloc(b, cap * 2);
			if (!nb)
				goto fail;
			b = nb;
			cap *= 2;
		}
		k = read(fd, b + got, cap - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			goto fail;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	*buf = b;
	return (ssize_t)got;
fail:
	if (fd >= 0) {
		int e = errno;

		close(fd);
		errno = e;
	}
	free(b);
	return -1;
}

/*
 * Counters of a device in our namespace.  The ifindex comes from
 * <sys>/class/net/<if>/ifindex; the counters from our own <proc>/net/dev,
 * read once per run: the same dev_get_stats() numbers sysfs shows under
 * statistics/, for every device in one read instead of six files per
 * device (the scan is benchmarked on 50 VMs among 2,000 processes).
 */
static int read_dev_stats(struct ctx *c, const char *ifname,
			  struct qn_devstats *d, int *ifindex)
{
	const struct qn_netdev_entry *e;
	char path[QN_IFNAME_MAX + 32];
	uint64_t idx;

	if (c->netfd < 0) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof path, "%s/ifindex", ifname);
	if (read_u64_at(c->netfd, path, &idx))
		return -1;
	if (idx == 0 || idx > 0x7fffffff) {
		errno = EINVAL;
		return -1;
	}
	*ifindex = (int)idx;
	if (!c->netdev_loaded) {
		char *text;
		ssize_t len;

		c->netdev_loaded = 1;
		c->ndevs = -1;
		len = read_all_at(c->procfd, "self/net/dev", &text);
		if (len < 0) {
			c->netdev_errno = errno;
		} else {
			/* Indexed once: a host with a thousand VMs has a
			 * thousand lines to look names up in. */
			c->ndevs =
			    decode_netdev_all(text, (size_t)len, &c->devs);
			if (c->ndevs < 0)
				c->netdev_errno = ENOMEM;
			free(text);
		}
	}
	if (c->ndevs <= 0 ||
	    !(e = qn_netdev_find(c->devs, (size_t)c->ndevs, ifname))) {
		errno = ENOENT;
		return -1;
	}
	*d = e->s;
	return 0;
}

static void load_ifindexes(struct ctx *c)
{
	DIR *d;
	struct dirent *e;
	int fd;

	c->idx_loaded = 1;
	if (c->netfd < 0)
		return;
	fd = openat(c->netfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		char path[QN_IFNAME_MAX + 16];
		uint64_t idx;
		struct idx *ni;

		if (e->d_name[0] == '.' || strlen(e->d_name) >= QN_IFNAME_MAX)
			continue;
		snprintf(path, sizeof path, "%s/ifindex", e->d_name);
		if (read_u64_at(c->netfd, path, &idx) || idx > 0x7fffffff)
			continue;
		ni = realloc(c->idx, (c->nidx + 1) * sizeof *ni);
		if (!ni)
			break;
		c->idx = ni;
		c->idx[c->nidx].ifindex = (int)idx;
		strcpy(c->idx[c->nidx].name, e->d_name);
		c->nidx++;
	}
	closedir(d);
}

static const char *macvtap_name(struct ctx *c, int ifindex)
{
	if (!c->idx_loaded)
		load_ifindexes(c);
	for (size_t i = 0; i < c->nidx; i++)
		if (c->idx[i].ifindex == ifindex)
			return c->idx[i].name;
	return NULL;
}

struct found {
	char name[QN_IFNAME_MAX];
	int macvtap;
};

static int add_found(struct found *f, size_t *n, const char *name, int macvtap)
{
	/* Multiqueue taps show one name on several descriptors. */
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(f[i].name, name))
			return 0;
	if (*n == QN_IFACES_MAX)
		return 0;
	strcpy(f[*n].name, name);
	f[*n].macvtap = macvtap;
	(*n)++;
	return 0;
}

/*
 * Find the tap names a process holds.  Prefers readlink on <pid>/fd/N
 * (one syscall per descriptor, and the only way to see macvtap); where
 * that directory is closed to us (another user's process: it is mode
 * 0500) falls back to <pid>/fdinfo, which CAP_SYS_PTRACE opens.
 * Returns 0, or -1 with errno (EACCES/EPERM: refused; ENOENT: gone).
 */
static int find_taps(struct ctx *c, int pid, int same_netns, struct found *f,
		     size_t *nf, const char **what)
{
	char path[64];
	int dfd, by_link = 1;
	DIR *d;
	struct dirent *e;
	size_t seen = 0;

	snprintf(path, sizeof path, "%d/fd", pid);
	*what = "fd";
	dfd = openat(c->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && (errno == EACCES || errno == EPERM)) {
		by_link = 0;
		*what = "fdinfo";
		snprintf(path, sizeof path, "%d/fdinfo", pid);
		dfd =
		    openat(c->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	errno = 0;
	while ((e = readdir(d)) && seen++ < FDS_MAX) {
		char buf[1024], ifname[QN_IFNAME_MAX];
		ssize_t n;

		if (!is_digits(e->d_name))
			continue;
		if (by_link) {
			char target[64];
			int ifindex = 0;
			enum qn_fd_kind kind;

			n = readlinkat(dfd, e->d_name, target,
				       sizeof target - 1);
			if (n < 0) {
				if (errno == EACCES || errno == EPERM)
					goto refused;
				continue; /* closed meanwhile */
			}
			target[n] = '\0';
			kind = decode_fd_target(target, &ifindex);
			if (kind == QN_FD_MACVTAP && same_netns) {
				const char *name = macvtap_name(c, ifindex);

				if (name)
					add_found(f, nf, name, 1);
				continue;
			}
			if (kind != QN_FD_TUN)
				continue;
		}
		snprintf(path, sizeof path, "%d/fdinfo/%s", pid, e->d_name);
		n = read_at(c->procfd, path, buf, sizeof buf, 1);
		if (n < 0) {
			if (errno == EACCES || errno == EPERM)
				goto refused;
			continue;
		}
		if (decode_fdinfo_iff(buf, (size_t)n, ifname) == 0)
			add_found(f, nf, ifname, 0);
	}
	closedir(d);
	return 0;
refused:
	*what = by_link ? "fd" : "fdinfo";
	closedir(d);
	errno = EACCES;
	return -1;
}

static int grow(struct qn_scan *s)
{
	struct qn_proc *p;
	size_t cap;

	if (s->n < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 8;
	p = realloc(s->procs, cap * sizeof *p);
	if (!p)
		return -1;
	s->procs = p;
	s->cap = cap;
	return 0;
}

static void denied(struct qn_scan *s, struct qn_proc *p, const char *what)
{
	p->readable = 0;
	if (!s->denied++) {
		s->denied_pid = p->pid;
		snprintf(s->denied_what, sizeof s->denied_what, "%s", what);
	}
}

/* Everything about one QEMU process after its command line.  Returns -1
 * if the process vanished meanwhile (it is then not reported). */
static int scan_qemu(struct ctx *c, struct qn_scan *s, struct qn_proc *p)
{
	char path[64], buf[1024];
	struct found f[QN_IFACES_MAX];
	size_t nf = 0;
	char *netdev = NULL;
	ssize_t netdev_len = 0;
	int netdev_read = 0;
	const char *what;
	uint64_t netns;
	int same;
	ssize_t n;

	snprintf(path, sizeof path, "%d/ns/net", p->pid);
	if (read_netns(c->procfd, path, &netns)) {
		if (errno != EACCES && errno != EPERM)
			return -1;
		denied(s, p, "ns/net");
		return 0;
	}
	same = netns == c->self_netns;
	if (!same) {
		/* Without an ifindex (a device of another namespace), the
		 * process's start time tells a restart from a continuation
		 * (see compute_fold); in ours the ifindex does. */
		snprintf(path, sizeof path, "%d/stat", p->pid);
		n = read_at(c->procfd, path, buf, sizeof buf, 1);
		if (n < 0 || decode_stat_starttime(buf, (size_t)n, &p->start))
			p->start = 0;
	}
	if (find_taps(c, p->pid, same, f, &nf, &what)) {
		if (errno != EACCES && errno != EPERM)
			return -1;
		denied(s, p, what);
		return 0;
	}
	p->readable = 1;
	for (size_t i = 0; i < nf; i++) {
		struct qn_ifread *r = &p->ifs[p->nif];
		struct qn_devstats d;

		memset(r, 0, sizeof *r);
		memset(&d, 0, sizeof d);
		strcpy(r->name, f[i].name);
		r->netns = netns;
		if (same) {
			if (read_dev_stats(c, f[i].name, &d, &r->ifindex))
				continue;
		} else {
			/* In its own namespace the process's net/dev shows
			 * its own devices: the one case it is meaningful. */
			if (!netdev_read) {
				netdev_read = 1;
				snprintf(path, sizeof path, "%d/net/dev",
					 p->pid);
				netdev_len =
				    read_all_at(c->procfd, path, &netdev);
			}
			if (netdev_len <= 0 ||
			    decode_netdev(netdev, (size_t)netdev_len, f[i].name,
					  &d))
				continue;
		}
		qn_counters_from_dev(&r->c, &d, !f[i].macvtap);
		p->nif++;
	}
	free(netdev);
	return 0;
}

int procscan_run(const struct qn_scan_opts *o, struct qn_scan *s)
{
	struct ctx c = {.o = o, .procfd = -1, .netfd = -1};
	char path[4096];
	char *cmd = NULL;
	size_t cmdcap = 4096;
	DIR *d = NULL;
	struct dirent *e;
	int rc = -1, dfd;

	c.procfd = open(o->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.procfd < 0)
		goto out;
	snprintf(path, sizeof path, "%s/class/net", o->sys_root);
	c.netfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (read_netns(c.procfd, "self/ns/net", &c.self_netns))
		c.self_netns = 0;
	cmd = malloc(cmdcap);
	dfd = dup(c.procfd);
	if (!cmd || dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0 && !d)
			close(dfd);
		goto out;
	}
	while ((e = readdir(d))) {
		struct qn_proc *p;
		ssize_t n;
		int pid;

		if (e->d_name[0] < '1' || e->d_name[0] > '9' ||
		    !is_digits(e->d_name) || strlen(e->d_name) > 9)
			continue;
		s->processes++;
		pid = atoi(e->d_name);
		snprintf(path, sizeof path, "%d/cmdline", pid);
		/* One read is enough to tell QEMU from the rest (argv[0]
		 * comes first); only QEMU's command line is read whole. */
		n = read_at(c.procfd, path, cmd, 4096, 1);
		if (n < 0) {
			s->vanished++;
			continue;
		}
		if (n == 0 || !decode_is_qemu(cmd, (size_t)n))
			continue;
		if ((size_t)n == 4096) {
			/* A long QEMU command line: read it whole. */
			char *big = realloc(cmd, CMDLINE_MAX);

			if (!big)
				goto out;
			cmd = big;
			cmdcap = CMDLINE_MAX;
			n = read_at(c.procfd, path, cmd, cmdcap, 0);
			if (n < 0) {
				s->vanished++;
				continue;
			}
		}
		if (s->n >= o->max_procs) {
			s->over_cap++;
			continue;
		}
		if (grow(s))
			goto out;
		p = &s->procs[s->n];
		memset(p, 0, sizeof *p);
		p->pid = pid;
		if (decode_cmdline(cmd, (size_t)n, o->rules, pid, &p->cl))
			continue;
		if (scan_qemu(&c, s, p)) {
			s->vanished++;
			continue;
		}
		s->n++;
	}
	rc = 0;
	s->netdev_errno = c.netdev_errno;
out:
	if (d)
		closedir(d);
	free(cmd);
	free(c.idx);
	free(c.devs);
	if (c.netfd >= 0)
		close(c.netfd);
	if (c.procfd >= 0)
		close(c.procfd);
	return rc;
}

void procscan_free(struct qn_scan *s)
{
	free(s->procs);
	memset(s, 0, sizeof *s);
}
