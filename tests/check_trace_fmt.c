/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: whole .prom output of trace_fmt for one target, byte for
 * byte, from fixtures tests/fixtures/trace-once/fmt/<case>/:
 *   state     (optional) the state text before the run
 *   input     the mtr JSON of this run; empty: the run timed out
 *   expected  the exposition trace_fmt writes
 * The run is recorded at 1795304200 with a duration of 1234.5 ms and
 * hops are labelled from the GeoLite2-ASN test database.  Cases whose
 * name contains "legacy" also write mtr_route_volatility.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "../cmd/trace-once/asn.h"
#include "../cmd/trace-once/fmt.h"
#include "../cmd/trace-once/mtr_json.h"
#include "../cmd/trace-once/tstate.h"
#include "promfile.h"
#include "statefile.h"

#define NOW 1795304200.0

/* The optional state fixture of a case: NULL when the case has none. */
static char *optional_state(const char *name, size_t *len)
{
	char path[1024];

	tu_fixture_path(path, sizeof path, "trace-once/fmt/%s/state", name);
	if (access(path, F_OK) != 0)
		return NULL;
	return tu_fixture(len, "trace-once/fmt/%s/state", name);
}

static const char *const cases[] = {
    "first_run",
    "route_change_legacy",
    "timeout_keeps_route",
    "unreachable",
};

START_TEST(test_fmt_fixture)
{
	const char *name = cases[_i];
	struct statefile *st = statefile_new_memory("trace-once");
	struct promfile *pf = promfile_new();
	struct mtr_report *rep = calloc(1, sizeof *rep);
	struct tstate *ts = calloc(1, sizeof *ts);
	struct asn_info asn[MTR_MAX_HOPS];
	double sent[MTR_MAX_HOPS];
	struct trace_view v;
	struct asn_db *db;
	char path[1024], err[512], *in, *state, *want, *got;
	size_t len, glen;
	enum trace_result res = TRACE_OK;

	tu_fixture_path(path, sizeof path, "trace-once/GeoLite2-ASN-Test.mmdb");
	ck_assert_msg(asn_open(&db, path, err, sizeof err) == 0, "%s", err);
	state = optional_state(name, &len);
	if (state)
		ck_assert_msg(
		    statefile_parse(st, state, len, err, sizeof err) == 0, "%s",
		    err);
	in = tu_fixture(&len, "trace-once/fmt/%s/input", name);
	if (len == 0)
		res = TRACE_TIMEOUT;
	else
		ck_assert_msg(decode_mtr_json(in, len, rep, err, sizeof err) ==
				  0,
			      "%s", err);
	tstate_load(st, "target-a", ts);
	ck_assert_int_eq(ts->damaged, 0);
	ck_assert_int_eq(
	    tstate_record(st, "target-a", ts, res, res == TRACE_OK ? rep : NULL,
			  1, res == TRACE_OK ? 1234.5 : 7000, 10, NOW, NOW),
	    0);
	tstate_view(st, "target-a", ts, db, asn, sent,
		    strstr(name, "legacy") != NULL, &v);
	ck_assert_msg(trace_fmt(pf, &v) == 0, "%s", promfile_error(pf));
	ck_assert_int_eq(promfile_render(pf, &got, &glen), 0);
	/* TRACE_REGEN=1 rewrites the golden file: review the diff. */
	if (getenv("TRACE_REGEN")) {
		FILE *f;

		tu_fixture_path(path, sizeof path, "trace-once/fmt/%s/expected",
				name);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		fclose(f);
	}
	want = tu_fixture(NULL, "trace-once/fmt/%s/expected", name);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
	free(in);
	free(state);
	free(rep);
	free(ts);
	asn_close(db);
	promfile_free(pf);
	statefile_close(st);
}
END_TEST

/* An organisation name is a label value: quotes, backslashes and
 * newlines are escaped, never let through raw. */
START_TEST(test_hostile_org_escaped)
{
	struct promfile *pf = promfile_new();
	struct mtr_report rep;
	struct asn_info ai = {"AS1", "Evil \"Org\"\\\n} 1"};
	double sent = 3;
	struct trace_view v = {0};
	char *got;
	size_t len;

	memset(&rep, 0, sizeof rep);
	strcpy(rep.dst, "1.0.0.1");
	rep.nhops = 1;
	rep.hops[0].ttl = 1;
	strcpy(rep.hops[0].host, "1.0.0.1");
	v.target = "t";
	v.success = 1;
	v.rep = &rep;
	v.asn = &ai;
	v.sent_total = &sent;
	ck_assert_int_eq(trace_fmt(pf, &v), 0);
	ck_assert_int_eq(promfile_render(pf, &got, &len), 0);
	ck_assert_ptr_nonnull(
	    strstr(got, "mtr_hop_sent_total{target=\"t\",hop=\"last\","
			"ip=\"1.0.0.1\",asn=\"AS1\",org=\"Evil "
			"\\\"Org\\\"\\\\\\n} 1\",ttl=\"1\"} 3\n"));
	free(got);
	promfile_free(pf);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trace_fmt");
	TCase *tc = tcase_create("fmt");

	tcase_add_loop_test(tc, test_fmt_fixture, 0,
			    sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, test_hostile_org_escaped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
