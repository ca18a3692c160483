/* SPDX-License-Identifier: MIT */
/* Unit tests of cmd/tcpping-burst/session.c: which echoes count, with the
 * clock given as numbers. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/tcpping-burst/session.h"

static const struct rto_params P = {.initial = 0.5, .min = 0.01, .max = 4,
				    .granularity = 1e-6, .adaptive = 1};
#define BASE 0xfffffffffffffff0ull /* wraps within the burst */

static struct session S;
static struct slot slots[10];
static struct rto R;
static uint8_t sent[10][WIRE_PROBE_LEN];

static void setup(void)
{
	rto_init(&R, &P);
	session_init(&S, slots, 10, BASE, 100.0, 0.1, &R, &P);
}

static void send_due(double now)
{
	while (session_send_due(&S, now)) {
		unsigned i = S.nsent;
		session_send(&S, now, 1000 + i, sent[i]);
	}
}

START_TEST(test_schedule)
{
	ck_assert_double_eq(session_next_deadline(&S), 100.0);
	ck_assert_int_eq(session_send_due(&S, 99.99), 0);
	send_due(100.0);
	ck_assert_uint_eq(S.nsent, 1);
	/* Next: probe 1 at 100.1 (before probe 0's deadline 100.5). */
	ck_assert_double_eq_tol(session_next_deadline(&S), 100.1, 1e-9);
	send_due(100.35); /* probes 1, 2, 3 */
	ck_assert_uint_eq(S.nsent, 4);
	ck_assert_int_eq(session_done(&S), 0);
}
END_TEST

START_TEST(test_valid_echo)
{
	double rtt = -1;
	struct wire_probe p;

	send_due(100.0);
	ck_assert_int_eq(wire_decode(sent[0], &p), 0);
	ck_assert_uint_eq(p.seq, BASE);
	ck_assert_uint_eq(p.ts_ns, 1000);
	ck_assert_int_eq(session_on_echo(&S, sent[0], 100.002, &rtt),
			 ECHO_RECEIVED);
	ck_assert_double_eq_tol(rtt, 0.002, 1e-12);
	ck_assert_uint_eq(S.received, 1);
	/* The RTO learnt: 0.002 + 4 * 0.001 = 0.006, clamped to 0.01. */
	ck_assert_double_eq_tol(R.rto, 0.01, 1e-12);
	/* The same echo again is a replay. */
	ck_assert_int_eq(session_on_echo(&S, sent[0], 100.003, &rtt),
			 ECHO_GARBAGE);
	ck_assert_uint_eq(S.received, 1);
	ck_assert_uint_eq(S.garbage, 1);
}
END_TEST

START_TEST(test_garbage_kinds)
{
	uint8_t b[WIRE_PROBE_LEN];
	struct wire_probe p;
	double rtt = 12345;

	send_due(100.15); /* probes 0 and 1, seq BASE and BASE+1 */
	/* Wrong magic. */
	memcpy(b, sent[1], sizeof b);
	b[0] = 'X';
	ck_assert_int_eq(session_on_echo(&S, b, 100.16, &rtt), ECHO_GARBAGE);
	/* A sequence never sent (probe 2), and one below the base. */
	p.seq = BASE + 2;
	p.ts_ns = 1002;
	wire_encode(b, &p);
	ck_assert_int_eq(session_on_echo(&S, b, 100.16, &rtt), ECHO_GARBAGE);
	p.seq = BASE - 1;
	wire_encode(b, &p);
	ck_assert_int_eq(session_on_echo(&S, b, 100.16, &rtt), ECHO_GARBAGE);
	/* Right sequence, forged timestamp. */
	p.seq = BASE + 1;
	p.ts_ns = 999;
	wire_encode(b, &p);
	ck_assert_int_eq(session_on_echo(&S, b, 100.16, &rtt), ECHO_GARBAGE);
	ck_assert_uint_eq(S.garbage, 4);
	ck_assert_uint_eq(S.received, 0);
	ck_assert_double_eq(rtt, 12345); /* never a sample */
	ck_assert_double_eq(R.rto, 0.5);
	/* Garbage completed nothing: both probes time out. */
	ck_assert_uint_eq(session_expire(&S, 100.65), 2);
	ck_assert_uint_eq(S.timeouts, 2);
}
END_TEST

