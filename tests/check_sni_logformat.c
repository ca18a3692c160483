/* SPDX-License-Identifier: MIT */
/* logformat: the log-format compiler and the line matcher. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/sni-scan/logformat.h"

static const struct {
	const char *fmt;
	const char *err; /* expected message */
} bad[] = {
	{"%ci:%cp %B", "log format: no server name field: add SNI=%[var(sess.sni)] (passthrough) or SNI=%[ssl_fc_sni] (TLS termination)"},
	{"SNI=%[ssl_fc_sni]", "log format: no %B field (bytes to the client)"},
	{"%B %[var(sess.sni)", "log format, byte 4: unterminated %[sample expression]"},
	{"%B %{+Q", "log format, byte 4: unterminated %{flags}"},
	{"%B % %[ssl_fc_sni]", "log format, byte 4: '%' must be followed by a variable name, [expr] or %"},
	{"%B %", "log format, byte 4: '%' must be followed by a variable name, [expr] or %"},
	{"%B SNI=%[req.ssl_sni]", "log format, byte 8: HAProxy refuses %[req.ssl_sni] in a log-format (the request buffer is gone when it logs): add \"tcp-request content set-var(sess.sni) req.ssl_sni\" before the accept rule and log SNI=%[var(sess.sni)]"},
	{"%B %{+Q}[req_ssl_sni,lower]", "log format, byte 4: HAProxy refuses %[req.ssl_sni] in a log-format (the request buffer is gone when it logs): add \"tcp-request content set-var(sess.sni) req.ssl_sni\" before the accept rule and log SNI=%[var(sess.sni)]"},
};

