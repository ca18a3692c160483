/* SPDX-License-Identifier: MIT */
/* Unit tests: decode_mtr_json on fixtures (mtr 0.93 and 0.95+ JSON,
 * silent hops, empty hubs, malformed and truncated input) and
 * decode_mtr_result on the ways an mtr child can end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"
#include "../cmd/trace-once/mtr_json.h"
#include "../cmd/trace-once/result.h"
#include "../cmd/trace-once/route.h"

static const char *const cases[] = {
    "v095_silent_hop",
    "v093_strings",
    "empty_hubs",
    "truncated",
    "v093_empty_hubs_unclosed",
    "empty_input",
    "not_object",
    "negative_rtt",
    "loss_over_100",
    "count_not_increasing",
    "host_injection",
    "count_too_big",
    "duplicate_key", "v093_unclosed_other",
    /* Blanks jansson never sees: inside strings they stay, between two
     * numbers they still make an error (at the place mtr wrote it). */
    "blanks_in_strings",
    "split_number",
};

START_TEST(test_decode_fixture)
{
	char err[256];
	char *got = malloc(ROUTE_REPORT_TEXT_MAX + 300);
	struct mtr_report *rep = malloc(sizeof *rep);
	size_t len;
	char *in, *want;

	in = tu_fixture(&len, "trace-once/mtr_json/%s/input", cases[_i]);
	want = tu_fixture(NULL, "trace-once/mtr_json/%s/expected", cases[_i]);
	if (decode_mtr_json(in, len, rep, err, sizeof err) == 0) {
		ck_assert_int_eq(
		    route_report_encode(rep, got, ROUTE_REPORT_TEXT_MAX), 0);
		strcat(got, "\n");
	} else {
		ck_assert_uint_eq(rep->nhops, 0);
		snprintf(got, ROUTE_REPORT_TEXT_MAX + 300, "error: %s\n", err);
	}
	ck_assert_str_eq(got, want);
	free(in);
	free(want);
	free(got);
	free(rep);
}
END_TEST

/* The mtr 0.95 report with a silent hop that two tests take apart. */
static char *silent_hop_input(size_t *len)
{
	return tu_fixture(len, "trace-once/mtr_json/v095_silent_hop/input");
}

START_TEST(test_silent_hop_fields)
{
	size_t len;
	char *in = silent_hop_input(&len), err[256];
	struct mtr_report rep;

	ck_assert_int_eq(decode_mtr_json(in, len, &rep, err, sizeof err), 0);
	ck_assert_uint_eq(rep.nhops, 4);
	ck_assert_int_eq(rep.hops[1].silent, 1);
	ck_assert_int_eq(rep.hops[0].silent, 0);
	ck_assert_int_eq(rep.hops[3].ttl, 4);
	ck_assert_double_eq(rep.hops[2].loss_pct, 20.0);
	ck_assert_double_eq(rep.tests, 10);
	ck_assert_int_eq(compute_reached(&rep), 1);
	free(in);
}
END_TEST

/* Every prefix of a valid report is rejected without a crash. */
START_TEST(test_every_truncation_fails)
{
	size_t len;
	char *in = silent_hop_input(&len), err[256];
	struct mtr_report rep;
	size_t end = len;

	while (end > 0 && (in[end - 1] == '\n' || in[end - 1] == '}'))
		end--;
	for (size_t n = 0; n < end; n++)
		ck_assert_int_eq(decode_mtr_json(in, n, &rep, err, sizeof err),
				 -1);
	free(in);
}
END_TEST

static const char good_json[] =
    "{\"report\":{\"mtr\":{\"dst\":\"127.0.0.1\",\"tests\":1},\"hubs\":"
    "[{\"count\":1,\"host\":\"127.0.0.1\",\"Loss%\":0,\"Snt\":1}]}}";

/* What the child wrote to stdout and to stderr; they reach
 * decode_mtr_result as one stream, stderr's text first (mtr writes its
 * report at exit). */
static const struct {
	int timed_out, status;
	const char *out, *err;
	int truncated;
	enum trace_result want;
	const char *why;
} results[] = {
    {1, 0, "", "", 0, TRACE_TIMEOUT, "killed at its deadline"},
    /* mtr 0.95 exits 0 for a host it cannot resolve. */
    {0, 0, "",
     "mtr: Failed to resolve host: nonexistent.invalid: Name or service "
     "not known\n",
     0, TRACE_RESOLVE_FAILED,
     "mtr: Failed to resolve host: nonexistent.invalid: Name or service "
     "not known"},
    {0, 1 << 8, "", "mtr: unable to get raw sockets.\n", 0, TRACE_MTR_FAILED,
     "exit status 1: mtr: unable to get raw sockets."},
    {0, 9, "", "", 0, TRACE_MTR_FAILED, "killed by signal 9"},
    {0, 0, good_json, "mtr: warning\n", 0, TRACE_MTR_FAILED, "mtr: warning"},
    {0, 0, "", "", 0, TRACE_MTR_FAILED, "no report on stdout"},
    {0, 0, good_json, "", 1, TRACE_MTR_FAILED,
     "report larger than the output cap"},
    {0, 0, "{\"report\":", "", 0, TRACE_MTR_FAILED,
     "malformed report: line 1 column 10: unexpected token near end "
     "of file"},
    {0, 0, good_json, "", 0, TRACE_OK, ""},
    {0, 0, good_json, "\n\n", 0, TRACE_OK, ""},
    /* Said without a newline: the report does not start a line, so all
     * of it is taken as what mtr said. */
    {0, 0, good_json, "mtr: odd", 0, TRACE_MTR_FAILED,
     "mtr: odd{\"report\":{\"mtr\":{\"dst\":\"127.0.0.1\",\"tests\":1},"
     "\"hubs\":[{\"count\":1,\"host\":\"127.0.0.1\",\"Loss%\":0,\"Snt\":1}]}}"},
    /* Text after the report (stderr written late) is no report. */
    {0, 0, "{\"report\":{}}\nmtr: late\n", "", 0, TRACE_MTR_FAILED,
     "malformed report: line 2 column 3: end of file expected near 'mtr'"},
};

START_TEST(test_result)
{
	struct mtr_report rep;
	char why[512], out[1024];
	int n = snprintf(out, sizeof out, "%s%s", results[_i].err,
			 results[_i].out);
	enum trace_result r = decode_mtr_result(
	    results[_i].timed_out, results[_i].status, out, (size_t)n,
	    results[_i].truncated, &rep, why, sizeof why);

	ck_assert_int_eq(r, results[_i].want);
	ck_assert_str_eq(why, results[_i].why);
	ck_assert_uint_eq(rep.nhops, r == TRACE_OK ? 1 : 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trace_mtr_json");
	TCase *tc = tcase_create("decode");

	tcase_add_loop_test(tc, test_decode_fixture, 0,
			    sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_silent_hop_fields);
	tcase_add_test(tc, test_every_truncation_fails);
	tcase_add_loop_test(tc, test_result, 0,
			    sizeof results / sizeof results[0]);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
