/* SPDX-License-Identifier: MIT */
#include "pins.h"
#include "errbuf.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

const struct pins_map_desc pins_maps[] = {
    {"edges", sizeof(struct bpf_snap_key), sizeof(__u32), BPF_SNAP_MAP_EDGES},
    {"conn_lat", sizeof(struct bpf_snap_key), sizeof(struct bpf_snap_hist),
     BPF_SNAP_MAP_CONN_LAT},
    {"tx_lat", sizeof(struct bpf_snap_key), sizeof(struct bpf_snap_hist),
     BPF_SNAP_MAP_TX_LAT},
    {"pend_conn", 4, sizeof(struct bpf_snap_pending), BPF_SNAP_MAP_PEND_CONN},
    {"pend_tx", 4, sizeof(struct bpf_snap_pending), -1},
    {"targets", BPF_SNAP_COMM_LEN, sizeof(struct bpf_snap_target), -1},
    {"dropped", 4, 8, -1},
    {"info", 4, sizeof(struct bpf_snap_info), -1},
    {"edge_counts", 4, sizeof(struct bpf_snap_edge_slot), -1},
};
const size_t pins_n_maps = sizeof pins_maps / sizeof pins_maps[0];

const char *const pins_links[] = {"bs_sock_state", "bs_send_len", "bs_recv_len",
				  "bs_sendmsg4", "bs_sendmsg6"};
const size_t pins_n_links = sizeof pins_links / sizeof pins_links[0];

enum {
	M_EDGES,
	M_CONN,
	M_TX,
	M_PCONN,
	M_PTX,
	M_TARGETS,
	M_DROPPED,
	M_INFO,
	M_ECOUNTS
};


static int is_bpffs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 &&
	       (unsigned long)sf.f_type == (unsigned long)BPF_FS_MAGIC;
}

int pins_bpffs_ready(const char *dir, int may_mount, int *mounted, char *err,
		     size_t errlen)
{
	char p[PATH_MAX];
	size_t rl = strlen(PINS_BPFFS_ROOT);

	*mounted = 0;
	if (!strncmp(dir, PINS_BPFFS_ROOT, rl) &&
	    (dir[rl] == '/' || dir[rl] == '\0')) {
		if (is_bpffs(PINS_BPFFS_ROOT))
			return 0;
		if (!may_mount)
			return errbuf_set(err, errlen, ENOENT,
				      "%s: not a bpf filesystem",
				      PINS_BPFFS_ROOT);
		if (mount("bpf", PINS_BPFFS_ROOT, "bpf", 0, "mode=0700") < 0)
			return errbuf_set(
			    err, errlen, errno == EPERM ? EPERM : errno,
			    "%s: not a bpf filesystem and cannot "
			    "mount one (%s); run as root: mount -t "
			    "bpf bpf %s",
			    PINS_BPFFS_ROOT, strerror(errno), PINS_BPFFS_ROOT);
		*mounted = 1;
		return 0;
	}
	/* Another place: the nearest existing ancestor must be a bpffs. */
	snprintf(p, sizeof p, "%s", dir);
	for (;;) {
		struct stat st;
		char *slash;

		if (stat(p, &st) == 0)
			break;
		slash = strrchr(p, '/');
		if (!slash || slash == p) {
			snprintf(p, sizeof p, "/");
			break;
		}
		*slash = '\0';
	}
	if (!is_bpffs(p))
		return errbuf_set(err, errlen, ENOTSUP,
			      "%s: not on a bpf filesystem (%s is not)", dir,
			      p);
	return 0;
}

static void pin_path(char *buf, size_t len, const char *dir, const char *pfx,
		     const char *name)
{
	snprintf(buf, len, "%s/%s%s", dir, pfx, name);
}

