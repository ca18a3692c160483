/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cmd/tcpping-burst/targets.c.  Fixture cases under
 * $PROMSNAP_FIXTURES/tcpping-burst/targets/<case>/{input,expected}: json-*
 * inputs are the Go daemon's targets file, yaml-* the suite's config; the
 * expected file is the parsed result or the exact error message.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/tcpping-burst/targets.h"

static const char *const cases[] = {
	"json-good",	      "json-missing-address", "json-bad-port",
	"json-port-range",    "json-duplicate",	      "json-unknown-key",
	"json-v6-no-brackets", "json-not-a-list",     "json-empty-name",
	"json-number-address", "yaml-config",	      "yaml-defaults",
	"yaml-bad-mode",      "yaml-bad-interval",    "yaml-count-range",
	"yaml-unknown-key",   "yaml-min-above-max",   "yaml-targets-not-list",
};

static void render(FILE *out, const struct target_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		fprintf(out, "target %s|%s|%s|%s\n", l->v[i].name,
			l->v[i].address, l->v[i].host, l->v[i].port);
}

START_TEST(test_fixture)
{
	char err[1024], *in, *want, *got = NULL;
	size_t inlen, gotlen = 0;
	struct target_list l = {0};
	struct tp_conf c;
	struct cfg_node *root;
	FILE *out = open_memstream(&got, &gotlen);
	int json = !strncmp(cases[_i], "json-", 5);

	in = tu_fixture(&inlen, "tcpping-burst/targets/%s/input", cases[_i]);
	want = tu_fixture(NULL, "tcpping-burst/targets/%s/expected", cases[_i]);
	tp_conf_defaults(&c);
	root = json ? cfg_parse_json(in, inlen, "targets.json", err, sizeof err)
		    : cfg_parse_yaml(in, inlen, "tcpping-burst.yaml", err,
				     sizeof err);
	if (!root) {
		fprintf(out, "error: %s\n", err);
	} else if (json ? targets_from_cfg(root, "", &l, err, sizeof err)
			: tp_conf_from_cfg(root, &c, &l, err, sizeof err)) {
		fprintf(out, "error: %s\n", err);
	} else {
		if (!json)
			fprintf(out,
				"count %u\ninterval %g\ntimeout %g\n"
				"min_timeout %g\nmax_timeout %g\nadaptive %d\n"
				"mode %s\ntargets_file %s\n",
				c.count, c.interval, c.timeout, c.min_timeout,
				c.max_timeout, c.adaptive,
				c.mode == MODE_ECHO ? "echo" : "connect",
				c.targets_file ? c.targets_file : "-");
		render(out, &l);
	}
	fclose(out);
	ck_assert_str_eq(got, want);
	cfg_free(root);
	targets_free(&l);
	free(got);
	free(in);
	free(want);
}
END_TEST

static const struct {
	const char *spec, *want; /* "name|address|host|port" or "!error" */
} specs[] = {
	{"a=127.0.0.1:80", "a|127.0.0.1:80|127.0.0.1|80"},
	{"127.0.0.1:4000", "127.0.0.1:4000|127.0.0.1:4000|127.0.0.1|4000"},
	{"v6=[::1]:4000", "v6|[::1]:4000|::1|4000"},
	{"x=a=b:1", "x|a=b:1|a=b|1"},
	{"=127.0.0.1:1", "!empty target name"},
	{"a=127.0.0.1:0", "!port: expected an integer 1..65535, got \"0\""},
	{"a=127.0.0.1", "!expected \"host:port\", got \"127.0.0.1\""},
	{"a=:80", "!empty host in \":80\""},
	{"a=[::1]4000", "!expected \"[ipv6]:port\", got \"[::1]4000\""},
	{"a=[]:1", "!empty host in \"[]:1\""},
	{"a=bad host:1", "!invalid character in host \"bad host:1\""},
};

START_TEST(test_spec)
{
	struct target t;
	char err[256], got[1024];

	if (target_parse_spec(specs[_i].spec, &t, err, sizeof err))
		snprintf(got, sizeof got, "!%s", err);
	else
		snprintf(got, sizeof got, "%s|%s|%s|%s", t.name, t.address,
			 t.host, t.port);
	ck_assert_str_eq(got, specs[_i].want);
}
END_TEST

START_TEST(test_limits)
{
	struct target_list l = {0};
	struct target t;
	char err[256], spec[400];

	memset(spec, 'n', 129);
	strcpy(spec + 129, "=127.0.0.1:1");
	ck_assert_int_eq(target_parse_spec(spec, &t, err, sizeof err), -1);
	ck_assert_str_eq(err, "target name longer than 128 bytes");
	for (int i = 0; i < TARGETS_MAX; i++) {
		snprintf(spec, sizeof spec, "t%d=127.0.0.1:1", i);
		ck_assert_int_eq(target_parse_spec(spec, &t, err, sizeof err),
				 0);
		ck_assert_int_eq(targets_add(&l, &t, err, sizeof err), 0);
	}
	target_parse_spec("one-too-many=127.0.0.1:1", &t, err, sizeof err);
	ck_assert_int_eq(targets_add(&l, &t, err, sizeof err), -1);
	ck_assert_str_eq(err, "more than 10000 targets");
	targets_free(&l);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcpping_targets");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_fixture, 0,
			    (int)(sizeof cases / sizeof cases[0]));
	tcase_add_loop_test(tc, test_spec, 0,
			    (int)(sizeof specs / sizeof specs[0]));
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
