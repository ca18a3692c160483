/* SPDX-License-Identifier: MIT */
/* counters: totals across runs, the series cap, expiry, saturation. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/sni-scan/counters.h"
#include "../cmd/sni-scan/reuse.h"
#include "promfile.h"

static struct sni_entry *find(struct counters *c, const char *key)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->tab[i].key && !strcmp(c->tab[i].key, key))
			return &c->tab[i];
	return NULL;
}

START_TEST(test_add_and_value)
{
	struct counters *c = counters_new(10);
	counters_keep(c, 1, 1);
	char v[160];
	ck_assert_int_eq(counters_add(c, "a.example", "fe", 2, "be", 2, 100,
				      7, 0, 1000), 0);
	ck_assert_int_eq(counters_add(c, "a.example", "fe", 2, "be", 2, 0, 3,
				      1, 2000), 0);
	struct sni_entry *e = find(c, "a.example|fe|be");
	ck_assert_ptr_nonnull(e);
	counters_value(e, v, sizeof v);
	ck_assert_str_eq(v, "100,2,1,10,2000");
	ck_assert_int_eq(e->dirty, 1);
	counters_free(c);
}
END_TEST

START_TEST(test_load_roundtrip)
{
	struct counters *c = counters_new(10);
	char v[160];
	ck_assert_int_eq(counters_load(c, "a.example||", "5,6,7,8,1234"), 0);
	struct sni_entry *e = find(c, "a.example||");
	counters_value(e, v, sizeof v);
	ck_assert_str_eq(v, "5,6,7,8,1234");
	ck_assert_int_eq(e->dirty, 0); /* unchanged: no rewrite needed */
	ck_assert_int_eq(counters_load(c, "b||", "5,6,7"), -1);
	ck_assert_int_eq(counters_load(c, "b||", "1,2,3,4,5 junk"), -1);
	ck_assert_int_eq(counters_load(c, "no-separators", "1,2,3,4,5"), -1);
	ck_assert_int_eq(counters_load(c, "a|b|c|d", "1,2,3,4,5"), -1);
	/* A name scanning would not have let in goes to "invalid". */
	ck_assert_int_eq(counters_load(c, "Bad Name||", "1,1,0,0,5"), 1);
	ck_assert_int_eq(counters_load(c, "caf\xc3\xa9||", "2,1,0,0,5"), 1);
	ck_assert_uint_eq(find(c, "invalid||")->bytes, 3);
	ck_assert_int_eq(counters_load(c, "none||", "1,1,0,0,5"), 0);
	counters_free(c);
}
END_TEST

/* The saved value is formatted by hand; it must read exactly as
 * "%llu,...,%.0f" did, rounding of the time included. */
static const double seen_cases[] = {
	0, 0.5, 1.5, 2.5, 1763771234.0, 1763771234.4999, 1763771234.5,
	1763771235.5, 1763771235.50001, 9007199254740991.0,
	9007199254740992.0, 1e300, -1.0,
};