START_TEST(test_compile_errors)
{
	struct logformat *lf = (void *)1;
	char err[512] = "";
	ck_assert_int_eq(logformat_compile(bad[_i].fmt, &lf, err, sizeof err),
			 -1);
	ck_assert_ptr_null(lf);
	ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

#define TCP "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts %ac/%fc/%bc/%sc/%rc %sq/%bq SNI=%[var(sess.sni)]"
#define TS "[21/Nov/2026:23:18:32.123]"

static const struct {
	const char *fmt;
	const char *line;
	int match;
	const char *sni, *fe, *be;
	unsigned long long out, in;
	int logasap;
} lines[] = {
	{TCP, "127.0.0.1:5 " TS " fe be/s 1/2/3 4312 517 -- 1/1/0/0/0 0/0 SNI=a.b", 1, "a.b", "fe", "be", 4312, 517, 0},
	{TCP, "::1:5 " TS " fe~ be/s 1/2/3 1 2 -- 1/1/0/0/0 0/0 SNI=x", 1, "x", "fe", "be", 1, 2, 0},
	{TCP, "::1:5 " TS " fe be/s -1/-1/3 +0 0 -- 1/1/0/0/0 0/0 SNI=x", 1, "x", "fe", "be", 0, 0, 1},
	{TCP, "::1:5 " TS " fe be/s 1/2/3 7 0 -- 1/1/0/0/0 0/0 SNI=sp ace", 1, "sp ace", "fe", "be", 7, 0, 0},
	{TCP, "::1:5 " TS " fe be/s 1/2/3 7 0 -- 1/1/0/0/0 0/0 SNI=", 1, "", "fe", "be", 7, 0, 0},
	{TCP, "::1:5 " TS " fe be/s 1/2/3 x 0 -- 1/1/0/0/0 0/0 SNI=a", 0, NULL, NULL, NULL, 0, 0, 0},
	{TCP, "::1:5 " TS " fe be/s 1/2/3 7 0 -- 1/1/0/0/0 0/0 NOSNI", 0, NULL, NULL, NULL, 0, 0, 0},
	{TCP, "junk::1:5 " TS " fe be/s 1/2/3 7 0 -- 1/1/0/0/0 0/0 SNI=a", 0, NULL, NULL, NULL, 0, 0, 0},
	{TCP, "", 0, NULL, NULL, NULL, 0, 0, 0},
	{TCP, "18446744073709551616:5 " TS " fe be/s 1/2/3 99999999999999999999999 1 -- 1/1/0/0/0 0/0 SNI=big", 1, "big", "fe", "be", 18446744073709551615ULL, 1, 0},
	/* Separators collapse; a field that printed nothing leaves one. */
	{"%B  %hr   %[ssl_fc_sni]", "5 a.example", 1, "a.example", NULL, NULL, 5, 0, 0},
	{"%B %hr %[ssl_fc_sni]", "5 {x} a.example", 1, "a.example", NULL, NULL, 5, 0, 0},
	/* Literal %% and a backslash escape from haproxy.cfg. */
	{"%B 100%% \\\"%[ssl_fc_sni]\\\"", "5 100% \"q\"", 1, "q", NULL, NULL, 5, 0, 0},
	/* Hex numbers with +X. */
	{"%{+X}B %[ssl_fc_sni]", "1F a", 1, "a", NULL, NULL, 31, 0, 0},
	/* Sample fetches for names and bytes. */
	{"%[fe_name] %[be_name] %[bytes_out] %[bytes_in] %[ssl_fc_sni]", "f b 9 8 s", 1, "s", "f", "b", 9, 8, 0},
	/* Quoted with +Q, a word when absent. */
	{"%B %{+Q}[ssl_fc_sni] %ts", "1 \"a b\" --", 1, "a b", NULL, NULL, 1, 0, 0},
	{"%B %{+Q}[ssl_fc_sni] %ts", "1 - --", 1, "-", NULL, NULL, 1, 0, 0},
	/* %T holds a space. */
	{"[%T] %B %[ssl_fc_sni]", "[21/Nov/2026:22:18:32 +0000] 5 a", 1, "a", NULL, NULL, 5, 0, 0},
};

START_TEST(test_match)
{
	struct logformat *lf;
	struct lf_result r;
	char err[512];
	ck_assert_msg(logformat_compile(lines[_i].fmt, &lf, err, sizeof err) == 0,
		      "%s", err);
	enum lf_status st = logformat_match(lf, lines[_i].line,
					    strlen(lines[_i].line), &r);
	ck_assert_int_eq(st == LF_MATCH, lines[_i].match);
	if (lines[_i].match) {
		ck_assert_uint_eq(r.sni_len, strlen(lines[_i].sni));
		ck_assert(!memcmp(r.sni, lines[_i].sni, r.sni_len));
		if (lines[_i].fe) {
			ck_assert_uint_eq(r.frontend_len, strlen(lines[_i].fe));
			ck_assert(!memcmp(r.frontend, lines[_i].fe, r.frontend_len));
		}
		if (lines[_i].be) {
			ck_assert_uint_eq(r.backend_len, strlen(lines[_i].be));
			ck_assert(!memcmp(r.backend, lines[_i].be, r.backend_len));
		}
		ck_assert_uint_eq(r.bytes_out, lines[_i].out);
		ck_assert_uint_eq(r.bytes_in, lines[_i].in);
		ck_assert_int_eq(r.logasap, lines[_i].logasap);
	}
	logformat_free(lf);
}
END_TEST

/*
 * A word followed by a literal ("%b/%s"): its end is the only '/' before
 * the next space, else the shortest reading.  The word is searched 16
 * bytes at a time; backend and server names of every length from 1 to 40
 * (and lines long and short around them) cross each block boundary.
 * Expected: the backend is the word up to its first '/' after the first
 * byte; no such '/' and the line is not in the format.
 */
START_TEST(test_word_then_literal)
{
	struct logformat *lf;
	char err[256], line[256], word[64];
	ck_assert_int_eq(logformat_compile("%ft %b/%s %B SNI=%[var(sess.sni)]",
					   &lf, err, sizeof err), 0);
	size_t wl = (size_t)_i % 40 + 1;
	size_t sni_len = (size_t)_i / 40 % 3 * 9 + 1;
	for (size_t slash = 0; slash <= wl; slash++) {
		for (int second = 0; second < 2; second++) {
			/* word: 'a'..; a '/' at slash (if < wl), another
			 * '/' two bytes later when second is set */
			for (size_t k = 0; k < wl; k++)
				word[k] = (char)('a' + k % 26);
			if (slash < wl)
				word[slash] = '/';
			if (second && slash + 2 < wl)
				word[slash + 2] = '/';
			word[wl] = 0;
			snprintf(line, sizeof line, "fe %s 42 SNI=%.*s", word,
				 (int)sni_len, "abcdefghijklmnopqrstuvwxyz1");
			struct lf_result r;
			enum lf_status st = logformat_match(lf, line,
							     strlen(line), &r);
			const char *first = strchr(word + 1, '/');
			if (!first || first == word + wl - 1) {
				/* no server name after the '/' */
				ck_assert_msg(st == LF_NOMATCH, "%s", line);
				continue;
			}
			ck_assert_msg(st == LF_MATCH, "%s", line);
			ck_assert_uint_eq(r.backend_len,
					  (size_t)(first - word));
			ck_assert_int_eq(memcmp(r.backend, word,
						r.backend_len), 0);
			ck_assert_uint_eq(r.bytes_out, 42);
			ck_assert_uint_eq(r.sni_len, sni_len);
		}
	}
	logformat_free(lf);
}
END_TEST

/* Both results the same, field for field (pointers into the same line). */
static void assert_same(const struct logformat *lf, const char *line,
			size_t len)
{
	struct lf_result a, b;
	enum lf_status sa = logformat_match(lf, line, len, &a);
	enum lf_status sb = logformat_match_general(lf, line, len, &b);
	ck_assert_msg(sa == sb, "status %d/%d: %.*s", sa, sb, (int)len, line);
	if (sa != LF_MATCH)
		return;
	ck_assert_msg(a.sni == b.sni && a.sni_len == b.sni_len &&
		      a.sni_hash_escaped == b.sni_hash_escaped &&
		      a.bytes_out == b.bytes_out && a.bytes_in == b.bytes_in &&
		      a.has_bytes_in == b.has_bytes_in &&
		      a.logasap == b.logasap && a.frontend == b.frontend &&
		      a.frontend_len == b.frontend_len &&
		      a.backend == b.backend && a.backend_len == b.backend_len,
		      "fields differ: %.*s", (int)len, line);
}

static const char *const same_fmts[] = {
	TCP,
	"%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts %ac/%fc/%bc/%sc/%rc %sq/%bq SNI=%[ssl_fc_sni]",
	"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %U %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r SNI=%[ssl_fc_sni]",
	"%ci %B %[ssl_fc_sni]",
	"%ci/%B %[ssl_fc_sni] %ts",
	"%ft %b/%s %B SNI=%[var(sess.sni)]",
	"%B %[ssl_fc_sni]/%ts",
	"%B%[ssl_fc_sni]",
	"-%B %U  %[ssl_fc_sni] end",
};

/*
 * The one-pass reading and the general matcher agree on every line: real
 * shapes with every byte in turn replaced by a byte that moves field
 * ends (space, '/', ':', '-', '+', digits, ...), at every length that
 * crosses the 16-, 32- and 64-byte steps of the byte-class masks.
 */
START_TEST(test_one_pass_same)
{
	static const char *const base[] = {
		"127.205.27.154:37474 [22/Nov/2026:00:28:11.464] fe_pass be_pool0/s0 3/0/320916 1538143 823660 -- 495/960/15/76/0 0/0 SNI=svc0.eu.example.org",
		"::1:5 " TS " fe~ be/s -1/-1/3 +0 0 -- 1/1/0/0/0 0/0 SNI=sp ace",
		"unix:5 " TS " fe be/s 1/2/3 7 0 -- 1/1/0/0/0 0/0 SNI=",
		"10.0.0.1:4711 [22/Nov/2026:00:00:00.000] fe_http~ be/s1 0/0/1/2/3 200 1234 567 - - ---- 1/1/0/0/0 0/0 {a.example|ua} {x} \"GET / HTTP/1.1\" SNI=a.example",
		"0123456789abcdef0:5 " TS " fe be/s 1/2/3 7 0 -- 1/1/0/0/0 0/0 SNI=q",
		"5 a.example",
		"- 5 a",
		"fe b/e/s 42 SNI=x",
		/* no address, "unix", "-": past the first 16 bytes */
		" 5 abcdefghijklmnopqrstuvwxyz",
		"unix 5 abcdefghijklmnopqrstuvwxyz",
		"- 5 abcdefghijklmnopqrstuvwxyz",
		"0123456789abcdef0123 5 abcdefghijklmnopqrstuvwxyz",
	};
	static const char subst[] = " /:-+09a]\"{}|~.";
	struct logformat *lf;
	char err[512], line[512];
	ck_assert_msg(logformat_compile(same_fmts[_i], &lf, err, sizeof err) == 0,
		      "%s", err);
	/* Byte classes 16 bytes a step (SSE2), then 32 (AVX2) if the CPU
	 * has it; lines read by segments where the format has code made for
	 * it, then by segments for any format. */
	for (int seg = 0; seg < 2; seg++)
	for (int wide = 0; wide < 2 && logformat_set_wide(lf, wide) == wide &&
	     (logformat_set_segments(lf, seg) || !seg);
	     wide++)
	for (size_t b = 0; b < sizeof base / sizeof base[0]; b++) {
		size_t n = strlen(base[b]);
		assert_same(lf, base[b], n);
		for (size_t cut = 0; cut < n; cut++)
			assert_same(lf, base[b], cut);
		for (size_t at = 0; at < n; at++) {
			for (size_t k = 0; k < sizeof subst - 1; k++) {
				memcpy(line, base[b], n);
				line[at] = subst[k];
				assert_same(lf, line, n);
			}
		}
		/* Longer names and frontends: every alignment. */
		for (size_t pad = 0; pad < 200; pad++) {
			int w = snprintf(line, sizeof line, "%s%.*s", base[b],
					 (int)pad,
					 "abcdefghijklmnopqrstuvwxyz0123456789"
					 "abcdefghijklmnopqrstuvwxyz0123456789"
					 "abcdefghijklmnopqrstuvwxyz0123456789"
					 "abcdefghijklmnopqrstuvwxyz0123456789"
					 "abcdefghijklmnopqrstuvwxyz0123456789"
					 "abcdefghijklmnopqrstuvwxyz0123456789");
			assert_same(lf, line, (size_t)w);
			w = snprintf(line, sizeof line, "%.*s%s", (int)pad,
				     "11111111111111111111111111111111111111111"
				     "11111111111111111111111111111111111111111"
				     "11111111111111111111111111111111111111111"
				     "11111111111111111111111111111111111111111"
				     "11111111111111111111111111111111111111111",
				     base[b]);
			assert_same(lf, line, (size_t)w);
		}
	}
	logformat_free(lf);
}
END_TEST

/*
 * Words at the end of the line, after a name of every length: the last,
 * partial 16- or 32-byte step of the byte-class masks lands on every
 * offset of them; spaces and digits in them moved one byte at a time.
 */
START_TEST(test_one_pass_tail)
{
	struct logformat *lf;
	char err[256], line[256];
	ck_assert_msg(logformat_compile("SNI=%[ssl_fc_sni]/%B %ts %b %ft",
					&lf, err, sizeof err) == 0, "%s", err);
	for (int seg = 0; seg < 2; seg++)
	for (int wide = 0; wide < 2 && logformat_set_wide(lf, wide) == wide &&
	     (logformat_set_segments(lf, seg) || !seg);
	     wide++) {
		for (int name = 1; name < 140; name++) {
			int n = snprintf(line, sizeof line,
					 "SNI=%.*s/1234 -- be_pool3 fe_x",
					 name, "abcdefghij0123456789abcdefghij"
					 "abcdefghij0123456789abcdefghij"
					 "abcdefghij0123456789abcdefghij"
					 "abcdefghij0123456789abcdefghij"
					 "abcdefghij0123456789abcdefghij");
			assert_same(lf, line, (size_t)n);
			for (int at = n - 20; at < n; at++) {
				char keep = line[at];
				line[at] = keep == ' ' ? 'x' : ' ';
				assert_same(lf, line, (size_t)n);
				line[at] = '7';
				assert_same(lf, line, (size_t)n);
				line[at] = keep;
			}
		}
	}
	logformat_free(lf);
}
END_TEST

START_TEST(test_presets)
{
	static const char *const names[] = {"tcp-sni", "tcp-sni-tls",
					    "http-sni", "traffic-exporter"};
	struct logformat *lf;
	char err[256];
	/* tcp-sni and tcp-sni-tls are read by code made for them (2); a
	 * change to how formats compile that loses it fails here. */
	static const int segs[] = {2, 2, 1, 0};
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(logformat_preset(names[i], &lf, err, sizeof err), 0);
		ck_assert_int_eq(logformat_set_segments(lf, 0), segs[i]);
		logformat_free(lf);
	}
	ck_assert_int_eq(logformat_preset("tcp", &lf, err, sizeof err), -1);
	ck_assert_str_eq(err, "unknown format \"tcp\" (known: tcp-sni, tcp-sni-tls, http-sni, traffic-exporter)");
	ck_assert_int_eq(logformat_preset("tcplog", &lf, err, sizeof err), -1);
	ck_assert_str_eq(err, "format \"tcplog\": HAProxy's tcplog has no server name; use tcp-sni and the matching frontend of sni-scan(8)");
	ck_assert_str_eq(logformat_preset_string("tcp-sni"), TCP);
	ck_assert_ptr_null(logformat_preset_string("traffic-exporter"));
}
END_TEST

