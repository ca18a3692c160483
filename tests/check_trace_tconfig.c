/* SPDX-License-Identifier: MIT */
/* Unit tests: trace-once's configuration -- a Tracer config file read
 * unchanged, our own keys, errors with file:line:col, overrides. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/trace-once/tconfig.h"
#include "config.h"

static struct cfg_node *load(const char *name)
{
	char path[1024], err[512];
	struct cfg_node *root;

	tu_fixture_path(path, sizeof path, "trace-once/tconfig/%s", name);
	root = cfg_load(path, err, sizeof err);
	ck_assert_msg(root != NULL, "%s", err);
	return root;
}

/* The defaults (as root or not) with a fixture file applied over them;
 * the caller frees the tree. */
static struct cfg_node *load_applied(struct trace_config *c, const char *name,
				     int is_root)
{
	struct cfg_node *root = load(name);
	char err[512];

	tconfig_defaults(c, is_root);
	ck_assert_msg(tconfig_apply(c, root, err, sizeof err) == 0, "%s", err);
	return root;
}

START_TEST(test_tracer_file_unchanged)
{
	static struct trace_config c;
	struct trace_overrides o = {0};
	char err[512];
	struct cfg_node *root = load_applied(&c, "tracer.yaml", 0);

	ck_assert_int_eq(tconfig_finish(&c, &o, err, sizeof err), 0);
	ck_assert_int_eq(c.metrics_port, 8080);
	ck_assert_str_eq(c.db_path, "/path/to/GeoLite2-ASN.mmdb");
	ck_assert_str_eq(c.log_file, "/path/to/tracer.log");
	ck_assert_uint_eq(c.ntargets, 3);
	ck_assert_str_eq(c.targets[0].host, "1.1.1.1");
	ck_assert_str_eq(c.targets[0].name, "1.1.1.1");
	ck_assert_int_eq(c.targets[0].schedule.kind, SCHEDULE_EVERY);
	ck_assert_double_eq(c.targets[0].schedule.every, 10);
	ck_assert_double_eq(c.targets[1].schedule.every, 30);
	ck_assert_str_eq(c.targets[2].host, "google.com");
	ck_assert_int_eq(c.targets[2].schedule.kind, SCHEDULE_CRON);
	/* Defaults: mtr's 1 s interval for non-root, 10 probes, grace 1 s. */
	ck_assert_int_eq(c.targets[2].count, 10);
	ck_assert_double_eq(c.targets[2].interval, 1.0);
	ck_assert_double_eq(c.targets[2].grace, 1.0);
	ck_assert_int_eq(c.targets[2].max_ttl, 30);
	ck_assert_int_eq(c.history, 10);
	ck_assert_int_eq(c.jobs, 16);
	ck_assert_str_eq(c.mtr, "mtr");
	cfg_free(root);
}
END_TEST

START_TEST(test_extended_and_overrides)
{
	static struct trace_config c;
	struct trace_overrides o = {0};
	char err[512];
	struct cfg_node *root = load_applied(&c, "extended.yaml", 1);

	ck_assert_int_eq(c.history, 5);
	ck_assert_int_eq(c.jobs, 4);
	ck_assert_str_eq(c.mtr, "/usr/local/bin/mtr");
	ck_assert_str_eq(c.targets[0].name, "loopback");
	ck_assert_int_eq(c.targets[0].count, 3);
	ck_assert_double_eq(c.targets[0].interval, 0.25);
	ck_assert_int_eq(c.targets[0].protocol, PROTO_UDP);
	ck_assert_int_eq(c.targets[0].port, 33434);
	ck_assert_int_eq(c.targets[0].ip_version, 4);
	ck_assert_int_eq(c.targets[0].max_ttl, 8);
	ck_assert_double_eq(c.targets[0].grace, 0.5);
	ck_assert_str_eq(c.targets[1].name, "::1");
	ck_assert_double_eq(c.targets[1].interval, 0.2); /* root default */
	/* Flags win over the file. */
	o.count_set = 1;
	o.count = 2;
	o.schedule_set = 1;
	o.schedule = "@every 5s";
	ck_assert_int_eq(tconfig_finish(&c, &o, err, sizeof err), 0);
	ck_assert_int_eq(c.targets[0].count, 2);
	ck_assert_int_eq(c.targets[1].count, 2);
	ck_assert_double_eq(c.targets[0].schedule.every, 5);
	/* Host operands replace the file's targets. */
	ck_assert_int_eq(tconfig_add_host(&c, "127.0.0.9", err, sizeof err), 0);
	ck_assert_uint_eq(c.ntargets, 1);
	ck_assert_int_eq(tconfig_add_host(&c, "127.0.0.9", err, sizeof err),
			 -1);
	ck_assert_str_eq(err, "127.0.0.9: given twice");
	ck_assert_int_eq(tconfig_add_host(&c, "--help", err, sizeof err), -1);
	/* Non-root may not probe faster than 1/s (mtr's rule). */
	c.is_root = 0;
	c.targets[0].interval = 0.5;
	ck_assert_int_eq(
	    tconfig_finish(&c, &(struct trace_overrides){0}, err, sizeof err),
	    -1);
	ck_assert_str_eq(err, "127.0.0.9: interval 0.5s: mtr allows an "
			      "interval below 1s only to root");
	cfg_free(root);
}
END_TEST