START_TEST(test_value_format)
{
	struct sni_entry e;
	char got[160], want[160];
	memset(&e, 0, sizeof e);
	e.bytes = UINT64_MAX;
	e.conns = 0;
	e.zero = 10;
	e.up = 1234567890123ULL;
	e.last_seen = seen_cases[_i];
	counters_value(&e, got, sizeof got);
	snprintf(want, sizeof want, "%llu,%llu,%llu,%llu,%.0f",
		 (unsigned long long)e.bytes, (unsigned long long)e.conns,
		 (unsigned long long)e.zero, (unsigned long long)e.up,
		 e.last_seen);
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(test_cap)
{
	struct counters *c = counters_new(2);
	counters_add(c, "a", NULL, 0, NULL, 0, 1, 0, 0, 1);
	counters_add(c, "b", NULL, 0, NULL, 0, 2, 0, 0, 1);
	counters_add(c, "c", NULL, 0, NULL, 0, 4, 0, 0, 1);
	counters_add(c, "d", NULL, 0, NULL, 0, 8, 0, 0, 1);
	counters_add(c, "none", NULL, 0, NULL, 0, 16, 0, 0, 1);
	counters_add(c, "a", NULL, 0, NULL, 0, 32, 0, 0, 1);
	ck_assert_ptr_null(find(c, "c||"));
	ck_assert_uint_eq(find(c, "other||")->bytes, 12);
	ck_assert_uint_eq(find(c, "other||")->conns, 2);
	ck_assert_uint_eq(find(c, "none||")->bytes, 16);
	ck_assert_uint_eq(find(c, "a||")->bytes, 33);
	ck_assert_uint_eq(c->dropped, 2);
	counters_free(c);
	/* Loading more saved names than the cap merges the rest. */
	c = counters_new(1);
	counters_load(c, "x||", "1,1,0,0,5");
	counters_load(c, "y||", "2,1,0,0,9");
	ck_assert_uint_eq(find(c, "other||")->bytes, 2);
	ck_assert_int_eq(find(c, "other||")->dirty, 1);
	ck_assert_uint_eq(c->dropped, 0); /* no new connection was dropped */
	counters_free(c);
}
END_TEST

START_TEST(test_expire)
{
	struct counters *c = counters_new(2);
	counters_add(c, "old", NULL, 0, NULL, 0, 1, 0, 0, 100);
	counters_add(c, "new", NULL, 0, NULL, 0, 1, 0, 0, 1000);
	ck_assert_uint_eq(counters_expire(c, 1000, 500), 1);
	ck_assert_int_eq(find(c, "old||")->removed, 1);
	/* The freed slot under the cap takes a new name. */
	counters_add(c, "third", NULL, 0, NULL, 0, 1, 0, 0, 1000);
	ck_assert_ptr_nonnull(find(c, "third||"));
	ck_assert_uint_eq(c->dropped, 0);
	struct promfile *pf = promfile_new();
	ck_assert_int_eq(counters_fmt(c, pf, 0, 0, 0), 0);
	char *out;
	size_t len;
	promfile_render(pf, &out, &len);
	ck_assert_ptr_null(strstr(out, "\"old\""));
	ck_assert_ptr_nonnull(strstr(out, "haproxy_sni_connections{sni=\"third\"} 1\n"));
	ck_assert_ptr_null(strstr(out, "uploaded"));
	free(out);
	promfile_free(pf);
	counters_free(c);
}
END_TEST

START_TEST(test_labels_not_kept)
{
	/* Without --by, frontend and backend are not part of the key: the
	 * cap counts names, and saved per-frontend entries merge. */
	struct counters *c = counters_new(1);
	counters_add(c, "a", "f1", 2, "b1", 2, 1, 0, 0, 1);
	counters_add(c, "a", "f2", 2, "b2", 2, 2, 0, 0, 1);
	ck_assert_uint_eq(find(c, "a||")->bytes, 3);
	ck_assert_uint_eq(c->dropped, 0);
	ck_assert_int_eq(counters_load(c, "a|f3|b3", "10,1,0,0,5"), 1);
	ck_assert_uint_eq(find(c, "a||")->bytes, 13);
	ck_assert_int_eq(counters_load(c, "a||", "1,1,0,0,5"), 0);
	counters_free(c);
}
END_TEST

START_TEST(test_saturate)
{
	struct counters *c = counters_new(2);
	counters_load(c, "a||", "18446744073709551610,1,0,0,1");
	counters_add(c, "a", NULL, 0, NULL, 0, 100, 0, 0, 1);
	ck_assert_uint_eq(find(c, "a||")->bytes, UINT64_MAX);
	counters_free(c);
}
END_TEST

START_TEST(test_fmt_grouping)
{
	struct counters *c = counters_new(10);
	counters_keep(c, 1, 1);
	counters_add(c, "s", "f1", 2, "b1", 2, 1, 1, 0, 1);
	counters_add(c, "s", "f2", 2, "b1", 2, 2, 1, 0, 1);
	counters_add(c, "s", "f|x", 3, "b2", 2, 4, 1, 0, 1);
	struct promfile *pf = promfile_new();
	ck_assert_int_eq(counters_fmt(c, pf, 1, 0, 1), 0);
	char *out;
	size_t len;
	promfile_render(pf, &out, &len);
	ck_assert_ptr_nonnull(strstr(out,
		"haproxy_sni_total_bytes{sni=\"s\",backend=\"b1\"} 3\n"
		"haproxy_sni_total_bytes{sni=\"s\",backend=\"b2\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(out,
		"haproxy_sni_uploaded_bytes_total{sni=\"s\",backend=\"b1\"} 2\n"));
	free(out);
	promfile_free(pf);
	counters_free(c);
}
END_TEST

/* Whole saved text of c, for comparing two tables. */
static char *dump_of(struct counters *c)
{
	char *t;
	size_t n;
	ck_assert_int_eq(counters_dump(c, &t, &n), 0);
	return t;
}

/*
 * counters_push then counters_sync gives what counters_add gives, entry
 * for entry and in the same order of creation: a name repeated within
 * the queue, the reserved names, the cap reached while adds are queued
 * (new names then go to "other" with their own labels, even when the
 * labels changed in later pushes), the table and its index growing.
 * The loop index picks the cap.
 */
static const size_t push_caps[] = {1, 2, 3, 5, 8, 40, 100000};

START_TEST(test_push_equals_add)
{
	static const char *const fixed[] = {
		"a.example", "a.example", "none", "b.example", "a.example",
		"invalid", "other", "c.example", "none", "d.example",
		"c.example", "e.example", "a.example", "other", "f.example",
		/* names of every short length: the key copy moves 1, 4,
		 * 8 and 16 bytes at a time */
		"x", "ab", "abc", "abcd", "abcdefg", "abcdefgh",
		"abcdefghijklmno", "abcdefghijklmnop", "x", "abcdefg",
	};
	struct counters *pc = counters_new(push_caps[_i]);
	struct counters *ac = counters_new(push_caps[_i]);
	counters_keep(pc, 1, 1);
	counters_keep(ac, 1, 1);
	char name[300];
	unsigned r = 12345;
	for (int i = 0; i < 6000; i++) {
		const char *sni = name;
		if (i < (int)(sizeof fixed / sizeof fixed[0])) {
			sni = fixed[i];
		} else {
			r = r * 1103515245u + 12345u;
			/* 3000 names, some longer than an entry holds. */
			snprintf(name, sizeof name, "%.*sn%u.example",
				 (int)(r >> 28) * 4,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
				 (r >> 8) % 3000);
		}
		/* Frontends change every few lines: queued adds keep their
		 * own. */
		const char *fe = (i / 3) % 2 ? "fe_a" : "fe_bb";
		const char *be = i % 5 ? "be" : "be_other";
		uint64_t b = (uint64_t)i * 7 % 1000;
		ck_assert_int_eq(counters_push(pc, sni, strlen(sni), fe,
					       strlen(fe), be, strlen(be), b,
					       (uint64_t)i, b == 0, 100 + i % 7),
				 0);
		ck_assert_int_eq(counters_add(ac, sni, fe, strlen(fe), be,
					      strlen(be), b, (uint64_t)i,
					      b == 0, 100 + i % 7),
				 0);
		/* Now and then the reader syncs mid-stream (the end of one
		 * log, the other thread's half). */
		if (i % 997 == 996)
			ck_assert_int_eq(counters_sync(pc), 0);
	}
	ck_assert_int_eq(counters_sync(pc), 0);
	ck_assert_uint_eq(pc->n, ac->n);
	ck_assert_uint_eq(pc->live, ac->live);
	ck_assert_uint_eq(pc->dropped, ac->dropped);
	for (size_t i = 0; i < ac->n; i++)
		ck_assert_str_eq(pc->tab[i].key, ac->tab[i].key);
	char *pt = dump_of(pc), *at = dump_of(ac);
	ck_assert_str_eq(pt, at);
	free(pt);
	free(at);
	counters_free(pc);
	counters_free(ac);
}
END_TEST

START_TEST(test_push_queue_boundaries)
{
	/* A push is applied COUNTERS_APPLY_LAG pushes later, or by sync; an
	 * add applies what was queued first, so the order holds. */
	struct counters *c = counters_new(2);
	for (int i = 0; i < COUNTERS_APPLY_LAG; i++)
		ck_assert_int_eq(counters_push(c, "q.example", 9, NULL, 0, NULL,
					       0, 1, 0, 0, 5),
				 0);
	ck_assert_uint_eq(c->n, 0);
	ck_assert_int_eq(counters_push(c, "r.example", 9, NULL, 0, NULL, 0,
				       10, 0, 0, 6),
			 0);
	ck_assert_uint_eq(c->n, 1);
	ck_assert_uint_eq(find(c, "q.example||")->conns, 1);
	/* A name longer than 253 bytes is cut there, as counters_add
	 * does. */
	char big[300];
	memset(big, 'l', sizeof big);
	ck_assert_int_eq(counters_push(c, big, sizeof big, NULL, 0, NULL, 0,
				       100, 0, 0, 7),
			 0);
	/* The cap (2) is reached by r.example: "s" and the long name go
	 * to other, counted as dropped. */
	ck_assert_int_eq(counters_add(c, "s.example", NULL, 0, NULL, 0, 1000, 0,
				      1, 8),
			 0);
	ck_assert_uint_eq(c->qn, 0);
	ck_assert_uint_eq(find(c, "q.example||")->conns, 4);
	ck_assert_uint_eq(find(c, "r.example||")->bytes, 10);
	ck_assert_uint_eq(find(c, "other||")->bytes, 1100);
	ck_assert_uint_eq(find(c, "other||")->zero, 1);
	ck_assert_uint_eq(c->dropped, 2);
	ck_assert_int_eq(counters_sync(c), 0);
	ck_assert_int_eq(counters_sync(c), 0);
	ck_assert_uint_eq(c->n, 3);
	counters_free(c);
}
END_TEST

START_TEST(test_many)
{
	/* Growth keeps every entry findable. */
	struct counters *c = counters_new(100000);
	char name[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(name, sizeof name, "n%d.example", i);
		ck_assert_int_eq(counters_add(c, name, NULL, 0, NULL, 0,
					      (uint64_t)i, 0, 0, 1), 0);
	}
	ck_assert_uint_eq(c->live, 20000);
	ck_assert_uint_eq(find(c, "n19999.example||")->bytes, 19999);
	counters_free(c);
}
END_TEST

START_TEST(test_many_keys_long_and_short)
{
	/* Short keys are kept inside the entry, long ones apart; both must
	 * survive the table growing under them, and a second add must find
	 * the entry the first one made, whatever the key's length. */
	struct counters *c = counters_new(100000);
	char name[256], key[260];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			int pad = i % 60; /* keys of 8 to ~75 bytes */
			snprintf(name, sizeof name, "%.*s%d.example", pad,
				 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
				 i);
			ck_assert_int_eq(counters_add(c, name, "fe", 2, "be", 2,
						      (uint64_t)i, 1, 0, 1), 0);
		}
	ck_assert_uint_eq(c->live, 5000);
	ck_assert_uint_eq(c->n, 5000);
	for (int i = 0; i < 5000; i++) {
		int pad = i % 60;
		snprintf(key, sizeof key, "%.*s%d.example||", pad,
			 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			 i);
		struct sni_entry *e = find(c, key);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->bytes, 2 * (uint64_t)i);
		ck_assert_uint_eq(e->conns, 2);
		ck_assert_uint_eq(e->klen, strlen(key));
	}
	counters_free(c);
}
END_TEST

