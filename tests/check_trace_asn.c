/* SPDX-License-Identifier: MIT */
/* Unit tests: ASN and organisation lookups against MaxMind's GeoLite2-ASN
 * test database (tests/fixtures/trace-once/GeoLite2-ASN-Test.mmdb). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/trace-once/asn.h"

static struct asn_db *open_test_db(void)
{
	char path[1024], err[512];
	struct asn_db *db;

	tu_fixture_path(path, sizeof path, "trace-once/GeoLite2-ASN-Test.mmdb");
	ck_assert_msg(asn_open(&db, path, err, sizeof err) == 0, "%s", err);
	return db;
}

static const struct {
	const char *ip, *asn, *org;
} lookups[] = {
    /* The database README's known lookups. */
    {"1.0.0.1", "AS15169", "Google Inc."},
    {"1.128.0.1", "AS1221", "Telstra Pty Ltd"},
    {"12.81.92.10", "AS7018", "AT&T Services"},
    {"12.81.96.1", "AS7018", "unknown"}, /* no organisation field */
    {"18.0.0.1", "AS3", "Massachusetts Institute of Technology"},
    {"89.160.20.112", "AS29518", "Bredband2 AB"},
    {"214.78.120.1", "AS721", "DoD Network Information Center"},
    {"2001:1700::1", "AS6730", "Sunrise Communications AG"},
    {"::ffff:1.0.0.1", "AS15169", "Google Inc."},
    {"8.8.8.8", "unknown", "unknown"}, /* not in the database */
    {"127.0.0.1", "unknown", "unknown"},
    {"10.1.2.3", "unknown", "unknown"},
    {"192.168.1.1", "unknown", "unknown"},
    {"172.16.0.1", "unknown", "unknown"},
    {"100.64.0.1", "unknown", "unknown"},
    {"fe80::1", "unknown", "unknown"},
    {"fd00::1", "unknown", "unknown"},
    {"::1", "unknown", "unknown"},
    {"???", "unknown", "unknown"},
    /* MMDB_lookup_string would read these as 1.0.0.1 / 1.0.0.1. */
    {"1.1", "unknown", "unknown"},
    {"1.0.1", "unknown", "unknown"},
    {"example.test", "unknown", "unknown"},
    {"", "unknown", "unknown"},
};

START_TEST(test_lookup)
{
	struct asn_db *db = open_test_db();
	struct asn_info ai;

	asn_lookup(db, lookups[_i].ip, &ai);
	ck_assert_str_eq(ai.asn, lookups[_i].asn);
	ck_assert_str_eq(ai.org, lookups[_i].org);
	asn_close(db);
}
END_TEST

/* One database for every lookup, three rounds in changing order: answers
 * kept for repeated addresses (and slots two addresses share) are the
 * answers a fresh database gives. */
START_TEST(test_lookup_repeated)
{
	const size_t n = sizeof lookups / sizeof lookups[0];
	struct asn_db *db = open_test_db();
	struct asn_info ai;

	for (size_t round = 0; round < 3; round++)
		for (size_t k = 0; k < n; k++) {
			size_t i = round == 1 ? n - 1 - k : (k * 7 + round) % n;

			asn_lookup(db, lookups[i].ip, &ai);
			ck_assert_str_eq(ai.asn, lookups[i].asn);
			ck_assert_str_eq(ai.org, lookups[i].org);
		}
	asn_close(db);
}
END_TEST

START_TEST(test_no_db)
{
	struct asn_db *db = (struct asn_db *)1;
	struct asn_info ai;
	char err[512];

	ck_assert_int_eq(asn_open(&db, "/nonexistent/x.mmdb", err, sizeof err),
			 -1);
	ck_assert_ptr_null(db);
	ck_assert_str_eq(err, "/nonexistent/x.mmdb: Error opening the "
			      "specified MaxMind DB file: No such file or "
			      "directory");
	asn_lookup(NULL, "1.0.0.1", &ai);
	ck_assert_str_eq(ai.asn, "unknown");
	ck_assert_str_eq(ai.org, "unknown");
	asn_close(NULL);
}
END_TEST

START_TEST(test_utf8_cut)
{
	char out[8];

	/* "aé" is 61 c3 a9; a cut at 2 bytes must not leave a lone c3. */
	asn_copy_utf8(out, "a\xc3\xa9xyz", 6, 2);
	ck_assert_str_eq(out, "a");
	asn_copy_utf8(out, "a\xc3\xa9xyz", 6, 3);
	ck_assert_str_eq(out, "a\xc3\xa9");
	asn_copy_utf8(out, "abc", 3, 7);
	ck_assert_str_eq(out, "abc");
	/* A 4-byte character cut anywhere inside goes away whole. */
	asn_copy_utf8(out, "\xf0\x9f\x98\x80", 4, 3);
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("trace_asn");
	TCase *tc = tcase_create("asn");

	tcase_add_loop_test(tc, test_lookup, 0,
			    sizeof lookups / sizeof lookups[0]);
	tcase_add_test(tc, test_lookup_repeated);
	tcase_add_test(tc, test_no_db);
	tcase_add_test(tc, test_utf8_cut);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