/* The same keys in JSON (lib/config reads both into one tree). */
START_TEST(test_json_file)
{
	static struct trace_config c;
	struct trace_overrides o = {0};
	char err[512];
	struct cfg_node *root = load_applied(&c, "tracer.json", 0);

	ck_assert_int_eq(tconfig_finish(&c, &o, err, sizeof err), 0);
	ck_assert_uint_eq(c.ntargets, 2);
	ck_assert_double_eq(c.targets[0].schedule.every, 10);
	ck_assert_str_eq(c.targets[1].name, "v6");
	ck_assert_int_eq(c.targets[1].count, 5);
	ck_assert_int_eq(c.targets[1].protocol, PROTO_TCP);
	ck_assert_int_eq(c.targets[1].port, 443);
	cfg_free(root);
}
END_TEST

static const struct {
	const char *file, *err;
} bad[] = {
    {"bad_count.yaml",
     "bad_count.yaml:4:12: targets[1].count: expected an integer "
     "1..1000, got \"lots\""},
    {"bad_key.yaml", "bad_key.yaml:3:5: targets[0]: unknown key "
		     "\"shedule\" (did you mean \"schedule\"?)"},
    {"bad_schedule.yaml",
     "bad_schedule.yaml:3:15: targets[0]: schedule: cron minutes field "
     "\"61\" is invalid"},
    {"dup_name.yaml", "dup_name.yaml:3:5: targets[1]: target name "
		      "\"127.0.0.1\" is used twice (set name: to tell "
		      "them apart)"},
    {"bad_host.yaml", "bad_host.yaml:2:11: targets[0]: host: expected an "
		      "address or host name, got \"-i0\""},
    {"bad_protocol.yaml",
     "bad_protocol.yaml:3:15: targets[0]: protocol: expected icmp, udp "
     "or tcp, got \"sctp\""},
    {"no_host.yaml", "no_host.yaml:2:5: targets[0]: missing key \"host\""},
    {"bad_port.json", "bad_port.json:1:44: targets[0].port: expected an "
		      "integer 1..65535, got \"70000\""},
};

START_TEST(test_bad)
{
	static struct trace_config c;
	char err[1024];
	struct cfg_node *root = load(bad[_i].file);
	const char *base;

	tconfig_defaults(&c, 0);
	ck_assert_int_eq(tconfig_apply(&c, root, err, sizeof err), -1);
	/* Messages start with the path given to cfg_load. */
	base = strstr(err, bad[_i].file);
	ck_assert_msg(base != NULL, "%s", err);
	ck_assert_str_eq(base, bad[_i].err);
	cfg_free(root);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trace_tconfig");
	TCase *tc = tcase_create("tconfig");

	tcase_add_test(tc, test_tracer_file_unchanged);
	tcase_add_test(tc, test_extended_and_overrides);
	tcase_add_test(tc, test_json_file);
	tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