/* ---- saved as text --------------------------------------------------- */

START_TEST(test_dump_whole)
{
	struct counters *c = counters_new(10);
	char *text;
	size_t len;
	ck_assert_int_eq(counters_load(c, "b.example||", "1,2,0,3,1000"), 0);
	ck_assert_int_eq(counters_load(c, "d.example||", "4,5,1,0,999"), 0);
	/* New names come after the loaded ones in the table: dump sorts. */
	ck_assert_int_eq(counters_add(c, "a.example", NULL, 0, NULL, 0, 7, 1,
				      0, 2000.5),
			 0);
	ck_assert_int_eq(counters_add(c, "c.example", NULL, 0, NULL, 0, 0, 0,
				      1, 1500),
			 0);
	counters_expire(c, 2000, 1000.5); /* d (999) goes */
	ck_assert_int_eq(counters_dump(c, &text, &len), 0);
	ck_assert_str_eq(text, "# sni-scan counters version=1\n"
			       "a.example|| 7,1,0,1,2000\n"
			       "b.example|| 1,2,0,3,1000\n"
			       "c.example|| 0,1,1,0,1500\n");
	ck_assert_uint_eq(len, strlen(text));
	/* The oldest saved time, as the next run will load it. */
	ck_assert(counters_oldest(c) == 1000);

	struct counters *d = counters_new(10);
	size_t bad = 9;
	ck_assert_int_eq(counters_load_text(d, text, len, &bad), 0);
	ck_assert_uint_eq(bad, 0);
	char *again;
	size_t len2;
	ck_assert_int_eq(counters_dump(d, &again, &len2), 0);
	ck_assert_str_eq(again, text);
	free(again);
	free(text);
	counters_free(d);
	counters_free(c);
}
END_TEST

