/* SPDX-License-Identifier: MIT */
/*
 * check_qemu_settings: qemu-netsnap's configuration file: defaults, id
 * rules, and the exact error messages an operator sees.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/qemu-netsnap/settings.h"

struct scase {
	const char *yaml;
	const char *err; /* NULL: accepted */
};

/* clang-format off */
static const struct scase scases[] = {
	{"max_vms: 10\n", NULL},
	{"id_rules:\n  - match: \"vm-id=*\"\n  - option: uuid\n", NULL},
	{"max_vm: 10\n",
	 "qemu.yaml:1:1: unknown key \"max_vm\" (did you mean "
	 "\"max_vms\"?)"},
	{"max_vms: 0\n",
	 "qemu.yaml:1:10: max_vms: expected an integer 1..100000, got \"0\""},
	{"scan_threads: 9\n",
	 "qemu.yaml:1:15: scan_threads: expected an integer 0..8, got \"9\""},
	{"id_rules:\n  - option: pid\n",
	 "qemu.yaml:2:13: id_rules[0]: option: expected uuid or name, got "
	 "\"pid\""},
	{"id_rules:\n  - match: \"a*b*\"\n",
	 "qemu.yaml:2:5: id_rules[0]: match \"a*b*\" must hold exactly one "
	 "'*' or '#'"},
	{"id_rules:\n  - match: \"cid=#\"\n    label: \"CID\"\n",
	 "qemu.yaml:2:5: id_rules[0]: label \"CID\" must hold the placeholder "
	 "'#' (a fixed label would give every VM the same id)"},
	{"id_rules:\n  - label: \"x*\"\n",
	 "qemu.yaml:2:5: id_rules[0]: expected a match or an option key"},
	{"id_rules:\n  - option: uuid\n    match: \"a*\"\n",
	 "qemu.yaml:2:5: id_rules[0]: give either option or match, not both"},
	{"id_rules: 3\n", NULL /* checked below: an error of cfg_get_seq */},
};
/* clang-format on */

START_TEST(test_settings)
{
	const struct scase *c = &scases[_i];
	char err[512] = "";
	struct cfg_node *root = cfg_parse_yaml(c->yaml, strlen(c->yaml),
					       "qemu.yaml", err, sizeof err);
	struct qn_settings s;
	int rc;

	ck_assert_msg(root != NULL, "%s", err);
	settings_defaults(&s);
	rc = settings_load(&s, root, err, sizeof err);
	if (_i == sizeof scases / sizeof scases[0] - 1) {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(err, "qemu.yaml:1:11: id_rules") == err,
			      "%s", err);
	} else if (c->err) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err, c->err);
	} else {
		ck_assert_msg(rc == 0, "%s", err);
	}
	cfg_free(root);
}
END_TEST

START_TEST(test_defaults_and_rules)
{
	static const char yaml[] = "id_rules:\n"
				   "  - match: \"vm-id=*\"\n"
				   "    label: \"vm-*\"\n"
				   "  - option: name\n"
				   "max_vms: 7\n"
				   "scan_threads: 2\n";
	char err[512];
	struct cfg_node *root =
	    cfg_parse_yaml(yaml, sizeof yaml - 1, "q.yaml", err, sizeof err);
	struct qn_settings s;
	struct qn_cmdline cl;
	static const char argv[] = "qemu-system-x86_64\0-name\0n1\0"
				   "-uuid\0u1\0-device\0x,vm-id=42";

	settings_defaults(&s);
	ck_assert_uint_eq(s.rules.n, 4);
	ck_assert_int_eq(s.max_vms, 1024);
	ck_assert_int_eq(s.scan_threads, 0);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(settings_load(&s, root, err, sizeof err), 0);
	ck_assert_int_eq(s.max_vms, 7);
	ck_assert_int_eq(s.scan_threads, 2);
	ck_assert_uint_eq(s.rules.n, 2);
	ck_assert_int_eq(decode_cmdline(argv, sizeof argv, &s.rules, 1, &cl),
			 0);
	ck_assert_str_eq(cl.id, "vm-42");
	/* -uuid is no longer a rule: the name comes next. */
	s.rules.r[0].match[0] = 'X';
	ck_assert_int_eq(decode_cmdline(argv, sizeof argv, &s.rules, 1, &cl),
			 0);
	ck_assert_str_eq(cl.id, "n1");
	cfg_free(root);
}
END_TEST

static Suite *settings_suite(void)
{
	Suite *s = suite_create("qemu_settings");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_settings, 0,
			    sizeof scases / sizeof scases[0]);
	tcase_add_test(tc, test_defaults_and_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(settings_suite());
}
