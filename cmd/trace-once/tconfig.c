/* SPDX-License-Identifier: MIT */
#include "tconfig.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"

#define DEFAULT_SCHEDULE "@every 1m" /* Tracer's -schedule default */

void tconfig_defaults(struct trace_config *c, int is_root)
{
	/* Not the whole struct: targets are set up as they are added, and
	 * touching 256 of them costs page faults on every run. */
	memset(c, 0, offsetof(struct trace_config, targets));
	c->ntargets = 0;
	c->hosts_from_args = 0;
	c->is_root = is_root;
	c->history = 10;
	c->jobs = 16;
	snprintf(c->mtr, sizeof c->mtr, "mtr");
}

int tconfig_parse_protocol(const char *s, enum trace_proto *out)
{
	if (!strcmp(s, "icmp"))
		*out = PROTO_ICMP;
	else if (!strcmp(s, "udp"))
		*out = PROTO_UDP;
	else if (!strcmp(s, "tcp"))
		*out = PROTO_TCP;
	else
		return -1;
	return 0;
}

int tconfig_valid_host(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < TCONFIG_HOST_MAX && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789.:-_%") == n;
}

static void target_defaults(const struct trace_config *c,
			    struct trace_target *t)
{
	memset(t, 0, sizeof *t);
	t->count = 10;
	/* mtr's own rule: only root may probe faster than once a second. */
	t->interval = c->is_root ? 0.2 : 1.0;
	t->protocol = PROTO_ICMP;
	t->max_ttl = 30;
	t->grace = 1.0;
	snprintf(t->schedule_text, sizeof t->schedule_text, "%s",
		 DEFAULT_SCHEDULE);
}

static int copy_str(char *dst, size_t len, const char *src)
{
	if (strlen(src) >= len)
		return -1;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int apply_target(struct trace_config *c, const struct cfg_node *n,
			const char *path, struct trace_target *t, char *err,
			size_t errlen)
{
	static const char *const keys[] = {
	    "host", "schedule",	  "name",    "count", "interval", "protocol",
	    "port", "ip_version", "max_ttl", "grace", NULL};
	const char *s;
	long long v;
	int r;

	target_defaults(c, t);
	if (cfg_check_keys(n, path, keys, err, errlen))
		return -1;
	r = cfg_get_str(n, path, "host", &s, err, errlen);
	if (r < 0)
		return -1;
	if (r > 0)
		return cfg_error(n, path, err, errlen, "missing key \"host\"");
	if (!tconfig_valid_host(s))
		return cfg_error(cfg_get(n, "host"), path, err, errlen,
				 "host: expected an address or host name, "
				 "got \"%.64s\"",
				 s);
	copy_str(t->host, sizeof t->host, s);
	copy_str(t->name, sizeof t->name, s);
	r = cfg_get_str(n, path, "name", &s, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0) {
		if (!*s || copy_str(t->name, sizeof t->name, s) ||
		    strpbrk(s, "/\n\r\t"))
			return cfg_error(cfg_get(n, "name"), path, err, errlen,
					 "name: expected 1..%d bytes without "
					 "'/' or control characters",
					 TCONFIG_NAME_MAX - 1);
	}
	r = cfg_get_str(n, path, "schedule", &s, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0 && copy_str(t->schedule_text, sizeof t->schedule_text, s))
		return cfg_error(cfg_get(n, "schedule"), path, err, errlen,
				 "schedule: too long");
	if (r == 0) {
		char why[256];

		if (schedule_parse(t->schedule_text, &t->schedule, why,
				   sizeof why))
			return cfg_error(cfg_get(n, "schedule"), path, err,
					 errlen, "schedule: %s", why);
	}
	v = t->count;
	if (cfg_get_int(n, path, "count", 1, 1000, &v, err, errlen) < 0)
		return -1;
	t->count = (long)v;
	if (cfg_get_duration(n, path, "interval", 0.01, 3600, &t->interval, err,
			     errlen) < 0)
		return -1;
	r = cfg_get_str(n, path, "protocol", &s, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0 && tconfig_parse_protocol(s, &t->protocol))
		return cfg_error(cfg_get(n, "protocol"), path, err, errlen,
				 "protocol: expected icmp, udp or tcp, got "
				 "\"%.32s\"",
				 s);
	v = 0;
	if (cfg_get_int(n, path, "port", 1, 65535, &v, err, errlen) < 0)
		return -1;
	t->port = (int)v;
	v = 0;
	r = cfg_get_int(n, path, "ip_version", 4, 6, &v, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0 && v == 5)
		return cfg_error(cfg_get(n, "ip_version"), path, err, errlen,
				 "ip_version: expected 4 or 6, got 5");
	t->ip_version = (int)v;
	v = t->max_ttl;
	if (cfg_get_int(n, path, "max_ttl", 1, 64, &v, err, errlen) < 0)
		return -1;
	t->max_ttl = (int)v;
	if (cfg_get_duration(n, path, "grace", 0, 60, &t->grace, err, errlen) <
	    0)
		return -1;
	return 0;
}

int tconfig_apply(struct trace_config *c, const struct cfg_node *root,
		  char *err, size_t errlen)
{
	static const char *const keys[] = {
	    "metrics_port", "db_path", "log_file", "targets",
	    "history",	    "jobs",    "mtr",	   NULL};
	const struct cfg_node *targets;
	const char *s;
	long long v;
	int r;

	if (!root)
		return 0;
	if (root->kind == CFG_SCALAR && root->is_null)
		return 0; /* an empty file */
	if (cfg_check_keys(root, "", keys, err, errlen))
		return -1;
	v = 0;
	if (cfg_get_int(root, "", "metrics_port", 0, 65535, &v, err, errlen) <
	    0)
		return -1;
	c->metrics_port = (long)v;
	r = cfg_get_str(root, "", "db_path", &s, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0 && copy_str(c->db_path, sizeof c->db_path, s))
		return cfg_error(cfg_get(root, "db_path"), "db_path", err,
				 errlen, "too long");
	r = cfg_get_str(root, "", "log_file", &s, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0 && copy_str(c->log_file, sizeof c->log_file, s))
		return cfg_error(cfg_get(root, "log_file"), "log_file", err,
				 errlen, "too long");
	r = cfg_get_str(root, "", "mtr", &s, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0 && (!*s || copy_str(c->mtr, sizeof c->mtr, s)))
		return cfg_error(cfg_get(root, "mtr"), "mtr", err, errlen,
				 "expected a program name or path");
	v = c->history;
	if (cfg_get_int(root, "", "history", 1, 100, &v, err, errlen) < 0)
		return -1;
	c->history = (int)v;
	v = c->jobs;
	if (cfg_get_int(root, "", "jobs", 1, 256, &v, err, errlen) < 0)
		return -1;
	c->jobs = (int)v;
	r = cfg_get_seq(root, "", "targets", &targets, err, errlen);
	if (r < 0)
		return -1;
	if (r > 0)
		return 0;
	if (targets->n > TCONFIG_MAX_TARGETS)
		return cfg_error(targets, "targets", err, errlen,
				 "more than %d targets", TCONFIG_MAX_TARGETS);
	for (size_t i = 0; i < targets->n; i++) {
		char path[64];

		cfg_path_index(path, sizeof path, "targets", i);
		if (apply_target(c, targets->items[i], path, &c->targets[i],
				 err, errlen))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->targets[j].name, c->targets[i].name))
				return cfg_error(
				    targets->items[i], path, err, errlen,
				    "target name \"%.64s\" is used twice "
				    "(set name: to tell them apart)",
				    c->targets[i].name);
		c->ntargets = i + 1;
	}
	return 0;
}

