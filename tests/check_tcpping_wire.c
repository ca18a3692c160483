/* SPDX-License-Identifier: MIT */
/* Unit tests of cmd/tcpping-burst/wire.c: the 24-byte probe, byte for byte. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/tcpping-burst/wire.h"

static const struct {
	uint64_t seq, ts;
	const char *hex;
} vec[] = {
	{0, 0, "54435050494e4700" "0000000000000000" "0000000000000000"},
	{1, 0x0102030405060708ull,
	 "54435050494e4700" "0100000000000000" "0807060504030201"},
	{UINT64_MAX, 1700000000123456789ull,
	 "54435050494e4700" "ffffffffffffffff" "15cd853dfe9c9717"},
};

static void unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		char b[3] = {h[2 * i], h[2 * i + 1], 0};
		out[i] = (uint8_t)strtoul(b, NULL, 16);
	}
}

START_TEST(test_encode_vectors)
{
	uint8_t got[WIRE_PROBE_LEN], want[WIRE_PROBE_LEN];
	struct wire_probe p = {.seq = vec[_i].seq, .ts_ns = vec[_i].ts};

	unhex(vec[_i].hex, want);
	wire_encode(got, &p);
	ck_assert_mem_eq(got, want, WIRE_PROBE_LEN);
}
END_TEST

START_TEST(test_decode_vectors)
{
	uint8_t in[WIRE_PROBE_LEN];
	struct wire_probe p;

	unhex(vec[_i].hex, in);
	ck_assert_int_eq(wire_decode(in, &p), 0);
	ck_assert_uint_eq(p.seq, vec[_i].seq);
	ck_assert_uint_eq(p.ts_ns, vec[_i].ts);
}
END_TEST

START_TEST(test_bad_magic)
{
	uint8_t in[WIRE_PROBE_LEN];
	struct wire_probe p = {.seq = 7, .ts_ns = 9};

	wire_encode(in, &p);
	for (int i = 0; i < WIRE_MAGIC_LEN; i++) {
		uint8_t b[WIRE_PROBE_LEN];
		struct wire_probe q = {42, 43};
		memcpy(b, in, sizeof b);
		b[i] ^= 0x20; /* "tcpping" in lower case is not the magic */
		ck_assert_int_eq(wire_decode(b, &q), -1);
		ck_assert_uint_eq(q.seq, 42); /* untouched */
		ck_assert_int_eq(wire_prefix_ok(b, WIRE_PROBE_LEN), 0);
		ck_assert_int_eq(wire_prefix_ok(b, (size_t)i), 1);
		ck_assert_int_eq(wire_prefix_ok(b, (size_t)i + 1), 0);
	}
	ck_assert_int_eq(wire_prefix_ok(in, 0), 1);
	ck_assert_int_eq(wire_prefix_ok(in, 3), 1);
	ck_assert_int_eq(wire_prefix_ok(in, WIRE_PROBE_LEN), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcpping_wire");
	TCase *tc = tcase_create("core");
	int n = (int)(sizeof vec / sizeof vec[0]);
	tcase_add_loop_test(tc, test_encode_vectors, 0, n);
	tcase_add_loop_test(tc, test_decode_vectors, 0, n);
	tcase_add_test(tc, test_bad_magic);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