START_TEST(test_dump_empty_and_oldest_rounds)
{
	struct counters *c = counters_new(10);
	char *text;
	size_t len;
	ck_assert(counters_oldest(c) == 0);
	ck_assert_int_eq(counters_dump(c, &text, &len), 0);
	ck_assert_str_eq(text, "# sni-scan counters version=1\n");
	free(text);
	/* 1000.5 is saved as 1000 (half to even), 1001.5 as 1002. */
	counters_add(c, "x.example", NULL, 0, NULL, 0, 1, 0, 0, 1001.5);
	ck_assert(counters_oldest(c) == 1002);
	counters_add(c, "y.example", NULL, 0, NULL, 0, 1, 0, 0, 1000.5);
	ck_assert(counters_oldest(c) == 1000);
	counters_free(c);
}
END_TEST

START_TEST(test_load_text_hostile)
{
	struct counters *c = counters_new(10);
	size_t bad = 0;
	static const char other[] = "# promsnap-state tool=sni-scan version=1\n";
	ck_assert_int_eq(counters_load_text(c, other, sizeof other - 1, &bad),
			 -1);
	ck_assert_int_eq(counters_load_text(c, "", 0, &bad), -1);
	static const char t[] = "# sni-scan counters version=1\n"
				"ok.example|| 1,1,0,0,5\n"
				"no-value-line\n"
				"bad.example|| 1,x\n"
				" 1,1,0,0,5\n"
				"nul\0x|| 1,1,0,0,5\n"
				"last.example|| 2,1,0,0,5"; /* no newline */
	ck_assert_int_eq(counters_load_text(c, t, sizeof t - 1, &bad), 0);
	ck_assert_uint_eq(bad, 4);
	ck_assert_uint_eq(find(c, "ok.example||")->bytes, 1);
	ck_assert_uint_eq(find(c, "last.example||")->bytes, 2);
	ck_assert_uint_eq(c->live, 2);
	counters_free(c);
}
END_TEST

