/* SPDX-License-Identifier: MIT */
/*
 * logpos: the rotation state machine, one row per situation a log can be
 * in between two runs (rename, copytruncate, replace with a reused inode,
 * partial line, empty file, file missing then back).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/sni-scan/logpos.h"

#define H1 0x1111
#define H2 0x2222

/* Saved: inode 10 on dev 1, offset 500 of 600 bytes, first line hashed. */
static const struct logpos SAVED = {1, 1, 10, 500, 600, 80, H1, 0};
static const struct logpos NONE = {0};
static const struct logpos SAVED_NOHASH = {1, 1, 10, 0, 0, 0, 0, 0};

#define F(ex, ino, size, hok, h) {ex, 1, ino, size, hok, h}
#define MISSING {0, 0, 0, 0, 0, 0}

static const struct {
	const char *name;
	struct logpos saved;
	struct logpos_file cur, rot;
	int from_end;
	struct logpos_plan want;
} cases[] = {
	{"first run reads from 0", NONE, F(1, 10, 600, 0, 0), MISSING, 0,
	 {0, 0, 1, 0, 0, 0, 0}},
	{"first run --from-end", NONE, F(1, 10, 600, 0, 0), MISSING, 1,
	 {0, 0, 1, 600, 1, 0, 0}},
	{"first run, no file yet", NONE, MISSING, MISSING, 0,
	 {0, 0, 0, 0, 0, 0, 0}},
	{"grown: read on", SAVED, F(1, 10, 900, 1, H1), MISSING, 0,
	 {0, 0, 1, 500, 0, 0, 0}},
	{"nothing new: read on (empty read)", SAVED, F(1, 10, 500, 1, H1),
	 MISSING, 0, {0, 0, 1, 500, 0, 0, 0}},
	{"partial line waiting: same offset", SAVED, F(1, 10, 520, 1, H1),
	 MISSING, 0, {0, 0, 1, 500, 0, 0, 0}},
	{"renamed: finish .1, then new file from 0", SAVED,
	 F(1, 11, 300, 1, H2), F(1, 10, 650, 1, H1), 0,
	 {1, 500, 1, 0, 0, 1, 0}},
	{"renamed, .1 is someone else: new file from 0", SAVED,
	 F(1, 11, 300, 1, H2), F(1, 9, 650, 1, H1), 0,
	 {0, 0, 1, 0, 0, 1, 0}},
	{"renamed, new file not created yet: finish .1, wait", SAVED, MISSING,
	 F(1, 10, 650, 1, H1), 0, {1, 500, 0, 0, 0, 0, 0}},
	{"file missing, nothing rotated: wait", SAVED, MISSING, MISSING, 0,
	 {0, 0, 0, 0, 0, 0, 0}},
	{"copytruncate, caught small: copy in .1 finished", SAVED,
	 F(1, 10, 40, 0, 0), F(1, 12, 600, 1, H1), 0,
	 {1, 500, 1, 0, 0, 1, 0}},
	{"copytruncate, regrown past offset: head differs", SAVED,
	 F(1, 10, 900, 1, H2), F(1, 12, 600, 1, H1), 0,
	 {1, 500, 1, 0, 0, 1, 0}},
	{"truncated in place, no copy: read from 0", SAVED,
	 F(1, 10, 100, 1, H2), MISSING, 0, {0, 0, 1, 0, 0, 1, 0}},
	{"replaced, inode reused, bigger: head differs", SAVED,
	 F(1, 10, 5000, 1, H2), MISSING, 0, {0, 0, 1, 0, 0, 1, 0}},
	{"emptied: size 0", SAVED, F(1, 10, 0, 0, 0), MISSING, 0,
	 {0, 0, 1, 0, 0, 1, 0}},
	{"empty file saved, now has lines: read on", SAVED_NOHASH,
	 F(1, 10, 300, 0, 0), MISSING, 0, {0, 0, 1, 0, 0, 0, 0}},
	{"back after missing: new inode from 0", SAVED, F(1, 13, 50, 1, H2),
	 MISSING, 0, {0, 0, 1, 0, 0, 1, 0}},
	{"--from-end ignored once a position exists", SAVED,
	 F(1, 10, 900, 1, H1), MISSING, 1, {0, 0, 1, 500, 0, 0, 0}},
};

