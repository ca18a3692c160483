/* SPDX-License-Identifier: MIT */
#include "targets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "parse_num.h"

void tp_conf_defaults(struct tp_conf *c)
{
	c->count = 10;
	c->interval = 0.1;
	c->timeout = 1;
	c->min_timeout = 0.05;
	c->max_timeout = 5;
	c->adaptive = 1;
	c->mode = MODE_ECHO;
	c->targets_file = NULL;
}

int tp_parse_mode(const char *s, enum probe_mode *m)
{
	if (!strcmp(s, "echo"))
		*m = MODE_ECHO;
	else if (!strcmp(s, "connect"))
		*m = MODE_CONNECT;
	else
		return -1;
	return 0;
}

int target_split_address(const char *addr, char *host, size_t hostlen,
			 char *port, size_t portlen, char *err, size_t errlen)
{
	const char *colon, *h = addr;
	size_t hl;
	long long p;
	char perr[128];

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':')
			return errbuf_set(
			    err, errlen, EINVAL,
			    "expected \"[ipv6]:port\", got \"%.80s\"", addr);
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return errbuf_set(
			    err, errlen, EINVAL,
			    "expected \"host:port\", got \"%.80s\"", addr);
		hl = (size_t)(colon - addr);
		/* A bare IPv6 address would split at its last colon and
		 * silently probe the wrong port. */
		if (memchr(addr, ':', hl))
			return errbuf_set(err, errlen, EINVAL,
					  "IPv6 addresses need brackets: "
					  "\"[addr]:port\", got \"%.80s\"",
					  addr);
	}
	if (hl == 0 && addr[0] == '[')
		return errbuf_set(err, errlen, EINVAL,
				  "empty host in \"%.80s\"", addr);
	if (hl == 0)
		return errbuf_set(err, errlen, EINVAL,
				  "empty host in \"%.80s\"", addr);
	if (hl >= hostlen || hl > TARGET_HOST_MAX)
		return errbuf_set(err, errlen, EINVAL,
				  "host name longer than %d bytes",
				  TARGET_HOST_MAX);
	for (size_t i = 0; i < hl; i++) {
		unsigned char ch = (unsigned char)h[i];
		if (ch <= ' ' || ch >= 0x7f || ch == '/' || ch == '[' ||
		    ch == ']')
			return errbuf_set(err, errlen, EINVAL,
					  "invalid character in host \"%.80s\"",
					  addr);
	}
	if (parse_int(colon + 1, 1, 65535, &p, perr, sizeof perr))
		return errbuf_set(err, errlen, EINVAL, "port: %s", perr);
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%lld", p);
	return 0;
}

static int set_target(struct target *t, const char *name, size_t namelen,
		      const char *addr, char *err, size_t errlen)
{
	if (namelen == 0)
		return errbuf_set(err, errlen, EINVAL, "empty target name");
	if (namelen > TARGET_NAME_MAX)
		return errbuf_set(err, errlen, EINVAL,
				  "target name longer than %d bytes",
				  TARGET_NAME_MAX);
	if (strlen(addr) > TARGET_ADDR_MAX)
		return errbuf_set(err, errlen, EINVAL,
				  "address longer than %d bytes",
				  TARGET_ADDR_MAX);
	if (target_split_address(addr, t->host, sizeof t->host, t->port,
				 sizeof t->port, err, errlen))
		return -1;
	memcpy(t->name, name, namelen);
	t->name[namelen] = '\0';
	/* A NUL inside a name would cut the label short. */
	if (strlen(t->name) != namelen)
		return errbuf_set(err, errlen, EINVAL,
				  "NUL byte in target name");
	snprintf(t->address, sizeof t->address, "%s", addr);
	return 0;
}

int target_parse_spec(const char *spec, struct target *t, char *err,
		      size_t errlen)
{
	const char *eq = strchr(spec, '=');

	memset(t, 0, sizeof *t);
	if (!eq)
		return set_target(t, spec, strlen(spec), spec, err, errlen);
	return set_target(t, spec, (size_t)(eq - spec), eq + 1, err, errlen);
}

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

/* The set slot holding name, or the empty slot where it would go. */
static size_t *set_slot(const struct target_list *l, const char *name)
{
	size_t mask = l->setcap - 1;

	for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask)
		if (!l->set[i] || !strcmp(l->v[l->set[i] - 1].name, name))
			return &l->set[i];
}

static int set_grow(struct target_list *l)
{
	size_t cap = l->setcap ? 2 * l->setcap : 64;
	size_t *old = l->set, oldcap = l->setcap;

	l->set = calloc(cap, sizeof *l->set);
	if (!l->set) {
		l->set = old;
		return -1;
	}
	l->setcap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			*set_slot(l, l->v[old[i] - 1].name) = old[i];
	free(old);
	return 0;
}