/* ---- reuse: the decision of a run with nothing new ---------------------- */

START_TEST(test_reuse_summary_roundtrip)
{
	struct reuse_summary s = {.hash = 0x0123456789abcdefULL,
				  .len = 2263247,
				  .oldest = 1795313979,
				  .names = 10000};
	struct reuse_summary t;
	char buf[160];
	reuse_shape(s.shape, sizeof s.shape, 10000, 1, 0, 1);
	ck_assert_str_eq(s.shape, "max=10000,fe=1,be=0,up=1");
	reuse_format(&s, buf, sizeof buf);
	ck_assert_str_eq(buf, "0123456789abcdef,2263247,1795313979,10000,"
			      "max=10000,fe=1,be=0,up=1");
	ck_assert_int_eq(reuse_parse(buf, &t), 0);
	ck_assert_uint_eq(t.hash, s.hash);
	ck_assert_uint_eq(t.len, s.len);
	ck_assert(t.oldest == s.oldest);
	ck_assert_uint_eq(t.names, s.names);
	ck_assert_str_eq(t.shape, s.shape);
}
END_TEST

static const char *const bad_summaries[] = {
	"",
	"12,34",
	"zz,1,2,3,max=1",
	"1,2,3,4,",
	"1,2,-3,4,max=1",
	"1,2,nan,4,max=1",
	"1,2,inf,4,max=1",
	"1,2,3,4,max=1,fe=0,be=0,up=0,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	"xxxxxxxxxxxxxxxxxxx",
};