int pins_attached(const char *dir)
{
	char p[PATH_MAX];
	size_t have = 0;

	for (size_t i = 0; i < pins_n_links; i++) {
		pin_path(p, sizeof p, dir, "link_", pins_links[i]);
		if (access(p, F_OK) == 0)
			have++;
		else if (errno == EACCES)
			return -2; /* cannot tell: not allowed to look */
	}
	if (have == pins_n_links)
		return 1;
	if (have == 0)
		return 0;
	errno = EUCLEAN;
	return -1;
}

/*
 * Walk a hash or array map in chunks of up to WALK_CHUNK entries, calling
 * fn(keys, values, n, arg) for each; at most cap entries in all.
 * Batched lookups cost one syscall per chunk; kernels and map types
 * without them fall back to get_next_key + lookup.  The chunk buffers are
 * the only memory used here, so a full map is never held twice.
 */
#define WALK_CHUNK 1024
typedef void (*walk_fn)(const char *keys, const char *vals, size_t n,
			void *arg);

static int map_walk(int fd, unsigned ksz, unsigned vsz, unsigned cap,
		    walk_fn fn, void *arg)
{
	size_t chunk = WALK_CHUNK, total = 0;
	char *keys = malloc(chunk * ksz), *vals = malloc(chunk * vsz);
	__u32 in = 0, out = 0;
	int first = 1, e = 0;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	if (!keys || !vals) {
		e = ENOMEM;
		goto out;
	}
	while (total < cap) {
		__u32 count =
		    (__u32)(cap - total < chunk ? cap - total : chunk);
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					     vals, &count, &opts);

		if (r < 0 && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUP ||
				      errno == EOPNOTSUPP || errno == 524))
				goto slow;
			e = errno;
			goto out;
		}
		if (count)
			fn(keys, vals, count, arg);
		total += count;
		if (r < 0) /* ENOENT: that was the last chunk */
			goto out;
		in = out;
		first = 0;
	}
	goto out;
slow : {
	size_t n = 0;
	char prev[64];
	int have_prev = 0;

	if (ksz > sizeof prev) {
		e = EINVAL;
		goto out;
	}
	while (total + n < cap &&
	       bpf_map_get_next_key(fd, have_prev ? prev : NULL,
				    keys + n * ksz) == 0) {
		memcpy(prev, keys + n * ksz, ksz);
		have_prev = 1;
		if (bpf_map_lookup_elem(fd, keys + n * ksz, vals + n * vsz) ==
		    0)
			n++;
		else if (errno != ENOENT) {
			e = errno;
			goto out;
		}
		/* A key deleted in between is skipped. */
		if (n == chunk) {
			fn(keys, vals, n, arg);
			total += n;
			n = 0;
		}
	}
	if (n)
		fn(keys, vals, n, arg);
}
out:
	free(keys);
	free(vals);
	if (e) {
		errno = e;
		return -1;
	}
	return 0;
}

/* Appending walk results to an array of key+value records. */
struct sink {
	char *recs;
	size_t n, cap;
	unsigned ksz, vsz, recsz, voff;
};

static void sink_add(const char *keys, const char *vals, size_t n, void *arg)
{
	struct sink *sk = arg;

	for (size_t i = 0; i < n && sk->n < sk->cap; i++, sk->n++) {
		char *r = sk->recs + sk->n * sk->recsz;

		memcpy(r, keys + i * sk->ksz, sk->ksz);
		memcpy(r + sk->voff, vals + i * sk->vsz, sk->vsz);
	}
}

/* Connects in flight in pend_conn: slots whose timer runs (a finished
 * connect stops it, so unlike "slots ever used" this cannot creep up to
 * the capacity and read as a full map). */
static void count_used(const char *keys, const char *vals, size_t n, void *arg)
{
	(void)keys;
	for (size_t i = 0; i < n; i++) {
		struct bpf_snap_pending p;

		memcpy(&p, vals + i * sizeof p, sizeof p);
		if (p.cookie && p.start_ns)
			(*(size_t *)arg)++;
	}
}

/* The same count on a mappable array, read in place: a full table is
 * 1 MB that need not be copied.  -1 if the map cannot be mapped. */
