/* SPDX-License-Identifier: MIT */
/*
 * scan on whole-log fixtures: tests/fixtures/sni-scan/<case>/ holds
 *   format    a preset name or a log-format string (one line)
 *   options   optional "key value" lines: max_series, by, truncate_at,
 *             sni_capture
 *   input     log lines, every shape HAProxy and the syslog relays write
 *   expected  the exposition text of the counters and line results
 * and the rendered output must equal expected byte for byte.  With
 * SNI_FIXTURES_UPDATE=1 the test writes expected instead (then review the
 * diff by hand: that review is the test's oracle).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/sni-scan/counters.h"
#include "../cmd/sni-scan/logformat.h"
#include "../cmd/sni-scan/scan.h"
#include "promfile.h"

#define NOW 1795300000.0

static const char *const cases[] = {
	"raw-tcp",	   "syslog-shapes",  "hostile-names", "ipv6",
	"logasap",	   "split-newline",  "truncated",	  "badreq-http",
	"ssl-errors",	   "capture-hr",     "quoted-sni",	  "traffic-exporter",
	"cap-other",	   "by-frontend",    "crlf-and-blank", "copytruncate-hole",
};

static const char *fixtures(void)
{
	const char *d = getenv("PROMSNAP_FIXTURES");
	return d ? d : "tests/fixtures";
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

struct opts {
	long max_series;
	int by_fe, by_be;
	long truncate_at;
	long sni_capture;
};

static void read_options(const char *dir, struct opts *o)
{
	char path[1024], line[256];
	o->max_series = 10000;
	o->by_fe = o->by_be = 0;
	o->truncate_at = 1024;
	o->sni_capture = 0;
	snprintf(path, sizeof path, "%s/options", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char k[64], v[128];
		if (sscanf(line, "%63s %127s", k, v) != 2)
			continue;
		if (!strcmp(k, "max_series"))
			o->max_series = atol(v);
		else if (!strcmp(k, "truncate_at"))
			o->truncate_at = atol(v);
		else if (!strcmp(k, "sni_capture"))
			o->sni_capture = atol(v);
		else if (!strcmp(k, "by")) {
			o->by_fe = strstr(v, "frontend") != NULL;
			o->by_be = strstr(v, "backend") != NULL;
		} else
			ck_abort_msg("%s: unknown option %s", path, k);
	}
	fclose(f);
}

START_TEST(test_fixture)
{
	char dir[1024], path[1100];
	struct opts o;
	struct logformat *lf = NULL;
	char err[512];

	snprintf(dir, sizeof dir, "%s/sni-scan/%s", fixtures(), cases[_i]);
	read_options(dir, &o);
	snprintf(path, sizeof path, "%s/format", dir);
	char *fmt = slurp(path, NULL);
	ck_assert_msg(fmt != NULL, "%s missing", path);
	fmt[strcspn(fmt, "\n")] = 0;
	int rc = strchr(fmt, '%') ? logformat_compile(fmt, &lf, err, sizeof err)
				  : logformat_preset(fmt, &lf, err, sizeof err);
	ck_assert_msg(rc == 0, "%s: %s", cases[_i], err);
	if (o.sni_capture)
		logformat_set_sni_capture(lf, (unsigned)o.sni_capture);

	struct counters *c = counters_new((size_t)o.max_series);
	counters_keep(c, o.by_fe, o.by_be);
	struct scan s;
	struct scan_opts so = {.truncate_at = (size_t)o.truncate_at};
	scan_init(&s, lf, c, &so);
	size_t len;
	snprintf(path, sizeof path, "%s/input", dir);
	char *in = slurp(path, &len);
	ck_assert_msg(in != NULL, "%s missing", path);
	for (size_t p = 0; p < len;) {
		const char *nl = memchr(in + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - in) : len;
		scan_line(&s, in + p, e - p, NOW);
		p = e + 1;
	}
	scan_flush(&s, NOW);
	ck_assert_int_eq(s.oom, 0);

	struct promfile *pf = promfile_new();
	ck_assert_int_eq(counters_fmt(c, pf, logformat_has_bytes_in(lf),
				      o.by_fe, o.by_be), 0);
	for (int i = 0; i < SCAN_NRESULTS; i++)
		ck_assert_int_eq(promfile_add(pf, "sni_scan_lines_total",
					      (double)s.result[i], "log",
					      "fixture", "result",
					      scan_result_names[i], NULL),
				 0);
	ck_assert_int_eq(promfile_add(pf, "sni_scan_series_dropped_total",
				      (double)c->dropped, NULL),
			 0);
	char *out;
	size_t outlen;
	ck_assert_int_eq(promfile_render(pf, &out, &outlen), 0);

	snprintf(path, sizeof path, "%s/expected", dir);
	if (getenv("SNI_FIXTURES_UPDATE")) {
		FILE *f = fopen(path, "wb");
		ck_assert_ptr_nonnull(f);
		fwrite(out, 1, outlen, f);
		fclose(f);
	}
	size_t wantlen;
	char *want = slurp(path, &wantlen);
	ck_assert_msg(want != NULL, "%s missing", path);
	ck_assert_msg(wantlen == outlen && !memcmp(want, out, outlen),
		      "%s: output differs from expected:\n%s", cases[_i], out);
	free(want);
	free(out);
	free(in);
	free(fmt);
	promfile_free(pf);
	counters_free(c);
	logformat_free(lf);
}
END_TEST

static Suite *scan_suite(void)
{
	Suite *s = suite_create("sni_scan");
	TCase *tc = tcase_create("fixtures");
	tcase_add_loop_test(tc, test_fixture, 0,
			    (int)(sizeof cases / sizeof cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(scan_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
