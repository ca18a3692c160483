/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "testutil.h"

static struct cfg_node *yaml(const char *text, char *err, size_t len)
{
	return cfg_parse_yaml(text, strlen(text), "t.yaml", err, len);
}

START_TEST(test_tracer_config_positions)
{
	char err[512];
	char path[1024];
	tu_fixture_path(path, sizeof path, "config/tracer.yaml");
	struct cfg_node *root = cfg_load(path, err, sizeof err);
	ck_assert_msg(root != NULL, "%s", err);
	static const char *const known[] = {"metrics_port", "db_path",
					    "log_file", "targets", NULL};
	ck_assert_int_eq(cfg_check_keys(root, "", known, err, sizeof err), 0);
	long long port = 0;
	ck_assert_int_eq(cfg_get_int(root, "", "metrics_port", 1, 65535, &port,
				     err, sizeof err),
			 0);
	ck_assert_int_eq(port, 9101);
	const char *s = NULL;
	ck_assert_int_eq(cfg_get_str(root, "", "log_file", &s, err, sizeof err), 0);
	ck_assert_str_eq(s, "");
	const struct cfg_node *targets = NULL;
	ck_assert_int_eq(cfg_get_seq(root, "", "targets", &targets, err, sizeof err), 0);
	ck_assert_uint_eq(targets->n, 2);
	const struct cfg_node *t1 = targets->items[1];
	ck_assert_int_eq(t1->line, 8);
	ck_assert_int_eq(t1->col, 5);
	ck_assert_int_eq(cfg_get_str(t1, "targets[1]", "host", &s, err, sizeof err), 0);
	ck_assert_str_eq(s, "two.example");
	double every = 0;
	ck_assert_int_eq(cfg_get_duration(targets->items[0], "targets[0]",
					  "schedule", 0, 1e6, &every, err,
					  sizeof err),
			 0);
	ck_assert_double_eq(every, 10);
	/* The error the foundation issue spells out, with file:line:col. */
	ck_assert_int_eq(cfg_get_int(t1, "targets[1]", "port", 1, 65535, &port,
				     err, sizeof err),
			 -1);
	char want[700];
	snprintf(want, sizeof want,
		 "%s:11:11: targets[1].port: expected an integer 1..65535, "
		 "got \"http\"",
		 path);
	ck_assert_str_eq(err, want);
	/* Absent keys leave the default and return 1. */
	long long count = 10;
	ck_assert_int_eq(cfg_get_int(targets->items[0], "targets[0]", "count",
				     1, 1000, &count, err, sizeof err),
			 1);
	ck_assert_int_eq(count, 10);
	cfg_free(root);
}
END_TEST

START_TEST(test_unknown_key_suggests)
{
	char err[512];
	struct cfg_node *root = yaml("db_path: x\ntargest: []\n", err, sizeof err);
	ck_assert_ptr_nonnull(root);
	static const char *const known[] = {"db_path", "targets", NULL};
	ck_assert_int_eq(cfg_check_keys(root, "", known, err, sizeof err), -1);
	ck_assert_str_eq(err, "t.yaml:2:1: unknown key \"targest\" (did you "
			      "mean \"targets\"?)");
	cfg_free(root);
	root = yaml("t:\n  - {host: a, zzzzzz: 1}\n", err, sizeof err);
	static const char *const tk[] = {"host", "schedule", NULL};
	ck_assert_int_eq(cfg_check_keys(cfg_get(root, "t")->items[0], "t[0]",
					tk, err, sizeof err),
			 -1);
	ck_assert_str_eq(err, "t.yaml:2:15: t[0]: unknown key \"zzzzzz\"");
	cfg_free(root);
}
END_TEST

static const struct {
	const char *text, *err;
} bad_yaml[] = {
	{"a: [1, 2\n", "t.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence"},
	{"a: &x 1\nb: *x\n", "t.yaml:1:4: YAML anchors are not supported"},
	{"a: 1\na: 2\n", "t.yaml:2:1: duplicate key \"a\" (first at line 1)"},
	{"? [a]\n: 1\n", "t.yaml:1:3: a mapping key must be a plain value"},
	{"a: 1\n---\nb: 2\n", "t.yaml:3:1: only one YAML document is allowed"},
	{"a: \"\\0\"\n", "t.yaml:1:4: NUL byte in a value"},
};

START_TEST(test_bad_yaml)
{
	char err[512] = "";
	struct cfg_node *root = yaml(bad_yaml[_i].text, err, sizeof err);
	ck_assert_ptr_null(root);
	ck_assert_str_eq(err, bad_yaml[_i].err);
}
END_TEST

