/* SPDX-License-Identifier: MIT */
#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "openbatch.h"

/* A QEMU command line longer than this is cut (the id rules then see a
 * prefix); libvirt's run to a few kilobytes. */
#define CMDLINE_MAX (256 * 1024)
/* Descriptors looked at per process: QEMU holds a few dozen, plus two
 * per vhost queue; this bounds the work on a process that holds many. */
#define FDS_MAX 65536
/* Pids a thread claims at a time, their command lines opened together:
 * small enough that two threads end together when one of them is slowed
 * down, large enough that claiming costs nothing beside the ~7 us of
 * reading one cmdline. */
#define CHUNK OPENBATCH_MAX
/* Descriptors held besides the chunks': ours before the scan (standard
 * streams, lock, state, the new .prom) and the scan's own; and each
 * thread's besides its chunk (its ring, a QEMU process's fd directory
 * and fdinfo, a net/dev). */
#define FDS_BASE       16
#define FDS_PER_THREAD 8
/* /proc is listed in reads of LIST_READ bytes, each scanned before the
 * next is made, as readdir would: the kernel's structures of a few
 * hundred processes are still in cache when their cmdlines are read
 * (listing all two thousand first cost a tenth more kernel cycles).
 * The first read is of LIST_FIRST bytes (some 60 names, then a hundred
 * pids): every thread waits for it, the later ones are made while
 * others scan.  Below THREAD_MIN_PIDS processes a second thread costs
 * more than it saves. */
#define LIST_READ	16384
#define LIST_FIRST	4096
#define LOW_WATER	(4 * CHUNK)
#define THREAD_MIN_PIDS 400
#define THREADS_MAX	8
/* Entries of <proc> listed at most: the kernel's largest pid_max, in
 * blocks allocated as the list grows. */
#define PIDS_MAX  (1u << 22)
#define PID_BLOCK 1024

struct ctx {
	const struct qn_scan_opts *o;
	int procfd, netfd; /* <proc>, <sys>/class/net (-1 if absent) */
	int ifsock;	   /* for SIOCGIFINDEX where <sys> is /sys, or -1 */
	uint64_t self_netns;
	/* The pids of <proc>, in its order, in blocks that never move
	 * under a reader.  Threads claim CHUNKs of what is published; the
	 * one that finds nothing left lists more (listing), into buf,
	 * while the others wait for it (more). */
	int *blocks[PIDS_MAX / PID_BLOCK];
	size_t npids, reads;
	size_t chunk; /* CHUNK, less under a low RLIMIT_NOFILE */
	char *buf;
	int list_err; /* ENOMEM: the list could not grow */
	/* Guards what follows, and what is loaded by whichever thread
	 * needs it first. */
	pthread_mutex_t lock;
	pthread_cond_t more; /* published grew, or listed became 1 */
	size_t published, next;
	int listing, listed;
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