START_TEST(test_reuse_parse_rejects)
{
	struct reuse_summary s;
	ck_assert_msg(reuse_parse(bad_summaries[_i], &s) == -1, "\"%s\"",
		      bad_summaries[_i]);
}
END_TEST

START_TEST(test_reuse_possible)
{
	struct reuse_summary s = {.oldest = 1000, .names = 3};
	reuse_shape(s.shape, sizeof s.shape, 100, 0, 0, 1);
	char shape[REUSE_SHAPE_MAX];
	reuse_shape(shape, sizeof shape, 100, 0, 0, 1);
	/* Expiry forgets last_seen < now - expire_after. */
	ck_assert_int_eq(reuse_possible(&s, shape, 1500, 500), 1);
	ck_assert_int_eq(reuse_possible(&s, shape, 1500.5, 500), 0);
	ck_assert_int_eq(reuse_possible(&s, shape, 1200, 500), 1);
	/* No names: nothing can expire. */
	s.names = 0;
	ck_assert_int_eq(reuse_possible(&s, shape, 1e9, 500), 1);
	s.names = 3;
	/* Other settings: another block. */
	reuse_shape(shape, sizeof shape, 99, 0, 0, 1);
	ck_assert_int_eq(reuse_possible(&s, shape, 1200, 500), 0);
	reuse_shape(shape, sizeof shape, 100, 0, 1, 1);
	ck_assert_int_eq(reuse_possible(&s, shape, 1200, 500), 0);
	reuse_shape(shape, sizeof shape, 100, 0, 0, 0);
	ck_assert_int_eq(reuse_possible(&s, shape, 1200, 500), 0);
}
END_TEST