START_TEST(test_deep_nesting_refused)
{
	char err[512], text[400];
	memset(text, '[', 200);
	text[200] = 0;
	ck_assert_ptr_null(yaml(text, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "nested deeper than 64 levels"));
	struct cfg_node *r = cfg_parse_json(text, strlen(text), "x.json", err,
					    sizeof err);
	ck_assert_ptr_null(r);
}
END_TEST

START_TEST(test_json_positions_and_unicode)
{
	char err[512];
	char path[1024];
	tu_fixture_path(path, sizeof path, "config/targets.json");
	struct cfg_node *root = cfg_load(path, err, sizeof err);
	ck_assert_msg(root != NULL, "%s", err);
	ck_assert_int_eq(root->kind, CFG_SEQ);
	ck_assert_uint_eq(root->n, 2);
	const struct cfg_node *t = root->items[1];
	ck_assert_int_eq(t->line, 3);
	ck_assert_int_eq(t->col, 3);
	const char *name;
	ck_assert_int_eq(cfg_get_str(t, "[1]", "name", &name, err, sizeof err), 0);
	ck_assert_str_eq(name, "s\xc3\xa9rver\xf0\x9f\x98\x80");
	const struct cfg_node *extra = cfg_get(t, "extra");
	ck_assert_int_eq(extra->line, 4);
	ck_assert_int_eq(extra->col, 13);
	int b = 0;
	ck_assert_int_eq(cfg_get_bool(extra, "[1].extra", "ok", &b, err, sizeof err), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(cfg_get(extra, "none")->is_null, 1);
	ck_assert_int_eq(cfg_get_str(extra, "[1].extra", "none", &name, err, sizeof err), 1);
	long long n;
	ck_assert_int_eq(cfg_get_int(extra, "[1].extra", "n", 10, 20, &n, err, sizeof err), -1);
	char want[700];
	snprintf(want, sizeof want,
		 "%s:4:19: [1].extra.n: expected an integer 10..20, got \"5\"",
		 path);
	ck_assert_str_eq(err, want);
	cfg_free(root);
}
END_TEST

START_TEST(test_json_errors)
{
	char err[512];
	const char *text = "{\"a\": 1,\n \"a\": 2}";
	ck_assert_ptr_null(cfg_parse_json(text, strlen(text), "x.json", err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "x.json:2:"));
	ck_assert_ptr_nonnull(strstr(err, "duplicate"));
	text = "[1, 2";
	ck_assert_ptr_null(cfg_parse_json(text, strlen(text), "x.json", err, sizeof err));
	ck_assert_int_eq(strncmp(err, "x.json:1:", 9), 0);
}
END_TEST

START_TEST(test_kinds_and_nulls)
{
	char err[512];
	struct cfg_node *root = yaml("a: ~\nb:\nc: 'null'\nd: [x]\ne: {f: 1}\n",
				     err, sizeof err);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(cfg_get(root, "a")->is_null, 1);
	ck_assert_int_eq(cfg_get(root, "b")->is_null, 1);
	ck_assert_int_eq(cfg_get(root, "c")->is_null, 0);
	ck_assert_int_eq(cfg_get(root, "c")->quoted, 1);
	const char *s;
	ck_assert_int_eq(cfg_get_str(root, "", "d", &s, err, sizeof err), -1);
	ck_assert_str_eq(err, "t.yaml:4:4: d: expected a value, got a list");
	const struct cfg_node *seq;
	ck_assert_int_eq(cfg_get_seq(root, "", "e", &seq, err, sizeof err), -1);
	ck_assert_str_eq(err, "t.yaml:5:4: e: expected a list");
	int b;
	ck_assert_int_eq(cfg_get_bool(cfg_get(root, "e"), "e", "f", &b, err, sizeof err), 0);
	ck_assert_int_eq(b, 1);
	cfg_free(root);
	/* An empty document is an empty mapping. */
	root = yaml("# only a comment\n", err, sizeof err);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(root->kind, CFG_MAP);
	ck_assert_uint_eq(root->n, 0);
	cfg_free(root);
}
END_TEST

START_TEST(test_load_errors)
{
	char err[512];
	ck_assert_ptr_null(cfg_load("/nonexistent/x.yaml", err, sizeof err));
	ck_assert_str_eq(err, "/nonexistent/x.yaml: cannot open: No such file or directory");
	ck_assert_ptr_null(cfg_load("/", err, sizeof err));
	ck_assert_str_eq(err, "/: not a regular file");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_tracer_config_positions);
	tcase_add_test(tc, test_unknown_key_suggests);
	tcase_add_loop_test(tc, test_bad_yaml, 0, sizeof bad_yaml / sizeof bad_yaml[0]);
	tcase_add_test(tc, test_deep_nesting_refused);
	tcase_add_test(tc, test_json_positions_and_unicode);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_kinds_and_nulls);
	tcase_add_test(tc, test_load_errors);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