	if (c->ifsock >= 0) {
		/* The real /sys: the kernel is asked directly, one syscall
		 * of 0.7 us where opening the sysfs file took 6 (kernfs)
		 * and reading and closing it two more, for every tap. */
		struct ifreq ifr;

		memset(&ifr, 0, sizeof ifr);
		if (strlen(ifname) >= sizeof ifr.ifr_name) {
			errno = ENODEV;
			return -1;
		}
		strcpy(ifr.ifr_name, ifname);
		if (ioctl(c->ifsock, SIOCGIFINDEX, &ifr))
			return -1;
		idx = (uint64_t)(unsigned)ifr.ifr_ifindex;
	} else {
		if (c->netfd < 0) {
			errno = ENOENT;
			return -1;
		}
		snprintf(path, sizeof path, "%s/ifindex", ifname);
		if (read_u64_at(c->netfd, path, &idx))
			return -1;
	}
	if (idx == 0 || idx > 0x7fffffff) {
		errno = EINVAL;
		return -1;
	}
	*ifindex = (int)idx;
	pthread_mutex_lock(&c->lock);
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
	e = c->ndevs > 0 ? qn_netdev_find(c->devs, (size_t)c->ndevs, ifname)
			 : NULL;
	if (e)
		*d = e->s;
	pthread_mutex_unlock(&c->lock);
	if (!e) {
		errno = ENOENT;
		return -1;
	}
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

/* The name of the device with this ifindex into name; 0, or -1. */
static int macvtap_name(struct ctx *c, int ifindex, char name[QN_IFNAME_MAX])
{
	int rc = -1;

	pthread_mutex_lock(&c->lock);
	if (!c->idx_loaded)
		load_ifindexes(c);
	for (size_t i = 0; i < c->nidx; i++)
		if (c->idx[i].ifindex == ifindex) {
			strcpy(name, c->idx[i].name);
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return rc;
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

/* "<pid>/<rest>" into path (at least 16 + strlen(rest) bytes): the one
 * path format of the scan, built by hand because it is built for every
 * process on the host. */
static void pid_path(char *path, int pid, const char *rest)
{
	char digits[12];
	size_t n = 0;
	unsigned v = (unsigned)pid;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*path++ = digits[--n];
	*path++ = '/';
	strcpy(path, rest);
}

/*
 * Find the tap names a process holds.  Prefers readlink on <pid>/fd/N
 * (one syscall per descriptor, and the only way to see macvtap); where
 * that directory is closed to us (another user's process: it is mode
 * 0500) falls back to <pid>/fdinfo, which CAP_SYS_PTRACE opens.  The
 * directory is read with getdents64 into a buffer of our own: opendir
 * would add an fstat and two fcntl per process.
 * Returns 0, or -1 with errno (EACCES/EPERM: refused; ENOENT: gone).
 */
static int find_taps(struct ctx *c, int pid, int same_netns, struct found *f,
		     size_t *nf, const char **what)
{
	char path[64], dents[8192];
	int dfd, by_link = 1;
	size_t seen = 0;
	ssize_t len;

	pid_path(path, pid, "fd");
	*what = "fd";
	dfd = openat(c->procfd, path,
		     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (dfd < 0 && (errno == EACCES || errno == EPERM)) {
		by_link = 0;
		*what = "fdinfo";
		pid_path(path, pid, "fdinfo");
		dfd = openat(c->procfd, path,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	}
	if (dfd < 0)
		return -1;
	while (seen < FDS_MAX &&
	       (len = getdents64(dfd, dents, sizeof dents)) > 0) {
		for (ssize_t off = 0; off < len && seen++ < FDS_MAX;) {
			const struct dirent64 *e =
			    (const struct dirent64 *)(dents + off);
			char buf[1024], ifname[QN_IFNAME_MAX];
			ssize_t n;

			off += e->d_reclen;
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
					if (!macvtap_name(c, ifindex, ifname))
						add_found(f, nf, ifname, 1);
					continue;
				}
				if (kind != QN_FD_TUN)
					continue;
			}
			snprintf(path, sizeof path, "%d/fdinfo/%s", pid,
				 e->d_name);
			n = read_at(c->procfd, path, buf, sizeof buf, 1);
			if (n < 0) {
				if (errno == EACCES || errno == EPERM)
					goto refused;
				continue;
			}
			if (decode_fdinfo_iff(buf, (size_t)n, ifname) == 0)
				add_found(f, nf, ifname, 0);
		}
	}
	/* A read error here is a process that went away meanwhile: it is
	 * reported with what was found, as before it went. */
	close(dfd);
	return 0;
refused:
	*what = by_link ? "fd" : "fdinfo";
	close(dfd);
	errno = EACCES;
	return -1;
}

/* One thread's share of the scan: what it found, in list order. */
struct part {
	struct ctx *c;
	struct qn_scan s;
	size_t *seq;	   /* seq[i]: the place of s.procs[i] in the list */
	size_t denied_seq; /* the place of the first refused process */
	int err;	   /* ENOMEM: the scan failed */
	pthread_t tid;
};

static int grow(struct part *pt)
{
	struct qn_scan *s = &pt->s;
	struct qn_proc *p;
	size_t *q, cap;

	if (s->n < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 8;
	p = realloc(s->procs, cap * sizeof *p);
	if (!p)
		return -1;
	s->procs = p;
	q = realloc(pt->seq, cap * sizeof *q);
	if (!q)
		return -1;
	pt->seq = q;
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

	pid_path(path, p->pid, "ns/net");
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
		pid_path(path, p->pid, "stat");
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
				pid_path(path, p->pid, "net/dev");
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

/*
 * One process of the list: its command line, from fd (<pid>/cmdline
 * opened, or -errno), and if it is QEMU's, everything else about it
 * (into pt).  cmd is a buffer of 4096 bytes; *big one of CMDLINE_MAX,
 * allocated on first need.  Returns 0, or -1 with errno ENOMEM.
 */
static int scan_pid(struct part *pt, size_t i, int fd, char *cmd, char **big)
{
	struct ctx *c = pt->c;
	struct qn_scan *s = &pt->s;
	struct qn_proc *p;
	size_t denied0 = s->denied;
	int pid = c->blocks[i / PID_BLOCK][i % PID_BLOCK];
	ssize_t n = -1;

	/* One read is enough to tell QEMU from the rest (argv[0] comes
	 * first, and the kernel hands out what fits at once); only QEMU's
	 * command line is read whole. */
	if (fd >= 0)
		while ((n = read(fd, cmd, 4096)) < 0 && errno == EINTR)
			;
	if (n < 0) {
		s->vanished++;
		return 0;
	}
	if (n == 0 || !decode_is_qemu(cmd, (size_t)n))
		return 0;
	if (n == 4096) {
		/* A long QEMU command line (libvirt's run to several
		 * kilobytes): the rest is read on from the same descriptor. */
		size_t got = 4096;

		if (!*big && !(*big = malloc(CMDLINE_MAX)))
			return -1;
		memcpy(*big, cmd, got);
		cmd = *big;
		while (got < CMDLINE_MAX) {
			ssize_t k = read(fd, cmd + got, CMDLINE_MAX - got);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				s->vanished++;
				return 0;
			}
			if (k == 0)
				break;
			got += (size_t)k;
		}
		n = (ssize_t)got;
	}
	if (s->n >= c->o->max_procs) {
		s->over_cap++;
		return 0;
	}
	if (grow(pt))
		return -1;
	p = &s->procs[s->n];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	if (decode_cmdline(cmd, (size_t)n, c->o->rules, pid, &p->cl))
		return 0;
	if (scan_qemu(c, s, p)) {
		s->vanished++;
		return 0;
	}
	if (!denied0 && s->denied)
		pt->denied_seq = i;
	pt->seq[s->n++] = i;
	return 0;
}

static ssize_t list_read(struct ctx *c);

/* Claims the next CHUNK of the list, listing more first when less than
 * LOW_WATER pids are left: a read takes about as long as scanning 100
 * pids, so the other threads seldom wait for it.  Returns its start and
 * stores its end in *end; start >= end: no more. */
static size_t claim(struct ctx *c, size_t *end)
{
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		int low = c->published - c->next < LOW_WATER;

		if (!(low && !c->listing && !c->listed) &&
		    (c->next < c->published || c->listed)) {
			i = c->next;
			*end = i + c->chunk < c->published ? i + c->chunk
							   : c->published;
			c->next = *end > i ? *end : i;
			break;
		}
		if (c->listing) {
			pthread_cond_wait(&c->more, &c->lock);
			continue;
		}
		/* Low on pids, nobody listing: this thread lists. */
		c->listing = 1;
		pthread_mutex_unlock(&c->lock);
		/* Alone in writing the list: the others read only what
		 * is published, under the lock. */
		if (list_read(c) <= 0) {
			pthread_mutex_lock(&c->lock);
			c->listed = 1;
		} else {
			pthread_mutex_lock(&c->lock);
		}
		c->published = c->npids;
		c->listing = 0;
		pthread_cond_broadcast(&c->more);
	}
	pthread_mutex_unlock(&c->lock);
	return i;
}

/*
 * A thread's loop: claims CHUNKs of the list until none is left.  The
 * command lines of a chunk are opened together and closed together
 * (openbatch): a process then costs one syscall, its read, where it cost
 * three.  A QEMU process's own files are opened and closed while the
 * chunk's are open, above them, as openbatch_close() requires.
 */
static void *scan_part(void *arg)
{
	struct part *pt = arg;
	struct ctx *c = pt->c;
	char cmd[4096], *big = NULL;
	char paths[CHUNK][24];
	const char *pp[CHUNK];
	int fds[CHUNK];
	struct openbatch *b;
	size_t i, end;

	b = openbatch_new();
	if (!b) {
		pt->err = errno;
		return NULL;
	}
	for (size_t k = 0; k < CHUNK; k++)
		pp[k] = paths[k];
	while ((i = claim(c, &end)) < end) {
		size_t n = end - i;

		for (size_t k = 0; k < n; k++)
			pid_path(
			    paths[k],
			    c->blocks[(i + k) / PID_BLOCK][(i + k) % PID_BLOCK],
			    "cmdline");
		openbatch_open(b, c->procfd, pp, n, fds);
		for (size_t k = 0; k < n; k++)
			if (scan_pid(pt, i + k, fds[k], cmd, &big)) {
				pt->err = errno;
				break;
			}
		openbatch_close(b, fds, n);
		if (pt->err)
			break;
	}
	openbatch_free(b);
	free(big);
	return NULL;
}

/* One getdents64 of <proc> into c->buf: its pids appended to the list
 * (the caller publishes them).  Returns the count of bytes read: 0 at
 * the end of the list, and on a read error (what was listed is
 * scanned), at PIDS_MAX or when a block could not be allocated
 * (list_err). */
static ssize_t list_read(struct ctx *c)
{
	char *buf = c->buf;
	ssize_t got =
	    getdents64(c->procfd, buf, c->reads++ ? LIST_READ : LIST_FIRST);
	size_t n = c->npids;

	for (ssize_t off = 0; off < got && n < PIDS_MAX;) {
		const struct dirent64 *e = (const struct dirent64 *)(buf + off);
		const char *d = e->d_name;
		int pid = 0;
		size_t k;

		off += e->d_reclen;
		if (d[0] < '1' || d[0] > '9')
			continue;
		for (k = 0; d[k] >= '0' && d[k] <= '9' && k < 10; k++)
			pid = pid * 10 + (d[k] - '0');
		if (d[k] || k > 9)
			continue;
		if (n % PID_BLOCK == 0 && !(c->blocks[n / PID_BLOCK] = malloc(
						PID_BLOCK * sizeof(int)))) {
			c->list_err = ENOMEM;
			break;
		}
		c->blocks[n / PID_BLOCK][n % PID_BLOCK] = pid;
		n++;
	}
	c->npids = n;
	return got > 0 && n < PIDS_MAX && !c->list_err ? got : 0;
}

static size_t pick_threads(const struct qn_scan_opts *o, size_t npids)
{
	cpu_set_t set;

	if (o->threads > 0)
		return o->threads < THREADS_MAX ? (size_t)o->threads
						: THREADS_MAX;
	/* Automatic: two where two CPUs may run us and there is enough to
	 * share; a monitoring tool takes no more of a big host. */
	if (npids < THREAD_MIN_PIDS || sched_getaffinity(0, sizeof set, &set) ||
	    CPU_COUNT(&set) < 2)
		return 1;
	return 2;
}

/*
 * Pids a thread claims at a time when np threads scan: CHUNK, or as many
 * as RLIMIT_NOFILE leaves room to hold open together (1 at the least, as
 * one at a time needed): an open that failed with EMFILE would count a
 * live process, perhaps a VM, as vanished.
 */
static size_t chunk_size(size_t np)
{
	struct rlimit rl;
	size_t per;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= FDS_BASE + np * (FDS_PER_THREAD + CHUNK))
		return CHUNK;
	per = rl.rlim_cur > FDS_BASE ? (rl.rlim_cur - FDS_BASE) / np : 0;
	return per > FDS_PER_THREAD + 1 ? per - FDS_PER_THREAD : 1;
}

/*
 * The parts' findings into s, in list order (each part's are in order
 * already: chunks are claimed in increasing order), keeping the first
 * max_procs QEMU processes as one thread would.  Returns 0, or -1
 * (ENOMEM).
 */
static int merge(struct part *pt, size_t np, size_t max, struct qn_scan *s)
{
	size_t total = 0, at[THREADS_MAX] = {0};
	const struct part *first_denied = NULL;

	for (size_t k = 0; k < np; k++) {
		total += pt[k].s.n;
		s->vanished += pt[k].s.vanished;
		s->denied += pt[k].s.denied;
		s->over_cap += pt[k].s.over_cap;
		if (pt[k].s.denied &&
		    (!first_denied ||
		     pt[k].denied_seq < first_denied->denied_seq))
			first_denied = &pt[k];
	}
	if (first_denied) {
		s->denied_pid = first_denied->s.denied_pid;
		memcpy(s->denied_what, first_denied->s.denied_what,
		       sizeof s->denied_what);
	}
	if (np == 1) {
		s->procs = pt[0].s.procs;
		s->n = pt[0].s.n;
		s->cap = pt[0].s.cap;
		pt[0].s.procs = NULL;
		return 0;
	}
	if (!total)
		return 0;
	s->procs = malloc((total < max ? total : max) * sizeof *s->procs);
	if (!s->procs)
		return -1;
	s->cap = total < max ? total : max;
	for (size_t done = 0; done < total; done++) {
		size_t best = np;

		for (size_t k = 0; k < np; k++)
			if (at[k] < pt[k].s.n &&
			    (best == np ||
			     pt[k].seq[at[k]] < pt[best].seq[at[best]]))
				best = k;
		if (s->n < max)
			s->procs[s->n++] = pt[best].s.procs[at[best]];
		else
			s->over_cap++;
		at[best]++;
	}
	return 0;
}

int procscan_run(const struct qn_scan_opts *o, struct qn_scan *s)
{
	struct ctx c = {.o = o, .procfd = -1, .netfd = -1, .ifsock = -1};
	struct part pt[THREADS_MAX];
	struct stat st;
	char path[4096];
	size_t np = 0;
	int rc = -1, err = 0;

	memset(pt, 0, sizeof pt);
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.more, NULL);
	c.procfd = open(o->proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.procfd < 0)
		goto out;
	snprintf(path, sizeof path, "%s/class/net", o->sys_root);
	c.netfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Where <sys> is the kernel's own, an ifindex is asked of it (in
	 * our namespace, as the counters from our net/dev are); a tree of
	 * a test's, or no socket (AF_UNIX refused), is read. */
	if (!strcmp(o->sys_root, "/sys"))
		c.ifsock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (read_netns(c.procfd, "self/ns/net", &c.self_netns))
		c.self_netns = 0;
	c.buf = malloc(LIST_READ);
	if (!c.buf)
		goto out;
	/* The link count of <proc> says how many processes there are
	 * (procfs counts them in; a directory's subdirectories do too), so
	 * the other threads start before anything is listed: one of them
	 * lists while the rest start up, where waiting for a first read
	 * left them 0.5 ms behind (in a pid namespace it is the host's
	 * count: a second thread too many costs ~0.1 ms).  This thread is
	 * among them, and does what one that could not be started would
	 * have done. */
	np = pick_threads(o, fstat(c.procfd, &st) ? 0 : (size_t)st.st_nlink);
	c.chunk = chunk_size(np);
	for (size_t k = 0; k < np; k++)
		pt[k].c = &c;
	for (size_t k = 1; k < np; k++)
		if (pthread_create(&pt[k].tid, NULL, scan_part, &pt[k]))
			pt[k].c = NULL;
	scan_part(&pt[0]);
	for (size_t k = 1; k < np; k++)
		if (pt[k].c)
			pthread_join(pt[k].tid, NULL);
	s->processes = c.npids;
	err = c.list_err;
	for (size_t k = 0; k < np; k++)
		if (pt[k].err)
			err = pt[k].err;
	if (err) {
		errno = err;
		goto out;
	}
	if (merge(pt, np, o->max_procs, s))
		goto out;
	rc = 0;
	s->netdev_errno = c.netdev_errno;
out:
	if (rc)
		err = errno;
	for (size_t k = 0; k < np; k++) {
		free(pt[k].s.procs);
		free(pt[k].seq);
	}
	free(c.buf);
	for (size_t b = 0; b * PID_BLOCK < c.npids; b++)
		free(c.blocks[b]);
	free(c.idx);
	free(c.devs);
	if (c.netfd >= 0)
		close(c.netfd);
	if (c.ifsock >= 0)
		close(c.ifsock);
	if (c.procfd >= 0)
		close(c.procfd);
	pthread_cond_destroy(&c.more);
	pthread_mutex_destroy(&c.lock);
	if (rc)
		errno = err;
	return rc;
}

void procscan_free(struct qn_scan *s)
{
	free(s->procs);
	memset(s, 0, sizeof *s);
}
