/* SPDX-License-Identifier: MIT */
#include "attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf_snap.skel.h"
#include "errbuf.h"
#include "log.h"
#include "pins.h"

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	/* libbpf is chatty and its lines end in newlines; they matter
	 * only when diagnosing a load failure (-v). */
	char buf[1024];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(buf, sizeof buf, fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_info("libbpf: %s", buf);
	return 0;
}


static int mkdir_parents(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof p, "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

static int pin_all(struct bpf_snap_bpf *skel, const char *dir, char *err,
		   size_t errlen)
{
	struct bpf_map *maps[] = {skel->maps.edges,   skel->maps.conn_lat,
				  skel->maps.tx_lat,  skel->maps.pend_conn,
				  skel->maps.pend_tx, skel->maps.targets,
				  skel->maps.dropped, skel->maps.info,
				  skel->maps.edge_counts};
	struct bpf_link *links[] = {
	    skel->links.bs_sock_state, skel->links.bs_send_len,
	    skel->links.bs_recv_len, skel->links.bs_sendmsg4,
	    skel->links.bs_sendmsg6};
	char p[PATH_MAX];

	for (size_t i = 0; i < pins_n_maps; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, pins_maps[i].name);
		if (bpf_map__pin(maps[i], p) < 0)
			return errbuf_set(err, errlen, errno, "pin %s: %s", p,
				      strerror(errno));
	}
	for (size_t i = 0; i < pins_n_links; i++) {
		snprintf(p, sizeof p, "%s/link_%s", dir, pins_links[i]);
		if (bpf_link__pin(links[i], p) < 0)
			return errbuf_set(err, errlen, errno, "pin %s: %s", p,
				      strerror(errno));
	}
	return 0;
}

static int fill_maps(struct bpf_snap_bpf *skel, const struct snapconf *c,
		     double now, char *err, size_t errlen)
{
	int tfd = bpf_map__fd(skel->maps.targets);
	int ifd = bpf_map__fd(skel->maps.info);
	struct bpf_snap_info info = {0};
	__u32 zero = 0;

	for (size_t i = 0; !c->all && i < c->n_targets; i++) {
		char key[BPF_SNAP_COMM_LEN];
		struct bpf_snap_target val;

		snapconf_filter_entry(c, i, key, &val);
		if (bpf_map_update_elem(tfd, key, &val, BPF_NOEXIST) < 0)
			return errbuf_set(err, errlen, errno, "targets map: %s",
				      strerror(errno));
	}
	info.version = BPF_SNAP_INFO_VERSION;
	info.filtered = c->all ? 0 : 1;
	info.attached_unix_ns = (__u64)(now * 1e9);
	if (bpf_map_update_elem(ifd, &zero, &info, BPF_ANY) < 0)
		return errbuf_set(err, errlen, errno, "info map: %s",
			      strerror(errno));
	return 0;
}

