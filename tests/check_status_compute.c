/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of promsnap-status's pure part (cmd/promsnap-status/status.c):
 * decoding health series from .prom text, the ok/failing/stale/never
 * verdicts, and the table and JSON output, byte for byte against
 * tests/fixtures/promsnap-status/<case>/{input,expected}.
 *
 * A fixture's input is "key value" lines (tool, interval, now, state,
 * prom_mtime, running_pid) then a line "--- prom" and the .prom text, if
 * any.  state is
 * a Unix time, "empty" (a state with no success yet) or "unreadable".
 * expected is the table followed by the JSON for that one row.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/promsnap-status/status.h"

static const char *fixtures_dir(void)
{
	const char *d = getenv("PROMSNAP_FIXTURES");
	return d && *d ? d : "tests/fixtures";
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* ---- decode, table-driven ---------------------------------------------- */

struct decode_case {
	const char *text;
	double run_success, last_run, last_success;
	const char *version;
	size_t series, bad;
};

static const struct decode_case decode_cases[] = {
    /* the tool's own series */
    {"promsnap_run_success{tool=\"sni-scan\"} 1\n"
     "promsnap_last_run_timestamp_seconds{tool=\"sni-scan\"} 1700000000.5\n",
     1, 1700000000.5, NAN, "", 2, 0},
    /* another tool's series are counted, not used */
    {"promsnap_run_success{tool=\"trace-once\"} 0\n", NAN, NAN, NAN, "", 1, 0},
    /* escapes in label values; labels in any order; trailing comma */
    {"promsnap_build_info{version=\"1.\\\"2\\\\\",tool=\"sni-scan\",} 1\n", NAN,
     NAN, NAN, "1.\"2\\", 1, 0},
    /* comments, blank lines, CRLF, a timestamp after the value */
    {"# HELP x y\n\n# TYPE x gauge\r\npromsnap_last_success_timestamp_"
     "seconds{tool=\"sni-scan\"} 42 1700000000000\r\n",
     NAN, NAN, 42, "", 1, 0},
    /* special values */
    {"promsnap_run_success{tool=\"sni-scan\"} NaN\nx +Inf\ny -Inf\n", NAN, NAN,
     NAN, "", 3, 0},
    /* malformed: no value, bad escape, unterminated labels, bad name,
     * junk after the value */
    {"promsnap_run_success{tool=\"sni-scan\"}\n"
     "a{tool=\"\\x\"} 1\n"
     "a{tool=\"sni-scan\" 1\n"
     "9abc 1\n"
     "a 1x\n",
     NAN, NAN, NAN, "", 0, 5},
    /* no final newline */
    {"promsnap_run_success{tool=\"sni-scan\"} 0", 0, NAN, NAN, "", 1, 0},
    /* control and non-ASCII bytes in a version become '?' */
    {"promsnap_build_info{tool=\"sni-scan\",version=\"a\\nb\xc3\xa9\"} 1\n",
     NAN, NAN, NAN, "a?b??", 1, 0},
    /* empty input */
    {"", NAN, NAN, NAN, "", 0, 0},
};

static int same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

START_TEST(test_decode)
{
	const struct decode_case *c = &decode_cases[_i];
	struct status_prom p;

	status_decode_prom(c->text, strlen(c->text), "sni-scan", &p);
	ck_assert_msg(same(p.run_success, c->run_success),
		      "case %d: run_success %g", _i, p.run_success);
	ck_assert_msg(same(p.last_run, c->last_run), "case %d: last_run %g", _i,
		      p.last_run);
	ck_assert_msg(same(p.last_success, c->last_success),
		      "case %d: last_success %g", _i, p.last_success);
	ck_assert_str_eq(p.version, c->version);
	ck_assert_uint_eq(p.series, c->series);
	ck_assert_uint_eq(p.bad_lines, c->bad);
}
END_TEST

START_TEST(test_decode_nul_and_long_line)
{
	/* A NUL inside a line makes it malformed, it does not end the
	 * buffer; a line over 64 KiB is refused unparsed. */
	static const char nul[] = "a 1\nb\0c 2\nd 3\n";
	size_t big = 70000;
	char *buf = malloc(big + 8);
	struct status_prom p;

	status_decode_prom(nul, sizeof nul - 1, "x", &p);
	ck_assert_uint_eq(p.series, 2);
	ck_assert_uint_eq(p.bad_lines, 1);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 'a', big);
	memcpy(buf + big, " 1\nb 2\n", 7);
	status_decode_prom(buf, big + 7, "x", &p);
	ck_assert_uint_eq(p.series, 1);
	ck_assert_uint_eq(p.bad_lines, 1);
	free(buf);
}
END_TEST

/* ---- who holds the lock, from /proc/locks ------------------------------- */

struct locks_case {
	const char *text;
	long want;
};
static const struct locks_case locks_cases[] = {
    /* the holder of 08:01:5678 */
    {"1: POSIX  ADVISORY  WRITE 99 08:01:1234 0 EOF\n"
     "2: FLOCK  ADVISORY  WRITE 4242 08:01:5678 0 EOF\n",
     4242},
    /* a waiter ("->") is not the holder; hex device numbers */
    {"3: -> FLOCK  ADVISORY  WRITE 77 08:01:5678 0 EOF\n", 0},
    {"4: FLOCK  ADVISORY  WRITE 31 fd:1a:5678 0 EOF\n", 0},
    {"4: FLOCK  ADVISORY  WRITE 31 08:01:56789 0 EOF\n", 0},
    /* garbage, empty, no final newline */
    {"x\n\n:::\n5: FLOCK ADVISORY WRITE 12 08:01:5678 0 EOF", 12},
    {"", 0},
};