START_TEST(test_bounded_work)
{
	/* Many word fields against a line of separators: the matcher
	 * gives up after LF_MAX_STEPS instead of exploring every split. */
	struct logformat *lf;
	struct lf_result r;
	char err[512], fmt[2048] = "", line[8192];
	for (int i = 0; i < 30; i++)
		strcat(fmt, "%[x]%[y]/");
	strcat(fmt, "%B %[ssl_fc_sni] end");
	ck_assert_int_eq(logformat_compile(fmt, &lf, err, sizeof err), 0);
	memset(line, '/', sizeof line - 1);
	line[sizeof line - 1] = 0;
	ck_assert_int_eq(logformat_match(lf, line, strlen(line), &r),
			 LF_NOMATCH);
	logformat_free(lf);
}
END_TEST

START_TEST(test_unescape)
{
	char out[32];
	ck_assert_uint_eq(logformat_unescape("a#7Cb#23#2", 10, out, sizeof out), 6);
	ck_assert(!memcmp(out, "a|b##2", 6));
	ck_assert_uint_eq(logformat_unescape("#zz", 3, out, sizeof out), 3);
	ck_assert_uint_eq(logformat_unescape("abcdef", 6, out, 3), (size_t)-1);
}
END_TEST

START_TEST(test_flags)
{
	struct logformat *lf;
	char err[256];
	ck_assert_int_eq(logformat_compile(TCP, &lf, err, sizeof err), 0);
	ck_assert_int_eq(logformat_has_bytes_in(lf), 1);
	ck_assert_int_eq(logformat_sni_is_last(lf), 1);
	logformat_free(lf);
	ck_assert_int_eq(logformat_compile("%B %[ssl_fc_sni] %ts", &lf, err, sizeof err), 0);
	ck_assert_int_eq(logformat_has_bytes_in(lf), 0);
	ck_assert_int_eq(logformat_sni_is_last(lf), 0);
	logformat_free(lf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sni_logformat");
	TCase *tc = tcase_create("logformat");
	tcase_add_loop_test(tc, test_compile_errors, 0,
			    (int)(sizeof bad / sizeof bad[0]));
	tcase_add_loop_test(tc, test_match, 0,
			    (int)(sizeof lines / sizeof lines[0]));
	tcase_add_test(tc, test_presets);
	tcase_add_test(tc, test_one_pass_tail);
	tcase_add_loop_test(tc, test_one_pass_same, 0,
			    (int)(sizeof same_fmts / sizeof same_fmts[0]));
	tcase_add_loop_test(tc, test_word_then_literal, 0, 120);
	tcase_add_test(tc, test_bounded_work);
	tcase_add_test(tc, test_unescape);
	tcase_add_test(tc, test_flags);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
