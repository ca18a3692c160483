/* SPDX-License-Identifier: MIT */
/* sni_name: hostile server names become "invalid", absent ones "none". */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../cmd/sni-scan/sni_name.h"

static char long253[254], long254[255];

static const struct {
	const char *in;
	size_t len; /* 0: strlen */
	enum sni_kind want;
	const char *out;
} cases[] = {
	{"example.com", 0, SNI_OK, "example.com"},
	{"WWW.Example.COM", 0, SNI_OK, "www.example.com"},
	{"*.example.com", 0, SNI_OK, "*.example.com"},
	{"_srv.example-1.com", 0, SNI_OK, "_srv.example-1.com"},
	{"-", 0, SNI_NONE, "none"},
	{"", 0, SNI_NONE, "none"},
	{"a b", 0, SNI_INVALID, "invalid"},
	{"a\"b", 0, SNI_INVALID, "invalid"},
	{"caf\xc3\xa9", 0, SNI_INVALID, "invalid"},
	{"\xff", 0, SNI_INVALID, "invalid"},
	{"a\nb", 0, SNI_INVALID, "invalid"},
	{"nul\0x", 5, SNI_INVALID, "invalid"},
	{"a|b", 0, SNI_INVALID, "invalid"},
	{"--", 0, SNI_OK, "--"},
	{"1.2.3.4", 0, SNI_OK, "1.2.3.4"},
};

START_TEST(test_table)
{
	char out[SNI_NAME_MAX + 1];
	const char *in = cases[_i].in;
	size_t len = cases[_i].len ? cases[_i].len : strlen(in);
	memset(out, 'Z', sizeof out);
	ck_assert_int_eq(sni_name_normalize(in, len, out), cases[_i].want);
	ck_assert_str_eq(out, cases[_i].out);
}
END_TEST

/*
 * Every position of names 1 to 60 bytes long (the check runs 16 bytes at
 * a time, then byte by byte): an upper-case letter there is lowercased, a
 * refused byte there makes the name invalid.  Bytes chosen next to the
 * edges of the allowed ranges.
 */
static const unsigned char refused[] = {
	' ', '/', ':', '@', '[', '`', '{', '~', '|', '%', '+', ',',
	0x00, 0x7f, 0x80, 0xc3, 0xff, '\n', '\t', '"',
};

START_TEST(test_every_position)
{
	char in[64], want[64], out[SNI_NAME_MAX + 1];
	size_t len = (size_t)_i + 1;
	for (size_t k = 0; k < len; k++)
		in[k] = "abcdefghijklmnopqrstuvwxyz0123456789-._*"[k % 40];
	memcpy(want, in, len);
	want[len] = 0;
	for (size_t pos = 0; pos < len; pos++) {
		char keep = in[pos];
		for (char u = 'A'; u <= 'Z'; u += 5) {
			in[pos] = u;
			want[pos] = (char)(u | 0x20);
			ck_assert_int_eq(sni_name_normalize(in, len, out), SNI_OK);
			ck_assert_str_eq(out, want);
		}
		want[pos] = keep;
		for (size_t b = 0; b < sizeof refused; b++) {
			in[pos] = (char)refused[b];
			ck_assert_int_eq(sni_name_normalize(in, len, out),
					 SNI_INVALID);
			ck_assert_str_eq(out, "invalid");
		}
		in[pos] = keep;
	}
	ck_assert_int_eq(sni_name_normalize(in, len, out), SNI_OK);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_length_limit)
{
	char out[SNI_NAME_MAX + 1];
	memset(long253, 'A', 253);
	memset(long254, 'a', 254);
	ck_assert_int_eq(sni_name_normalize(long253, 253, out), SNI_OK);
	ck_assert_uint_eq(strlen(out), 253);
	ck_assert_int_eq(out[0], 'a');
	ck_assert_int_eq(sni_name_normalize(long254, 254, out), SNI_INVALID);
	ck_assert_str_eq(out, "invalid");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sni_name");
	TCase *tc = tcase_create("normalize");
	tcase_add_loop_test(tc, test_table, 0,
			    (int)(sizeof cases / sizeof cases[0]));
	tcase_add_test(tc, test_length_limit);
	tcase_add_loop_test(tc, test_every_position, 0, 60);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
