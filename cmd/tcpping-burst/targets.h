/* SPDX-License-Identifier: MIT */
/*
 * targets: what to probe and how, from the three places an operator can
 * say it: the Go daemon's JSON targets file (unchanged format)
 *     [{"name": "server1", "address": "192.0.2.10:4000"}, ...]
 * the suite's YAML config (/etc/promsnap/tcpping-burst.yaml, see the
 * example shipped beside this file), and -t name=host:port.
 *
 * Everything here works on parsed trees and strings (lib/config does the
 * file reading): no syscalls, no name resolution.  Errors come back as -1
 * with err filled in the config module's `file:line:col: path: why` form.
 * Bounds: names up to TARGET_NAME_MAX bytes, at most TARGETS_MAX targets
 * (each one is a label value and a handful of series).
 */
#ifndef TCPPING_TARGETS_H
#define TCPPING_TARGETS_H

#include <stddef.h>

#include "config.h"

#define TARGET_NAME_MAX 128
#define TARGET_HOST_MAX 253
#define TARGET_ADDR_MAX (TARGET_HOST_MAX + 8)
#define TARGETS_MAX 10000

enum probe_mode { MODE_ECHO, MODE_CONNECT };

struct target {
	char name[TARGET_NAME_MAX + 1];
	char address[TARGET_ADDR_MAX + 1]; /* as written: the label value */
	char host[TARGET_HOST_MAX + 1];	   /* without IPv6 brackets */
	char port[6];
};

struct target_list {
	struct target *v;
	size_t n, cap;
	/* Open-addressing set of indexes + 1 (0: empty) for the duplicate
	 * check, so 10,000 targets cost 10,000 lookups, not 50 million
	 * comparisons. */
	size_t *set, setcap;
};

/* Everything a run is told to do, with its defaults. */
struct tp_conf {
	unsigned count;
	double interval, timeout, min_timeout, max_timeout;
	int adaptive;
	enum probe_mode mode;
	const char *targets_file; /* points into the config tree */
};

void tp_conf_defaults(struct tp_conf *c);

/* "host:port" or "[v6addr]:port" -> host, port (numeric 1..65535). */
int target_split_address(const char *addr, char *host, size_t hostlen,
			 char *port, size_t portlen, char *err, size_t errlen);
/* "name=host:port", or "host:port" (the name is then the address). */
int target_parse_spec(const char *spec, struct target *t, char *err,
		      size_t errlen);
/* Append, refusing a duplicate name or the TARGETS_MAX+1st target. */
int targets_add(struct target_list *l, const struct target *t, char *err,
		size_t errlen);
void targets_free(struct target_list *l);

/* A sequence of {name, address} maps (the JSON targets file's root, or the
 * config's targets key); path is used in messages ("" for a root). */
int targets_from_cfg(const struct cfg_node *seq, const char *path,
		     struct target_list *l, char *err, size_t errlen);
/* The YAML/JSON config: settings into c (only keys present change it),
 * targets appended to l. */
int tp_conf_from_cfg(const struct cfg_node *root, struct tp_conf *c,
		     struct target_list *l, char *err, size_t errlen);
/* "echo" or "connect". */
int tp_parse_mode(const char *s, enum probe_mode *m);

#endif