START_TEST(test_timeout_then_late)
{
	double rtt = 0;

	send_due(100.0);
	ck_assert_double_eq_tol(session_next_deadline(&S), 100.1, 1e-9);
	ck_assert_uint_eq(session_expire(&S, 100.49), 0);
	ck_assert_uint_eq(session_expire(&S, 100.5), 1);
	ck_assert_double_eq(R.rto, 1.0); /* backed off */
	ck_assert_int_eq(session_on_echo(&S, sent[0], 100.7, &rtt), ECHO_LATE);
	ck_assert_uint_eq(S.late, 1);
	ck_assert_uint_eq(S.received, 0);
	ck_assert_double_eq(R.rto, 1.0); /* a late echo teaches nothing */
	/* A second copy of the late echo is still only late. */
	ck_assert_int_eq(session_on_echo(&S, sent[0], 100.8, &rtt), ECHO_LATE);
}
END_TEST

START_TEST(test_whole_burst)
{
	double now = 100.0, rtt;

	/* Every probe answered after 1 ms, except probe 3 (times out). */
	for (unsigned i = 0; i < 10; i++) {
		now = 100.0 + i * 0.1; /* as the session computes it */
		send_due(now);
		if (i != 3)
			session_on_echo(&S, sent[i], now + 0.001, &rtt);
		session_expire(&S, now + 0.099);
	}
	session_expire(&S, now + 10);
	ck_assert_int_eq(session_done(&S), 1);
	ck_assert_double_eq(session_next_deadline(&S), INFINITY);
	ck_assert_uint_eq(S.nsent, 10);
	ck_assert_uint_eq(S.received, 9);
	ck_assert_uint_eq(S.timeouts, 1);
	ck_assert_double_eq_tol(session_loss_ratio(&S), 0.1, 1e-12);
	ck_assert_double_eq_tol(S.rtt_min, 0.001, 1e-9);
	ck_assert_double_eq_tol(S.rtt_max, 0.001, 1e-9);
}
END_TEST

START_TEST(test_abort)
{
	double rtt;

	send_due(100.2); /* 0, 1, 2 */
	session_on_echo(&S, sent[0], 100.201, &rtt);
	session_abort(&S);
	ck_assert_int_eq(session_done(&S), 1);
	ck_assert_uint_eq(S.timeouts, 2);
	ck_assert_double_eq(R.rto, 0.01); /* no back-off for a lost link */
	/* 9 of the 10 planned probes got no echo. */
	ck_assert_double_eq_tol(session_loss_ratio(&S), 0.9, 1e-12);
	ck_assert_int_eq(session_send_due(&S, 200), 0);
}
END_TEST

START_TEST(test_connect_mode_fail)
{
	double rtt;

	send_due(100.1);
	session_fail(&S, 0);
	ck_assert_int_eq(session_complete(&S, 1, 100.15, &rtt), ECHO_RECEIVED);
	ck_assert_double_eq_tol(rtt, 0.05, 1e-9);
	ck_assert_uint_eq(S.failed, 1);
	ck_assert_int_eq(session_complete(&S, 0, 100.2, &rtt), ECHO_GARBAGE);
	ck_assert_int_eq(session_complete(&S, 7, 100.2, &rtt), ECHO_GARBAGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcpping_session");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_schedule);
	tcase_add_test(tc, test_valid_echo);
	tcase_add_test(tc, test_garbage_kinds);
	tcase_add_test(tc, test_timeout_then_late);
	tcase_add_test(tc, test_whole_burst);
	tcase_add_test(tc, test_abort);
	tcase_add_test(tc, test_connect_mode_fail);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