START_TEST(test_reuse_ident)
{
	struct reuse_ident id = {.dev = 27,
				 .ino = 14758,
				 .size = 2265914,
				 .mtime_ns = 1795315000385704743ULL,
				 .hash = 0xcb2125a74acf658bULL,
				 .len = 2263247};
	struct reuse_ident back, cur;
	struct reuse_summary sum = {.hash = id.hash, .len = id.len};
	char buf[256];
	reuse_ident_format(&id, buf, sizeof buf);
	ck_assert_str_eq(buf, "27 14758 2265914 1795315000385704743 "
			      "cb2125a74acf658b 2263247\n");
	ck_assert_int_eq(reuse_ident_parse(buf, &back), 0);
	ck_assert_int_eq(memcmp(&back, &id, sizeof id), 0);
	/* Torn or foreign records do not parse. */
	ck_assert_int_eq(reuse_ident_parse("27 14758 2265914 1795315000", &back),
			 -1);
	ck_assert_int_eq(reuse_ident_parse("27 14758 2265914 1795315000385704743 "
					   "cb2125a74acf658b 2263247",
					   &back),
			 -1);
	ck_assert_int_eq(reuse_ident_parse("", &back), -1);

	cur = id;
	cur.hash = cur.len = 0; /* a stat says nothing about the content */
	ck_assert_int_eq(reuse_ident_matches(&id, &cur, &sum), 1);
	struct reuse_ident c2 = cur;
	c2.mtime_ns++; /* edited in place */
	ck_assert_int_eq(reuse_ident_matches(&id, &c2, &sum), 0);
	c2 = cur;
	c2.ino++; /* replaced */
	ck_assert_int_eq(reuse_ident_matches(&id, &c2, &sum), 0);
	c2 = cur;
	c2.size--; /* cut */
	ck_assert_int_eq(reuse_ident_matches(&id, &c2, &sum), 0);
	c2 = cur;
	c2.dev++;
	ck_assert_int_eq(reuse_ident_matches(&id, &c2, &sum), 0);
	/* The state moved on (a run whose .prom was lost): another block. */
	struct reuse_summary s2 = sum;
	s2.hash++;
	ck_assert_int_eq(reuse_ident_matches(&id, &cur, &s2), 0);
	s2 = sum;
	s2.len++;
	ck_assert_int_eq(reuse_ident_matches(&id, &cur, &s2), 0);
}
END_TEST

START_TEST(test_reuse_hash)
{
	static char buf[1000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 7 + i / 13);
	uint64_t whole = reuse_hash(buf, sizeof buf);
	/* Fed in pieces of any size: the same hash. */
	static const size_t steps[] = {1, 3, 31, 32, 33, 64, 999};
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		struct reuse_hasher h;
		reuse_hash_init(&h);
		for (size_t off = 0; off < sizeof buf; off += steps[k])
			reuse_hash_update(&h, buf + off,
					  sizeof buf - off < steps[k] ?
						  sizeof buf - off :
						  steps[k]);
		ck_assert_uint_eq(reuse_hash_final(&h), whole);
	}
	/* Every byte and the length count. */
	for (size_t i = 0; i < sizeof buf; i += 37) {
		buf[i] ^= 1;
		ck_assert_uint_ne(reuse_hash(buf, sizeof buf), whole);
		buf[i] ^= 1;
	}
	ck_assert_uint_ne(reuse_hash("ab", 2), reuse_hash("ab\0", 3));
	ck_assert_uint_ne(reuse_hash("", 0), reuse_hash("\0", 1));
	ck_assert_uint_eq(reuse_hash(buf, sizeof buf), whole);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sni_counters");
	TCase *tc = tcase_create("counters");
	tcase_add_test(tc, test_add_and_value);
	tcase_add_test(tc, test_load_roundtrip);
	tcase_add_loop_test(tc, test_value_format, 0,
			    (int)(sizeof seen_cases / sizeof seen_cases[0]));
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_saturate);
	tcase_add_test(tc, test_labels_not_kept);
	tcase_add_test(tc, test_fmt_grouping);
	tcase_add_loop_test(tc, test_push_equals_add, 0,
			    sizeof push_caps / sizeof push_caps[0]);
	tcase_add_test(tc, test_push_queue_boundaries);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_many_keys_long_and_short);
	tcase_add_test(tc, test_dump_whole);
	tcase_add_test(tc, test_dump_empty_and_oldest_rounds);
	tcase_add_test(tc, test_load_text_hostile);
	suite_add_tcase(s, tc);
	TCase *tr = tcase_create("reuse");
	tcase_add_test(tr, test_reuse_summary_roundtrip);
	tcase_add_loop_test(tr, test_reuse_parse_rejects, 0,
			    (int)(sizeof bad_summaries /
				  sizeof bad_summaries[0]));
	tcase_add_test(tr, test_reuse_possible);
	tcase_add_test(tr, test_reuse_hash);
	tcase_add_test(tr, test_reuse_ident);
	suite_add_tcase(s, tr);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