/* A read-only mapping of a mappable array's values, *len bytes; NULL
 * if the map cannot be mapped (the caller then copies). */
static const void *map_values(int fd, const struct bpf_map_info *info,
			      size_t *len)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *m;

	*len = (size_t)info->max_entries * info->value_size;
	if (!(info->map_flags & BPF_F_MMAPABLE) || !*len || pg <= 0 ||
	    info->value_size % 8)
		return NULL;
	*len = (*len + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
	m = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : m;
}

static int count_mapped(int fd, const struct bpf_map_info *info, size_t *n)
{
	size_t len;
	const char *m = map_values(fd, info, &len);

	if (!m)
		return -1;
	count_used(NULL, m, info->max_entries, n);
	munmap((void *)m, len);
	return 0;
}

/* Appending the valid slots of edge_counts to an array of records. */
struct edge_sink {
	struct snap_edge *e;
	size_t n, cap;
};

static void edge_slots_add(const char *keys, const char *vals, size_t n,
			   void *arg)
{
	struct edge_sink *sk = arg;
	const struct bpf_snap_edge_slot *v = (const void *)vals;

	(void)keys;
	for (size_t i = 0; i < n && sk->n < sk->cap; i++) {
		/* valid is set after the key is written, with a fully
		 * ordered exchange: read it first. */
		if (!__atomic_load_n(&v[i].valid, __ATOMIC_ACQUIRE))
			continue;
		sk->e[sk->n].key = v[i].key;
		sk->e[sk->n].val = v[i].c;
		sk->n++;
	}
}

/*
 * The edge records: the valid slots of edge_counts, each holding its key
 * and counters, read in place through a mapping (the whole array through
 * bpf(2) otherwise).  The array of records is sized for the capacity
 * with calloc, which maps it lazily: only the slots in use take memory.
 */
static int edge_slots_read(int fd, const struct bpf_map_info *info,
			   struct snap_edge **out, size_t *n)
{
	struct edge_sink sk = {0};
	size_t len;
	const char *m;

	sk.cap = info->max_entries;
	sk.e = calloc(sk.cap ? sk.cap : 1, sizeof *sk.e);
	if (!sk.e)
		return -1;
	if ((m = map_values(fd, info, &len))) {
		edge_slots_add(NULL, m, info->max_entries, &sk);
		munmap((void *)m, len);
	} else if (map_walk(fd, info->key_size, info->value_size,
			    info->max_entries, edge_slots_add, &sk) < 0) {
		int e = errno;

		free(sk.e);
		errno = e;
		return -1;
	}
	*out = sk.e;
	*n = sk.n;
	return 0;
}

/*
 * Read a whole map into a new array of records of recsz bytes, key at 0
 * and value at voff.  The array is sized for the map's capacity with
 * calloc, which maps it lazily: only the entries present take memory.
 */
static int map_read_recs(int fd, unsigned ksz, unsigned vsz, unsigned cap,
			 size_t recsz, size_t voff, void **out, size_t *n)
{
	struct sink sk = {0};

	sk.recs = calloc(cap ? cap : 1, recsz);
	if (!sk.recs)
		return -1;
	sk.cap = cap;
	sk.ksz = ksz;
	sk.vsz = vsz;
	sk.recsz = (unsigned)recsz;
	sk.voff = (unsigned)voff;
	if (map_walk(fd, ksz, vsz, cap, sink_add, &sk) < 0) {
		int e = errno;

		free(sk.recs);
		errno = e;
		return -1;
	}
	*out = sk.recs;
	*n = sk.n;
	return 0;
}