START_TEST(test_decide)
{
	struct logpos_plan p;
	memset(&p, 0x5a, sizeof p);
	logpos_decide(&cases[_i].saved, &cases[_i].cur, &cases[_i].rot,
		      cases[_i].from_end, &p);
	const struct logpos_plan *w = &cases[_i].want;
	ck_assert_msg(p.read_rotated == w->read_rotated &&
			      p.rot_off == w->rot_off &&
			      p.read_current == w->read_current &&
			      p.cur_off == w->cur_off &&
			      p.cur_from_end == w->cur_from_end &&
			      p.rotation == w->rotation,
		      "%s: got rot=%d@%llu cur=%d@%llu end=%d rotation=%d",
		      cases[_i].name, p.read_rotated,
		      (unsigned long long)p.rot_off, p.read_current,
		      (unsigned long long)p.cur_off, p.cur_from_end,
		      p.rotation);
}
END_TEST

START_TEST(test_skipping_carries)
{
	struct logpos s = SAVED;
	struct logpos_file cur = F(1, 10, 900, 1, H1), rot = MISSING;
	struct logpos_plan p;
	s.skipping = 1;
	logpos_decide(&s, &cur, &rot, 0, &p);
	ck_assert_int_eq(p.keep_skipping, 1);
	/* A new file starts clean. */
	cur.ino = 11;
	logpos_decide(&s, &cur, &rot, 0, &p);
	ck_assert_int_eq(p.keep_skipping, 0);
}
END_TEST

/* logpos_unchanged: when a run may skip the log altogether. */
static const struct {
	const char *name;
	struct logpos saved;
	struct logpos_file cur;
	int want;
} unchanged_cases[] = {
	{"at its end, same file", {1, 1, 10, 600, 600, 80, H1, 0},
	 F(1, 10, 600, 1, H1), 1},
	{"at its end, skipping an over-long line",
	 {1, 1, 10, 600, 600, 80, H1, 1}, F(1, 10, 600, 1, H1), 1},
	{"empty file, nothing hashed yet", {1, 1, 10, 0, 0, 0, 0, 0},
	 F(1, 10, 0, 0, 0), 1},
	{"grown", {1, 1, 10, 600, 600, 80, H1, 0}, F(1, 10, 700, 1, H1), 0},
	{"a partial line waits (size past offset)", SAVED,
	 F(1, 10, 600, 1, H1), 0},
	{"lines left by --max-bytes", {1, 1, 10, 500, 900, 80, H1, 0},
	 F(1, 10, 900, 1, H1), 0},
	{"saved size differs", {1, 1, 10, 600, 700, 80, H1, 0},
	 F(1, 10, 600, 1, H1), 0},
	{"truncated and refilled to the same size",
	 {1, 1, 10, 600, 600, 80, H1, 0}, F(1, 10, 600, 1, H2), 0},
	{"first line unreadable", {1, 1, 10, 600, 600, 80, H1, 0},
	 F(1, 10, 600, 0, 0), 0},
	{"another inode", {1, 1, 10, 600, 600, 80, H1, 0},
	 F(1, 11, 600, 1, H1), 0},
	{"missing", {1, 1, 10, 600, 600, 80, H1, 0}, MISSING, 0},
	{"nothing saved", NONE, F(1, 10, 0, 0, 0), 0},
};

START_TEST(test_unchanged)
{
	ck_assert_msg(logpos_unchanged(&unchanged_cases[_i].saved,
				       &unchanged_cases[_i].cur) ==
			      unchanged_cases[_i].want,
		      "%s", unchanged_cases[_i].name);
}
END_TEST

START_TEST(test_hash)
{
	/* FNV-1a 64 test vectors. */
	ck_assert_uint_eq(logpos_hash("", 0), 0xcbf29ce484222325ULL);
	ck_assert_uint_eq(logpos_hash("a", 1), 0xaf63dc4c8601ec8cULL);
	ck_assert_uint_eq(logpos_hash("foobar", 6), 0x85944171f73967e8ULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sni_logpos");
	TCase *tc = tcase_create("decide");
	tcase_add_loop_test(tc, test_decide, 0,
			    (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_skipping_carries);
	tcase_add_loop_test(tc, test_unchanged, 0,
			    (int)(sizeof unchanged_cases /
				  sizeof unchanged_cases[0]));
	tcase_add_test(tc, test_hash);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