START_TEST(test_locks)
{
	const struct locks_case *c = &locks_cases[_i];
	ck_assert_int_eq(
	    status_decode_locks(c->text, strlen(c->text), 8, 1, 5678), c->want);
}
END_TEST

/* ---- ages ------------------------------------------------------------------
 */

struct age_case {
	double s;
	const char *want;
};
static const struct age_case age_cases[] = {
    {NAN, "-"},	    {-5, "0s"},	       {0, "0s"},    {119.9, "119s"},
    {120, "2m"},    {7199, "119m"},    {7200, "2h"}, {172799, "47h"},
    {172800, "2d"}, {1e13, "forever"},
};

START_TEST(test_age)
{
	char buf[16];
	status_fmt_age(age_cases[_i].s, buf, sizeof buf);
	ck_assert_str_eq(buf, age_cases[_i].want);
}
END_TEST

/* ---- whole verdicts on fixtures ---------------------------------------- */

static const char *const cases[] = {
    "ok",
    "ok_last_run_failed",
    "ok_state_newer_than_file",
    "ok_state_reset",
    "failing",
    "failing_never_succeeded",
    "stale_timer_stopped",
    "stale_no_prom",
    "never",
    "hostile_prom",
    "state_unreadable_file_fresh",
    "stale_but_running",
    "file_only_fresh",
    "file_only_old",
};

static void parse_input(char *text, struct status_input *in, double *now,
			char *tool, size_t toolcap)
{
	char *line = text, *prom = strstr(text, "--- prom\n");

	memset(in, 0, sizeof *in);
	in->state_last_success = NAN;
	status_prom_init(&in->prom);
	if (prom) {
		*prom = '\0';
		prom += strlen("--- prom\n");
	}
	while (line && *line) {
		char *nl = strchr(line, '\n');
		char key[32], val[256];
		if (nl)
			*nl = '\0';
		if (sscanf(line, "%31s %255s", key, val) == 2) {
			if (!strcmp(key, "tool"))
				snprintf(tool, toolcap, "%s", val);
			else if (!strcmp(key, "interval"))
				in->interval = strtod(val, NULL);
			else if (!strcmp(key, "now"))
				*now = strtod(val, NULL);
			else if (!strcmp(key, "prom_mtime"))
				in->prom_mtime = strtod(val, NULL);
			else if (!strcmp(key, "running_pid"))
				in->running_pid = strtol(val, NULL, 10);
			else if (!strcmp(key, "state")) {
				if (!strcmp(val, "unreadable")) {
					in->state_unreadable = 1;
				} else {
					in->have_state = 1;
					if (strcmp(val, "empty"))
						in->state_last_success =
						    strtod(val, NULL);
				}
			} else
				ck_abort_msg("unknown input key %s", key);
		}
		line = nl ? nl + 1 : NULL;
	}
	in->tool = tool;
	if (prom) {
		in->have_prom = 1;
		status_decode_prom(prom, strlen(prom), tool, &in->prom);
	}
}

START_TEST(test_fixture)
{
	char path[1024], tool[64] = "";
	struct status_input in;
	struct status_row row;
	double now = 0;
	char *input, *expected, *got = NULL;
	size_t gotlen = 0, explen = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/promsnap-status/%s/input",
		 fixtures_dir(), cases[_i]);
	input = slurp(path, NULL);
	ck_assert_msg(input != NULL, "cannot read %s", path);
	parse_input(input, &in, &now, tool, sizeof tool);
	status_compute(&in, now, &row);

	f = open_memstream(&got, &gotlen);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(status_fmt_table(f, &row, 1, now), 0);
	ck_assert_int_eq(status_fmt_json(f, &row, 1, now), 0);
	fclose(f);

	snprintf(path, sizeof path, "%s/promsnap-status/%s/expected",
		 fixtures_dir(), cases[_i]);
	if (getenv("PROMSNAP_FIXTURES_WRITE")) {
		FILE *w = fopen(path, "wb");
		ck_assert_ptr_nonnull(w);
		fwrite(got, 1, gotlen, w);
		fclose(w);
	}
	expected = slurp(path, &explen);
	ck_assert_msg(expected != NULL, "cannot read %s", path);
	ck_assert_msg(explen == gotlen && !memcmp(expected, got, gotlen),
		      "%s: output differs:\n--- expected\n%s--- got\n%s",
		      cases[_i], expected, got);
	free(expected);
	free(got);
	free(input);
}
END_TEST

START_TEST(test_all_healthy)
{
	struct status_row rows[2];
	memset(rows, 0, sizeof rows);
	rows[0].code = rows[1].code = STATUS_OK;
	ck_assert_int_eq(status_all_healthy(rows, 2), 1);
	/* nothing checked is not healthy: a health check with wrong paths
	 * must not pass */
	ck_assert_int_eq(status_all_healthy(rows, 0), 0);
	rows[1].code = STATUS_STALE;
	ck_assert_int_eq(status_all_healthy(rows, 2), 0);
}
END_TEST

static Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("decode");

	tcase_add_loop_test(tc, test_decode, 0,
			    sizeof decode_cases / sizeof decode_cases[0]);
	tcase_add_test(tc, test_decode_nul_and_long_line);
	tcase_add_loop_test(tc, test_locks, 0,
			    sizeof locks_cases / sizeof locks_cases[0]);
	tcase_add_loop_test(tc, test_age, 0,
			    sizeof age_cases / sizeof age_cases[0]);
	suite_add_tcase(s, tc);
	tc = tcase_create("compute");
	tcase_add_loop_test(tc, test_fixture, 0,
			    sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_all_healthy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(status_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