static int open_map(const char *dir, size_t i, struct bpf_map_info *info,
		    char *err, size_t errlen)
{
	char p[PATH_MAX];
	__u32 len = sizeof *info;
	int fd;

	pin_path(p, sizeof p, dir, "", pins_maps[i].name);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return errbuf_set(err, errlen, errno, "%s: %s", p, strerror(errno));
	memset(info, 0, sizeof *info);
	if (bpf_obj_get_info_by_fd(fd, info, &len) < 0) {
		int e = errno;

		close(fd);
		return errbuf_set(err, errlen, e, "%s: %s", p, strerror(e));
	}
	if (info->key_size != pins_maps[i].key_size ||
	    info->value_size != pins_maps[i].value_size) {
		close(fd);
		return errbuf_set(err, errlen, EPROTO,
			      "%s: pinned by an incompatible bpf-snap (key %u "
			      "value %u bytes, expected %u and %u): run "
			      "bpf-snap detach, then attach",
			      p, info->key_size, info->value_size,
			      pins_maps[i].key_size, pins_maps[i].value_size);
	}
	return fd;
}

int pins_read(const char *dir, struct snapshot *s, struct pins_data *d,
	      char *err, size_t errlen)
{
	int fds[16];
	struct bpf_map_info info[16];
	int rc = -1, e = 0;
	size_t i;
	void *vp;

	memset(s, 0, sizeof *s);
	memset(d, 0, sizeof *d);
	s->attached_since = NAN;
	for (i = 0; i < pins_n_maps; i++)
		fds[i] = -1;
	switch (pins_attached(dir)) {
	case -2:
		return errbuf_set(err, errlen, EACCES,
			      "%s: permission denied: reading the pins needs "
			      "root (or CAP_BPF and access to the directory)",
			      dir);
	case 0:
		return errbuf_set(err, errlen, ENOENT,
			      "%s: nothing attached: run bpf-snap attach", dir);
	case -1:
		return errbuf_set(err, errlen, ENOENT,
			      "%s: only partly attached: run bpf-snap detach, "
			      "then attach",
			      dir);
	}
	for (i = 0; i < pins_n_maps; i++)
		if ((fds[i] = open_map(dir, i, &info[i], err, errlen)) < 0) {
			e = errno;
			goto out;
		}
	/* edge_counts holds each key beside its counters: the edges hash,
	 * which the programs look keys up in, need not be read. */
	if (edge_slots_read(fds[M_ECOUNTS], &info[M_ECOUNTS], &d->edges,
			    &s->n_edges) < 0)
		goto readfail;
	s->edges = d->edges;
	if (map_read_recs(fds[M_CONN], sizeof(struct bpf_snap_key),
			  sizeof(struct bpf_snap_hist),
			  info[M_CONN].max_entries, sizeof(struct snap_hist),
			  offsetof(struct snap_hist, val), &vp, &s->n_conn) < 0)
		goto readfail;
	s->conn = d->conn = vp;
	if (map_read_recs(fds[M_TX], sizeof(struct bpf_snap_key),
			  sizeof(struct bpf_snap_hist), info[M_TX].max_entries,
			  sizeof(struct snap_hist),
			  offsetof(struct snap_hist, val), &vp, &s->n_tx) < 0)
		goto readfail;
	s->tx = d->tx = vp;
	/* Targets: the keys are the comms, the values carry everything. */
	if (map_read_recs(
		fds[M_TARGETS], BPF_SNAP_COMM_LEN,
		sizeof(struct bpf_snap_target), info[M_TARGETS].max_entries,
		sizeof(struct bpf_snap_target), 0, &vp, &s->n_targets) < 0)
		goto readfail;
	s->targets = d->targets = vp;
	/* Fill levels, in pins_maps order (lookup tables last). */
	for (i = 0; i < pins_n_maps && i < SNAPSHOT_MAX_MAPS; i++) {
		struct snap_map *m;
		size_t cnt;

		/* pend_tx has no fill level worth a series: its slots keep
		 * the owners (and the timers of sockets that never received)
		 * until another socket takes them, so it always looks full. */
		if (i == M_DROPPED || i == M_INFO || i == M_PTX ||
		    i == M_ECOUNTS)
			continue;
		m = &s->maps[s->n_maps++];
		m->name = pins_maps[i].name;
		m->capacity = info[i].max_entries;
		switch (i) {
		case M_EDGES:
			cnt = s->n_edges;
			break;
		case M_CONN:
			cnt = s->n_conn;
			break;
		case M_TX:
			cnt = s->n_tx;
			break;
		case M_TARGETS:
			cnt = s->n_targets;
			break;
		default:
			cnt = 0;
			if (count_mapped(fds[i], &info[i], &cnt) < 0 &&
			    map_walk(fds[i], info[i].key_size,
				     info[i].value_size, info[i].max_entries,
				     count_used, &cnt) < 0)
				goto readfail;
		}
		m->entries = cnt;
		if (pins_maps[i].has_dropped >= 0) {
			__u32 key = (__u32)pins_maps[i].has_dropped;
			__u64 val = 0;

			if (bpf_map_lookup_elem(fds[M_DROPPED], &key, &val) < 0)
				goto readfail;
			m->dropped = val;
			m->has_dropped = 1;
		}
	}
	{
		__u32 key = 0;
		struct bpf_snap_info bi;

		if (bpf_map_lookup_elem(fds[M_INFO], &key, &bi) < 0)
			goto readfail;
		if (bi.version != BPF_SNAP_INFO_VERSION) {
			errbuf_set(err, errlen, EPROTO,
			       "%s/info: version %u, expected %u: run bpf-snap "
			       "detach, then attach",
			       dir, bi.version, BPF_SNAP_INFO_VERSION);
			e = EPROTO;
			goto out;
		}
		if (bi.attached_unix_ns)
			s->attached_since = (double)bi.attached_unix_ns / 1e9;
	}
	rc = 0;
	goto out;
readfail:
	e = errno;
	errbuf_set(err, errlen, e, "%s: reading maps: %s", dir, strerror(e));
out:
	for (i = 0; i < pins_n_maps; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc < 0) {
		pins_data_free(d);
		errno = e;
	}
	return rc;
}