int attach_run(const struct attach_opts *o, const struct snapconf *c, char *err,
	       size_t errlen)
{
	struct bpf_snap_bpf *skel = NULL;
	char tmp[PATH_MAX];
	__u32 pend_slots = 1;
	size_t n;
	int cgfd = -1, rc = -1, e = 0, made_tmp = 0;

	switch (pins_attached(o->dir)) {
	case -2:
		return errbuf_set(err, errlen, EACCES, "%s: permission denied",
			      o->dir);
	case 1:
		return errbuf_set(err, errlen, EEXIST, "%s: already attached",
			      o->dir);
	case -1:
		log_warn("%s: removing the pins of a partial attachment",
			 o->dir);
		if (pins_remove_dir(o->dir) < 0)
			return errbuf_set(err, errlen, errno, "%s: %s", o->dir,
				      strerror(errno));
	}
	if ((n = pins_remove_stale(o->dir)))
		log_warn("%s: removed %zu pins of an attach that died half-way",
			 o->dir, n);
	libbpf_set_print(o->verbose ? libbpf_log : NULL);
	if (mkdir_parents(o->dir) < 0)
		return errbuf_set(err, errlen, errno, "%s: %s", o->dir,
			      strerror(errno));
	cgfd = open(o->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return errbuf_set(err, errlen, errno, "cgroup %s: %s", o->cgroup,
			      strerror(errno));
	snprintf(tmp, sizeof tmp, "%s-new-%ld", o->dir, (long)getpid());
	skel = bpf_snap_bpf__open();
	if (!skel) {
		e = errno;
		errbuf_set(err, errlen, e, "open BPF object: %s", strerror(e));
		goto out;
	}
	skel->rodata->filtered = c->all ? 0 : 1;
	skel->rodata->noop = o->noop ? 1 : 0;
	/* The socket tables are direct-mapped: a power of two of slots. */
	while (pend_slots < c->max_pending)
		pend_slots <<= 1;
	skel->rodata->pend_mask = pend_slots - 1;
	skel->rodata->edge_cap = (__u32)c->max_edges;
	if (bpf_map__set_max_entries(skel->maps.edges, c->max_edges) ||
	    bpf_map__set_max_entries(skel->maps.edge_counts, c->max_edges) ||
	    bpf_map__set_max_entries(skel->maps.conn_lat, c->max_conn_lat) ||
	    bpf_map__set_max_entries(skel->maps.tx_lat, c->max_tx_lat) ||
	    bpf_map__set_max_entries(skel->maps.pend_conn, pend_slots) ||
	    bpf_map__set_max_entries(skel->maps.pend_tx, pend_slots)) {
		e = errno;
		errbuf_set(err, errlen, e, "map sizes: %s", strerror(e));
		goto out;
	}
	if (bpf_snap_bpf__load(skel)) {
		e = errno;
		errbuf_set(err, errlen, e,
		       "load BPF programs: %s (run with -v for the "
		       "verifier's log)",
		       strerror(e));
		goto out;
	}
	if (fill_maps(skel, c, o->now, err, errlen) < 0) {
		e = errno;
		goto out;
	}
#define ATTACH(prog, expr)                                                     \
	do {                                                                   \
		skel->links.prog = (expr);                                     \
		if (!skel->links.prog) {                                       \
			e = errno;                                             \
			errbuf_set(err, errlen, e, "attach %s: %s", #prog,         \
			       strerror(e));                                   \
			goto out;                                              \
		}                                                              \
	} while (0)
	ATTACH(bs_sock_state, bpf_program__attach(skel->progs.bs_sock_state));
	ATTACH(bs_send_len, bpf_program__attach(skel->progs.bs_send_len));
	ATTACH(bs_recv_len, bpf_program__attach(skel->progs.bs_recv_len));
	ATTACH(bs_sendmsg4,
	       bpf_program__attach_cgroup(skel->progs.bs_sendmsg4, cgfd));
	ATTACH(bs_sendmsg6,
	       bpf_program__attach_cgroup(skel->progs.bs_sendmsg6, cgfd));
#undef ATTACH
	if (mkdir(tmp, 0700) < 0) {
		e = errno;
		errbuf_set(err, errlen, e, "%s: %s", tmp, strerror(e));
		goto out;
	}
	made_tmp = 1;
	if (pin_all(skel, tmp, err, errlen) < 0) {
		e = errno;
		goto out;
	}
	if (rename(tmp, o->dir) < 0) {
		e = errno;
		errbuf_set(err, errlen, e, "rename %s to %s: %s", tmp, o->dir,
		       strerror(e));
		goto out;
	}
	made_tmp = 0;
	rc = 0;
out:
	if (made_tmp)
		pins_remove_dir(tmp);
	/* Closing our descriptors leaves the pinned objects running; on
	 * failure nothing is pinned, so this detaches everything. */
	bpf_snap_bpf__destroy(skel);
	if (cgfd >= 0)
		close(cgfd);
	if (rc < 0)
		errno = e;
	return rc;
}