int targets_add(struct target_list *l, const struct target *t, char *err,
		size_t errlen)
{
	size_t *slot;

	if (l->n >= TARGETS_MAX)
		return errbuf_set(err, errlen, EINVAL, "more than %d targets",
				  TARGETS_MAX);
	/* Keep the set at most half full. */
	if (2 * (l->n + 1) > l->setcap && set_grow(l))
		return errbuf_set(err, errlen, EINVAL, "out of memory");
	slot = set_slot(l, t->name);
	if (*slot)
		return errbuf_set(err, errlen, EINVAL,
				  "duplicate target name \"%s\"", t->name);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct target *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return errbuf_set(err, errlen, EINVAL, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *t;
	*slot = l->n;
	return 0;
}

void targets_free(struct target_list *l)
{
	free(l->v);
	free(l->set);
	l->v = NULL;
	l->set = NULL;
	l->n = l->cap = l->setcap = 0;
}

int targets_from_cfg(const struct cfg_node *seq, const char *path,
		     struct target_list *l, char *err, size_t errlen)
{
	static const char *const keys[] = {"name", "address", NULL};
	char ipath[256], why[256];

	if (seq->kind != CFG_SEQ)
		return cfg_error(seq, path[0] ? path : "targets", err, errlen,
				 "expected a list of {name, address}");
	for (size_t i = 0; i < seq->n; i++) {
		const struct cfg_node *it = seq->items[i], *addr;
		const char *name = NULL, *address = NULL;
		struct target t;

		cfg_path_index(ipath, sizeof ipath, path, i);
		if (cfg_check_keys(it, ipath, keys, err, errlen))
			return -1;
		if (cfg_get_str(it, ipath, "name", &name, err, errlen) < 0 ||
		    cfg_get_str(it, ipath, "address", &address, err, errlen) <
			0)
			return -1;
		if (!name)
			return cfg_error(it, ipath, err, errlen,
					 "missing key \"name\"");
		if (!address)
			return cfg_error(it, ipath, err, errlen,
					 "missing key \"address\"");
		addr = cfg_get(it, "address");
		memset(&t, 0, sizeof t);
		if (set_target(&t, name, strlen(name), address, why,
			       sizeof why) ||
		    targets_add(l, &t, why, sizeof why)) {
			char kp[300];
			const struct cfg_node *at = addr;
			if (strstr(why, "name"))
				at = cfg_get(it, "name");
			cfg_path_key(kp, sizeof kp, ipath,
				     at == addr ? "address" : "name");
			return cfg_error(at, kp, err, errlen, "%s", why);
		}
	}
	return 0;
}

int tp_conf_from_cfg(const struct cfg_node *root, struct tp_conf *c,
		     struct target_list *l, char *err, size_t errlen)
{
	static const char *const keys[] = {
	    "count",	   "interval", "timeout", "min_timeout",
	    "max_timeout", "adaptive", "mode",	  "targets_file",
	    "targets",	   NULL};
	const struct cfg_node *seq = NULL;
	const char *mode = NULL;
	long long n = c->count;

	if (root->kind == CFG_MAP && root->n == 0)
		return 0;
	if (cfg_check_keys(root, "", keys, err, errlen))
		return -1;
	if (cfg_get_int(root, "", "count", 1, 10000, &n, err, errlen) < 0 ||
	    cfg_get_duration(root, "", "interval", 0, 60, &c->interval, err,
			     errlen) < 0 ||
	    cfg_get_duration(root, "", "timeout", 1e-6, 3600, &c->timeout, err,
			     errlen) < 0 ||
	    cfg_get_duration(root, "", "min_timeout", 1e-6, 3600,
			     &c->min_timeout, err, errlen) < 0 ||
	    cfg_get_duration(root, "", "max_timeout", 1e-6, 3600,
			     &c->max_timeout, err, errlen) < 0 ||
	    cfg_get_bool(root, "", "adaptive", &c->adaptive, err, errlen) < 0 ||
	    cfg_get_str(root, "", "mode", &mode, err, errlen) < 0 ||
	    cfg_get_str(root, "", "targets_file", &c->targets_file, err,
			errlen) < 0 ||
	    cfg_get_seq(root, "", "targets", &seq, err, errlen) < 0)
		return -1;
	c->count = (unsigned)n;
	if (mode && tp_parse_mode(mode, &c->mode))
		return cfg_error(cfg_get(root, "mode"), "mode", err, errlen,
				 "expected \"echo\" or \"connect\", got \"%s\"",
				 mode);
	if (c->min_timeout > c->max_timeout)
		return cfg_error(cfg_get(root, "min_timeout"), "min_timeout",
				 err, errlen, "greater than max_timeout");
	if (seq && targets_from_cfg(seq, "targets", l, err, errlen))
		return -1;
	return 0;
}