void pins_data_free(struct pins_data *d)
{
	free(d->edges);
	free(d->conn);
	free(d->tx);
	free(d->targets);
	memset(d, 0, sizeof *d);
}

int pins_remove_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char p[PATH_MAX];
	int n = 0;

	if (!dp)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (unlink(p) == 0)
			n++;
	}
	closedir(dp);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -1;
	return n;
}

size_t pins_remove_stale(const char *dir)
{
	char parent[PATH_MAX], p[PATH_MAX];
	const char *base = strrchr(dir, '/');
	size_t baselen, removed = 0;
	char *slash;
	struct dirent *de;
	DIR *dp;

	base = base ? base + 1 : dir;
	baselen = strlen(base);
	snprintf(parent, sizeof parent, "%s", dir);
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	if (!(dp = opendir(parent)))
		return 0;
	while ((de = readdir(dp))) {
		char *end;
		long pid;
		int r;

		if (strncmp(de->d_name, base, baselen) ||
		    strncmp(de->d_name + baselen, "-new-", 5))
			continue;
		pid = strtol(de->d_name + baselen + 5, &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		snprintf(p, sizeof p, "%s/%s", parent, de->d_name);
		if ((r = pins_remove_dir(p)) > 0)
			removed += (size_t)r;
	}
	closedir(dp);
	return removed;
}

/* IDs of what a pin directory holds, to check they are gone. */
struct held {
	__u32 prog[8], link[8], map[16];
	size_t n_prog, n_link, n_map;
};

static void collect_ids(const char *dir, struct held *h)
{
	char p[PATH_MAX];

	for (size_t i = 0; i < pins_n_links && h->n_link < 8; i++) {
		struct bpf_link_info li;
		__u32 len = sizeof li;
		int fd;

		pin_path(p, sizeof p, dir, "link_", pins_links[i]);
		if ((fd = bpf_obj_get(p)) < 0)
			continue;
		memset(&li, 0, sizeof li);
		if (bpf_obj_get_info_by_fd(fd, &li, &len) == 0) {
			h->link[h->n_link++] = li.id;
			if (h->n_prog < 8)
				h->prog[h->n_prog++] = li.prog_id;
			/* Unpinning releases a raw_tp link; a cgroup link
			 * is also held by the cgroup until detached. */
			if (li.type == BPF_LINK_TYPE_CGROUP)
				bpf_link_detach(fd);
		}
		close(fd);
	}
	for (size_t i = 0; i < pins_n_maps && h->n_map < 16; i++) {
		struct bpf_map_info mi;
		__u32 len = sizeof mi;
		int fd;

		pin_path(p, sizeof p, dir, "", pins_maps[i].name);
		if ((fd = bpf_obj_get(p)) < 0)
			continue;
		memset(&mi, 0, sizeof mi);
		if (bpf_obj_get_info_by_fd(fd, &mi, &len) == 0)
			h->map[h->n_map++] = mi.id;
		close(fd);
	}
}

/* Whether the object behind an ID still exists: 1 yes, 0 no, -1 cannot
 * tell (looking objects up by ID needs CAP_SYS_ADMIN). */
static int exists(int (*get)(__u32), __u32 id)
{
	int fd = get(id);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == ENOENT)
		return 0;
	return errno == EPERM || errno == EACCES ? -1 : 1;
}

