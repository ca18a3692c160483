/* SPDX-License-Identifier: MIT */
/* syslog_frame: every carrier of an HAProxy line strips to the message. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/sni-scan/syslog_frame.h"

#define MSG "127.0.0.1:4711 [21/Nov/2026:23:18:32.123] fe be/s1 1/0/2 10 5 -- 1/1/0/0/0 0/0 SNI=a.example.com"

static const struct {
	const char *line;
	const char *want; /* the message the strip leaves */
} cases[] = {
	{MSG, MSG},
	{"<134>" MSG, MSG},
	{"<134>Nov 21 23:18:32 haproxy[16592]: " MSG, MSG},
	{"<134>Nov 21 23:18:32 lb1 haproxy[16592]: " MSG, MSG},
	{"<134>Nov  1 23:18:32 haproxy[16592]: " MSG, MSG},
	{"Nov 21 23:18:32 lb1 haproxy[16592]: " MSG, MSG},
	{"Nov 21 23:18:32 lb1 haproxy: " MSG, MSG},
	{"2026-11-21T23:18:32.123456+00:00 lb1 haproxy[16592]: " MSG, MSG},
	{"<134>2026-11-21T23:18:32+01:00 lb1 haproxy[1]: " MSG, MSG},
	{"<134>1 2026-11-21T23:18:32.123Z lb1 haproxy 16592 - - " MSG, MSG},
	{"<134>1 2026-11-21T23:18:32Z lb1 haproxy 16592 - [a b=\"x]y\"][c d=\"\\\"\"] " MSG, MSG},
	{"<134>1 2026-11-21T23:18:32Z lb1 haproxy 16592 - - \xef\xbb\xbf" MSG, MSG},
	/* Not frames: left whole. */
	{"<9999>" MSG, "<9999>" MSG},
	{"<>" MSG, "<>" MSG},
	{"Proxy fe started.", "Proxy fe started."},
	{"Nov 21 23:18:32 no tag here at all", "no tag here at all"},
	{"1234-56 not a date at all", "1234-56 not a date at all"},
	{"2026-11-21T23:18:3 lb1 x: y", "y"},
	{"2026-11-21T23:18:3", "2026-11-21T23:18:3"},
	{"2026-11-21T23:18:32 h: y", "y"},
	/* Cut inside the frame: nothing of the message. */
	{"<134>1 2026-11-21T23:18:32Z lb1", ""},
	{"", ""},
};

START_TEST(test_table)
{
	const char *l = cases[_i].line;
	size_t len = strlen(l);
	size_t off = syslog_frame_strip(l, len);
	ck_assert_uint_le(off, len);
	ck_assert_str_eq(l + off, cases[_i].want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sni_frame");
	TCase *tc = tcase_create("strip");
	tcase_add_loop_test(tc, test_table, 0,
			    (int)(sizeof cases / sizeof cases[0]));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
