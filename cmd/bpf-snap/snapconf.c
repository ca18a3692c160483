/* SPDX-License-Identifier: MIT */
#include "snapconf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void snapconf_init(struct snapconf *c)
{
	memset(c, 0, sizeof *c);
	c->all = 1;
	c->max_edges = 16384;
	c->max_conn_lat = 4096;
	c->max_tx_lat = 4096;
	c->max_pending = 16384;
}

static void note(struct snapconf *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct snapconf *c, const char *fmt, ...)
{
	va_list ap;

	if (c->n_notes >= SNAPCONF_MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(c->notes[c->n_notes++], sizeof c->notes[0], fmt, ap);
	va_end(ap);
}

static int compile_target(const struct cfg_node *item, const char *path,
			  struct snapconf *c, char *err, size_t errlen)
{
	static const char *const keys[] = {"name", "match_comm", NULL};
	struct snapconf_target *t = &c->targets[c->n_targets];
	const char *name = NULL, *comm = NULL;
	size_t n;

	if (cfg_check_keys(item, path, keys, err, errlen) < 0)
		return -1;
	if (cfg_get_str(item, path, "name", &name, err, errlen) < 0 ||
	    cfg_get_str(item, path, "match_comm", &comm, err, errlen) < 0)
		return -1;
	if (!comm || !*comm)
		return cfg_error(item, path, err, errlen,
				 "match_comm: expected a process name "
				 "(/proc/<pid>/comm)");
	/* The old agent's label defaults to nothing useful; the comm is
	 * the natural label when name is left out. */
	if (!name || !*name)
		name = comm;
	if (strlen(name) >= sizeof t->name)
		return cfg_error(item, path, err, errlen,
				 "name: longer than %zu bytes",
				 sizeof t->name - 1);
	n = strlen(comm);
	if (n >= BPF_SNAP_COMM_LEN) {
		/* The kernel keeps only the first 15 bytes of a comm, so
		 * this is what such a process shows. */
		n = BPF_SNAP_COMM_LEN - 1;
		note(c,
		     "%s.match_comm: \"%s\" is longer than %d bytes; "
		     "matching its first %d, as the kernel truncates comm",
		     path, comm, BPF_SNAP_COMM_LEN - 1, BPF_SNAP_COMM_LEN - 1);
	}
	memset(t, 0, sizeof *t);
	memcpy(t->comm, comm, n);
	snprintf(t->name, sizeof t->name, "%s", name);
	for (size_t i = 0; i < c->n_targets; i++)
		if (!memcmp(c->targets[i].comm, t->comm, sizeof t->comm))
			return cfg_error(item, path, err, errlen,
					 "match_comm \"%.*s\" is already "
					 "matched by targets[%zu]",
					 (int)n, t->comm, i);
	c->n_targets++;
	return 0;
}

static int compile_maps(const struct cfg_node *maps, struct snapconf *c,
			char *err, size_t errlen)
{
	static const char *const keys[] = {"edges", "conn_lat", "tx_lat",
					   "pending", NULL};
	uint32_t *dst[] = {&c->max_edges, &c->max_conn_lat, &c->max_tx_lat,
			   &c->max_pending};

	if (cfg_check_keys(maps, "maps", keys, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < 4; i++) {
		long long v = *dst[i];

		if (cfg_get_int(maps, "maps", keys[i], SNAPCONF_MIN_ENTRIES,
				SNAPCONF_MAX_ENTRIES, &v, err, errlen) < 0)
			return -1;
		*dst[i] = (uint32_t)v;
	}
	return 0;
}

int snapconf_compile(const struct cfg_node *root, struct snapconf *c, char *err,
		     size_t errlen)
{
	static const char *const keys[] = {
	    "interfaces", "targets", "export", "otel", "all", "maps", NULL};
	const struct cfg_node *seq = NULL, *n;
	char path[64];
	int all = 0;

	if (!root || (root->kind == CFG_SCALAR && root->is_null))
		return 0;
	if (cfg_check_keys(root, "", keys, err, errlen) < 0)
		return -1;
	if (cfg_get_seq(root, "", "targets", &seq, err, errlen) < 0)
		return -1;
	for (size_t i = 0; seq && i < seq->n; i++) {
		cfg_path_index(path, sizeof path, "targets", i);
		if (c->n_targets >= SNAPCONF_MAX_TARGETS)
			return cfg_error(seq->items[i], path, err, errlen,
					 "more than %d targets",
					 SNAPCONF_MAX_TARGETS);
		if (compile_target(seq->items[i], path, c, err, errlen) < 0)
			return -1;
	}
	if (cfg_get_bool(root, "", "all", &all, err, errlen) < 0)
		return -1;
	c->all = all || c->n_targets == 0;
	if (all && c->n_targets)
		note(c, "all: true: counting every process under its comm; "
			"targets are ignored");
	if ((n = cfg_get(root, "interfaces")) &&
	    !(n->kind == CFG_SEQ && n->n == 0) &&
	    !(n->kind == CFG_SCALAR && n->is_null)) {
		if (n->kind != CFG_SEQ)
			return cfg_error(n, "interfaces", err, errlen,
					 "expected a list of interface names");
		note(c, "interfaces: accepted and reserved; every interface "
			"is counted");
	}
	if ((n = cfg_get(root, "export")) && n->kind == CFG_MAP && n->n)
		note(c, "export: not used: bpf-snap writes a textfile that "
			"node_exporter serves");
	if ((n = cfg_get(root, "otel")) && n->kind == CFG_MAP && n->n) {
		const char *ep = NULL;

		cfg_get_str(n, "otel", "endpoint", &ep, err, errlen);
		if (ep && *ep)
			note(c, "otel: not used: bpf-snap exports no spans");
	}
	if ((n = cfg_get(root, "maps")) &&
	    !(n->kind == CFG_SCALAR && n->is_null) &&
	    compile_maps(n, c, err, errlen) < 0)
		return -1;
	return 0;
}

void snapconf_filter_entry(const struct snapconf *c, size_t i,
			   char key[BPF_SNAP_COMM_LEN],
			   struct bpf_snap_target *val)
{
	memcpy(key, c->targets[i].comm, BPF_SNAP_COMM_LEN);
	memset(val, 0, sizeof *val);
	val->id = (uint32_t)(i + 1);
	memcpy(val->name, c->targets[i].name, sizeof val->name);
}

/* Copy a mountinfo field, undoing the kernel's \ooo escapes. */
static int unescape(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '\\' && i + 3 < n && s[i + 1] >= '0' &&
		    s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			ch = (char)((s[i + 1] - '0') * 64 +
				    (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= outlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

int decode_mountinfo_cgroup2(const char *text, size_t len, char *out,
			     size_t outlen)
{
	const char *end = text + len, *line = text;

	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *f[6], *p = line, *sep;
		size_t fl[6], nf = 0;

		if (!eol)
			eol = end;
		/* Fields: id parent major:minor root mountpoint ... */
		while (nf < 6 && p < eol) {
			const char *sp = memchr(p, ' ', (size_t)(eol - p));

			if (!sp)
				sp = eol;
			f[nf] = p;
			fl[nf++] = (size_t)(sp - p);
			p = sp + 1;
		}
		sep = NULL;
		for (const char *q = line; q + 3 <= eol; q++)
			if (q[0] == ' ' && q[1] == '-' && q[2] == ' ') {
				sep = q + 3;
				break;
			}
		if (nf == 6 && sep && (size_t)(eol - sep) >= 8 &&
		    !memcmp(sep, "cgroup2 ", 8) && fl[3] == 1 && f[3][0] == '/')
			return unescape(f[4], fl[4], out, outlen);
		line = eol + 1;
	}
	errno = ENOENT;
	return -1;
}