/* Name of the first object of h that still exists, or NULL; "" if the
 * objects cannot be looked up at all. */
static const char *still_there(const struct held *h, __u32 *id)
{
	static const struct {
		const char *what;
		int (*get)(__u32);
	} kinds[] = {{"link", bpf_link_get_fd_by_id},
		     {"program", bpf_prog_get_fd_by_id},
		     {"map", bpf_map_get_fd_by_id}};
	const __u32 *ids[] = {h->link, h->prog, h->map};
	size_t n[] = {h->n_link, h->n_prog, h->n_map};

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < n[k]; i++)
			switch (exists(kinds[k].get, ids[k][i])) {
			case 1:
				*id = ids[k][i];
				return kinds[k].what;
			case -1:
				return "";
			}
	return NULL;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pins_detach(const char *dir, double timeout, size_t *removed, int *verified,
		char *err, size_t errlen)
{
	struct held h;
	char parent[PATH_MAX], p[PATH_MAX];
	const char *base, *what;
	size_t baselen;
	double deadline;
	DIR *dp;
	__u32 id = 0;
	int r;

	memset(&h, 0, sizeof h);
	*removed = 0;
	*verified = 1;
	collect_ids(dir, &h);
	if ((r = pins_remove_dir(dir)) < 0)
		return errbuf_set(err, errlen, errno, "%s: %s", dir,
			      strerror(errno));
	*removed += (size_t)r;
	/* Pin directories of an attach that died half-way. */
	snprintf(parent, sizeof parent, "%s", dir);
	base = strrchr(dir, '/');
	base = base ? base + 1 : dir;
	baselen = strlen(base);
	{
		char *slash = strrchr(parent, '/');

		if (slash)
			*slash = '\0';
		else
			snprintf(parent, sizeof parent, ".");
	}
	if ((dp = opendir(parent))) {
		struct dirent *de;

		while ((de = readdir(dp))) {
			if (strncmp(de->d_name, base, baselen) ||
			    strncmp(de->d_name + baselen, "-new-", 5))
				continue;
			snprintf(p, sizeof p, "%s/%s", parent, de->d_name);
			collect_ids(p, &h);
			if ((r = pins_remove_dir(p)) > 0)
				*removed += (size_t)r;
		}
		closedir(dp);
	}
	/* The parent attach created, if nothing else lives there now
	 * (rmdir fails on a non-empty directory and on the mount point). */
	if (strcmp(parent, PINS_BPFFS_ROOT) && strcmp(parent, "."))
		rmdir(parent);
	/* The kernel frees programs and maps after an RCU grace period. */
	deadline = mono() + timeout;
	while ((what = still_there(&h, &id))) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		if (!*what) {
			*verified = 0;
			break;
		}
		if (mono() > deadline)
			return errbuf_set(err, errlen, ETIMEDOUT,
				      "%s id %u still loaded %.1f s after "
				      "unpinning",
				      what, id, timeout);
		nanosleep(&ts, NULL);
	}
	return 0;
}

