/* SPDX-License-Identifier: MIT */
/*
 * tconfig: trace-once's configuration -- a Tracer config file read
 * unchanged, plus per-target keys of our own -- and the command-line
 * overrides, into one struct trace_config.
 *
 *     struct trace_config c;
 *     tconfig_defaults(&c, geteuid() == 0);
 *     tconfig_apply(&c, cfg_root, err, sizeof err);     file (may be NULL)
 *     tconfig_add_host(&c, "192.0.2.1", err, sizeof err); operands
 *     tconfig_finish(&c, &overrides, err, sizeof err);  flags win
 *
 * Top-level keys: metrics_port (accepted; a textfile tool serves nothing),
 * db_path, log_file, targets, and our history, jobs, mtr.  Per target:
 * host, schedule, and our name, count, interval, protocol, port,
 * ip_version, max_ttl, grace.  Errors come back as -1 with errno EINVAL
 * and `file:line:col: targets[2].count: expected ...` in err.  Pure: the
 * config tree is parsed by the caller; nothing here touches files.
 */
#ifndef TRACE_TCONFIG_H
#define TRACE_TCONFIG_H

#include <stddef.h>

#include "config.h"
#include "schedule.h"

#define TCONFIG_MAX_TARGETS 256
#define TCONFIG_NAME_MAX    128
#define TCONFIG_HOST_MAX    254

enum trace_proto { PROTO_ICMP, PROTO_UDP, PROTO_TCP };

struct trace_target {
	char name[TCONFIG_NAME_MAX];
	char host[TCONFIG_HOST_MAX];
	char schedule_text[128];
	struct schedule schedule;
	long count;
	double interval; /* seconds */
	enum trace_proto protocol;
	int port;	/* 0: mtr's default */
	int ip_version; /* 0: either, 4 or 6 */
	int max_ttl;
	double grace; /* seconds: mtr -G */
};

/* Command-line values; a field applies when its *_set flag is 1. */
struct trace_overrides {
	int count_set, interval_set, protocol_set, port_set, ipver_set,
	    max_ttl_set, grace_set, schedule_set;
	long count;
	double interval;
	enum trace_proto protocol;
	int port, ip_version, max_ttl;
	double grace;
	const char *schedule;
};

struct trace_config {
	int is_root;
	char db_path[4096];  /* "" unless set in the file */
	char log_file[4096]; /* "" unless set in the file */
	long metrics_port;   /* noted, unused */
	int history;	     /* reports kept for variance, 1..100 */
	int jobs;	     /* mtr children at once */
	char mtr[4096];	     /* program to run */
	size_t ntargets;
	struct trace_target targets[TCONFIG_MAX_TARGETS];
	int hosts_from_args; /* operands replaced the file's targets */
};

void tconfig_defaults(struct trace_config *c, int is_root);
int tconfig_apply(struct trace_config *c, const struct cfg_node *root,
		  char *err, size_t errlen);
/* A HOST operand: the first one drops the file's targets. */
int tconfig_add_host(struct trace_config *c, const char *host, char *err,
		     size_t errlen);
/* Apply overrides to every target, then check what only the combination
 * can tell (interval below 1 s without root). */
int tconfig_finish(struct trace_config *c, const struct trace_overrides *o,
		   char *err, size_t errlen);

int tconfig_parse_protocol(const char *s, enum trace_proto *out);
/* 1 if s can be given to mtr as a host: an address or a host name, no
 * leading '-', at most TCONFIG_HOST_MAX - 1 bytes. */
int tconfig_valid_host(const char *s);

#endif
