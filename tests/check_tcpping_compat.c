/* SPDX-License-Identifier: MIT */
/* Unit tests of cmd/tcpping-burst/compat.c: the Go daemon's flags. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/tcpping-burst/compat.h"

static const struct {
	const char *in, *want; /* argv joined by '|' */
} cases[] = {
	{"x|-targets|t.json", "x|--targets|t.json"},
	{"x|-targets=/etc/t.json|-s|d", "x|--targets=/etc/t.json|-s|d"},
	{"x|-target=127.0.0.1:4000", "x|--target=127.0.0.1:4000"},
	{"x|-interval|10ms|-timeout=20ms", "x|--interval|10ms|--timeout=20ms"},
	{"x|-adaptive=false", "x|--no-adaptive"},
	{"x|-adaptive|-adaptive=true|-v", "x|-v"},
	/* Our own spellings and short options pass through. */
	{"x|--targets|t|-t|a=127.0.0.1:1|-tb=127.0.0.1:2",
	 "x|--targets|t|-t|a=127.0.0.1:1|-tb=127.0.0.1:2"},
	{"x|-targetsX", "x|-targetsX"},
	{"x|--|-targets", "x|--|-targets"},
	{"-targets", "-targets"}, /* argv[0] is never rewritten */
};

START_TEST(test_rewrite)
{
	char *in = strdup(cases[_i].in), *argv[16], *tok, *save = NULL;
	char got[512] = "";
	int argc = 0, n = -1;
	char **out;

	for (tok = strtok_r(in, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	out = compat_argv(argc, argv, &n);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_null(out[n]);
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(got, "|");
		strcat(got, out[i]);
	}
	ck_assert_str_eq(got, cases[_i].want);
	compat_free(out, n);
	free(in);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcpping_compat");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_rewrite, 0,
			    (int)(sizeof cases / sizeof cases[0]));
	suite_add_tcase(s, tc);
	return tu_run(s);
}