static const char *link_type_name(__u32 t)
{
	switch (t) {
	case BPF_LINK_TYPE_RAW_TRACEPOINT:
		return "raw_tracepoint";
	case BPF_LINK_TYPE_CGROUP:
		return "cgroup";
	}
	return "other";
}

int pins_status(const char *dir, FILE *out, char *err, size_t errlen)
{
	struct snapshot s;
	struct pins_data d;
	char p[PATH_MAX];
	int a = pins_attached(dir);

	if (a == -2)
		return errbuf_set(err, errlen, EACCES, "%s: permission denied",
			      dir);
	if (a == 0) {
		fprintf(out, "not attached (no pins in %s)\n", dir);
		return errbuf_set(err, errlen, ENOENT, "%s: nothing attached", dir);
	}
	if (a == -1) {
		fprintf(out,
			"partly attached in %s: run bpf-snap detach, "
			"then attach\n",
			dir);
		return errbuf_set(err, errlen, ENOENT, "%s: partly attached", dir);
	}
	if (pins_read(dir, &s, &d, err, errlen) < 0)
		return -1;
	fprintf(out, "attached, pins in %s\n", dir);
	if (!isnan(s.attached_since)) {
		time_t t = (time_t)s.attached_since;
		struct tm tm;
		char ts[64];

		gmtime_r(&t, &tm);
		strftime(ts, sizeof ts, "%Y-%m-%d %H:%M:%S UTC", &tm);
		fprintf(out, "since %s\n", ts);
	}
	if (s.n_targets == 0)
		fprintf(out, "filter: none, every process counted by comm\n");
	else {
		fprintf(out, "filter: %zu targets\n", s.n_targets);
		for (size_t i = 0; i < s.n_targets; i++)
			fprintf(out, "  target %u: %.*s\n", s.targets[i].id,
				(int)sizeof s.targets[i].name,
				s.targets[i].name);
	}
	for (size_t i = 0; i < pins_n_links; i++) {
		struct bpf_link_info li;
		struct bpf_prog_info pi;
		__u32 len = sizeof li, plen = sizeof pi;
		int fd, pfd;

		pin_path(p, sizeof p, dir, "link_", pins_links[i]);
		memset(&li, 0, sizeof li);
		memset(&pi, 0, sizeof pi);
		if ((fd = bpf_obj_get(p)) < 0 ||
		    bpf_obj_get_info_by_fd(fd, &li, &len) < 0) {
			fprintf(out, "link %-14s unreadable: %s\n",
				pins_links[i], strerror(errno));
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		if ((pfd = bpf_prog_get_fd_by_id(li.prog_id)) >= 0) {
			bpf_obj_get_info_by_fd(pfd, &pi, &plen);
			close(pfd);
		}
		fprintf(out, "link %-14s %-14s link id %u, prog id %u (%s)\n",
			pins_links[i], link_type_name(li.type), li.id,
			li.prog_id, pi.name[0] ? pi.name : "?");
	}
	for (size_t i = 0; i < s.n_maps; i++) {
		fprintf(out, "map  %-14s %llu/%llu entries", s.maps[i].name,
			(unsigned long long)s.maps[i].entries,
			(unsigned long long)s.maps[i].capacity);
		if (s.maps[i].has_dropped)
			fprintf(out, ", %llu dropped",
				(unsigned long long)s.maps[i].dropped);
		fputc('\n', out);
	}
	pins_data_free(&d);
	return 0;
}