int tconfig_add_host(struct trace_config *c, const char *host, char *err,
		     size_t errlen)
{
	struct trace_target *t;

	if (!c->hosts_from_args) {
		c->hosts_from_args = 1;
		c->ntargets = 0;
	}
	if (!tconfig_valid_host(host))
		return errbuf_set(err, errlen, EINVAL,
				  "%.64s: expected an address or host name",
				  host);
	if (c->ntargets == TCONFIG_MAX_TARGETS)
		return errbuf_set(err, errlen, EINVAL, "more than %d targets",
				  TCONFIG_MAX_TARGETS);
	for (size_t i = 0; i < c->ntargets; i++)
		if (!strcmp(c->targets[i].name, host))
			return errbuf_set(err, errlen, EINVAL,
					  "%s: given twice", host);
	t = &c->targets[c->ntargets++];
	target_defaults(c, t);
	copy_str(t->host, sizeof t->host, host);
	copy_str(t->name, sizeof t->name, host);
	return 0;
}

int tconfig_finish(struct trace_config *c, const struct trace_overrides *o,
		   char *err, size_t errlen)
{
	for (size_t i = 0; i < c->ntargets; i++) {
		struct trace_target *t = &c->targets[i];

		if (o->count_set)
			t->count = o->count;
		if (o->interval_set)
			t->interval = o->interval;
		if (o->protocol_set)
			t->protocol = o->protocol;
		if (o->port_set)
			t->port = o->port;
		if (o->ipver_set)
			t->ip_version = o->ip_version;
		if (o->max_ttl_set)
			t->max_ttl = o->max_ttl;
		if (o->grace_set)
			t->grace = o->grace;
		if (o->schedule_set &&
		    copy_str(t->schedule_text, sizeof t->schedule_text,
			     o->schedule))
			return errbuf_set(err, errlen, EINVAL,
					  "--schedule: too long");
		{
			char why[256];

			if (schedule_parse(t->schedule_text, &t->schedule, why,
					   sizeof why))
				return errbuf_set(err, errlen, EINVAL,
						  "%s: schedule: %s", t->name,
						  why);
		}
		if (!c->is_root && t->interval < 1.0)
			return errbuf_set(
			    err, errlen, EINVAL,
			    "%s: interval %gs: mtr allows an interval "
			    "below 1s only to root",
			    t->name, t->interval);
	}
	return 0;
}
