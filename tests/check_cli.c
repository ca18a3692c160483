/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "cli.h"

struct ctx {
	long long count;
	int flag;
};

static const struct option tool_longopts[] = {
	{"count", required_argument, NULL, 'n'},
	{"flag", no_argument, NULL, 1000},
	{NULL, 0, NULL, 0},
};

static int handle(int opt, const char *arg, void *vctx)
{
	struct ctx *c = vctx;
	switch (opt) {
	case 'n':
		return cli_int("--count", arg, 1, 100, &c->count);
	case 1000:
		c->flag = 1;
		return 0;
	}
	return -1;
}

static struct ctx ctx;
static const struct cli_tool tool = {
	.name = "demo-tool",
	.synopsis = "[options] HOST...",
	.summary = "Does one thing.",
	.options_help = "  -n, --count N  probes\n",
	.shortopts = "n:",
	.longopts = tool_longopts,
	.handle = handle,
	.ctx = &ctx,
};

static int parse(struct cli_opts *o, int *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, first);
	argv[argc++] = "demo-tool";
	char *a;
	while ((a = va_arg(ap, char *)) != NULL)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	memset(&ctx, 0, sizeof ctx);
	return cli_parse(&tool, argc, argv, o, first);
}

START_TEST(test_defaults)
{
	struct cli_opts o;
	int first = 0;
	char buf[256];
	ck_assert_int_eq(parse(&o, &first, "host", NULL), CLI_CONTINUE);
	ck_assert_int_eq(first, 1);
	ck_assert_str_eq(o.config, "/etc/promsnap/demo-tool.yaml");
	ck_assert_int_eq(o.config_given, 0);
	ck_assert_str_eq(o.textfile_dir, "/var/lib/prometheus/node-exporter");
	ck_assert_str_eq(o.state_dir, "/var/lib/promsnap/demo-tool");
	ck_assert_str_eq(cli_output_path(&o, "demo-tool", buf, sizeof buf),
			 "/var/lib/prometheus/node-exporter/demo-tool.prom");
	ck_assert_double_eq(o.lock_wait, 0);
}
END_TEST

START_TEST(test_common_and_tool_options)
{
	struct cli_opts o;
	int first = 0;
	char buf[256];
	ck_assert_int_eq(parse(&o, &first, "-c", "x.yaml", "--textfile-dir",
			       "/tmp/tf", "-s", "/tmp/st", "-o", "-",
			       "--lock-wait", "1m30s", "-vv", "-n", "5",
			       "--flag", "--", "-host", NULL),
			 CLI_CONTINUE);
	ck_assert_str_eq(o.config, "x.yaml");
	ck_assert_int_eq(o.config_given, 1);
	ck_assert_str_eq(o.textfile_dir, "/tmp/tf");
	ck_assert_str_eq(o.state_dir, "/tmp/st");
	ck_assert_str_eq(cli_output_path(&o, "demo-tool", buf, sizeof buf), "-");
	ck_assert_double_eq(o.lock_wait, 90);
	ck_assert_int_eq(o.verbosity, 2);
	ck_assert_int_eq(ctx.count, 5);
	ck_assert_int_eq(ctx.flag, 1);
	ck_assert_int_eq(first, 16);
}
END_TEST

static const char *const usage_errors[][4] = {
	{"--bogus", NULL},
	{"-n", "0", NULL},
	{"-n", "many", NULL},
	{"--lock-wait", "soon", NULL},
	{"-o", NULL},
	{"-x", NULL},
};

START_TEST(test_usage_errors_exit_64)
{
	struct cli_opts o;
	int first;
	const char *const *a = usage_errors[_i];
	int r = a[1] ? parse(&o, &first, a[0], a[1], NULL)
		     : parse(&o, &first, a[0], NULL);
	ck_assert_int_eq(r, 64);
}
END_TEST

START_TEST(test_help_and_version_exit_0)
{
	struct cli_opts o;
	int first;
	fflush(stdout);
	FILE *saved = stdout;
	char *buf = NULL;
	size_t len = 0;
	stdout = open_memstream(&buf, &len);
	ck_assert_int_eq(parse(&o, &first, "--help", NULL), 0);
	ck_assert_int_eq(parse(&o, &first, "-V", NULL), 0);
	fclose(stdout);
	stdout = saved;
	ck_assert_ptr_nonnull(strstr(buf, "usage: demo-tool [options] HOST...\n"));
	ck_assert_ptr_nonnull(strstr(buf, "  -n, --count N  probes\n"));
	ck_assert_ptr_nonnull(strstr(buf, "--lock-wait SECONDS"));
	ck_assert_ptr_nonnull(strstr(buf, "[default: /var/lib/promsnap/demo-tool]"));
	ck_assert_ptr_nonnull(strstr(buf, "75 another run holds the lock"));
	ck_assert_ptr_nonnull(strstr(buf, "demo-tool (promsnap) "));
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_common_and_tool_options);
	tcase_add_loop_test(tc, test_usage_errors_exit_64, 0,
			    sizeof usage_errors / sizeof usage_errors[0]);
	tcase_add_test(tc, test_help_and_version_exit_0);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
