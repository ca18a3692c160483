/* SPDX-License-Identifier: MIT */
/*
 * check_qemu_account: qemu-netsnap's accounting and formatting over
 * sequences of runs, each run starting from the state text the previous
 * one wrote (as the tool does).  Every case's whole output (the .prom of
 * each run, then the final state) is compared byte for byte with
 * $PROMSNAP_FIXTURES/qemu-netsnap/account/<case>/expected; the properties
 * that matter (monotonic totals, swapped directions) are also asserted
 * directly so a wrong fixture cannot hide them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "../cmd/qemu-netsnap/account.h"
#include "../cmd/qemu-netsnap/fmt.h"
#include "promfile.h"
#include "statefile.h"

#define MAXPROCS 4
#define MAXRUNS	 5

/* An interface reading in device (host) view, as sysfs gives it. */
struct ifspec {
	const char *name;
	int ifindex;
	uint64_t netns;
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets, tx_dropped;
	int macvtap;
};

struct procspec {
	int pid;
	uint64_t start;
	const char *id, *name;
	int unreadable;
	struct ifspec ifs[3];
};

struct runspec {
	double now;
	int reset;
	size_t unreadable;
	struct procspec procs[MAXPROCS];
};

struct acase {
	const char *name;
	struct runspec runs[MAXRUNS];
};

#define NS 4026531840u
#define T0 1700000000.0

/* clang-format off */
static const struct acase acases[] = {
	{"two-vms-direction",
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "alpha", 0,
	     {{"vnet0", 7, NS, 640, 5000, 8, 5, 0, 0}}},
	    {200, 6, "vm-b", "", 0, {{"vnet1", 8, NS, 7, 0, 1, 0, 0, 0}}}}},
	  {T0 + 30, 0, 0,
	   {{100, 5, "vm-a", "alpha", 0,
	     {{"vnet0", 7, NS, 640, 15420, 8, 15, 2, 0}}},
	    {200, 6, "vm-b", "", 0,
	     {{"vnet1", 8, NS, 1049, 0, 2, 0, 0, 0}}}}}}},
	{"tap-recreated",
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 10, 10000, 1, 9, 0, 0}}}}},
	  /* QEMU restarted: new pid, new tap (new ifindex), counters
	   * from 0 again. */
	  {T0 + 15, 0, 0,
	   {{300, 900, "vm-a", "", 0, {{"vnet0", 12, NS, 0, 300, 0, 1, 0, 0}}}}},
	  {T0 + 30, 0, 0,
	   {{300, 900, "vm-a", "", 0,
	     {{"vnet0", 12, NS, 42, 500, 1, 2, 0, 0}}}}}}},
	{"persistent-tap-qemu-restart",
	 /* The tap outlived QEMU (same ifindex, counters carry on): the
	  * new process must not count them twice. */
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"tap0", 7, NS, 10, 10000, 1, 9, 0, 0}}}}},
	  {T0 + 15, 0, 0,
	   {{300, 900, "vm-a", "", 0,
	     {{"tap0", 7, NS, 10, 10400, 1, 10, 0, 0}}}}}}},
	{"counter-drop-same-ifindex",
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 10, 10000, 1, 9, 0, 0}}}}},
	  {T0 + 15, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 20, 50, 2, 1, 0, 0}}}}}}},
	{"own-netns-by-process",
	 /* ifindex 0: the tap lives in the process's own namespace; only
	  * the process identity says whether counters continue. */
	 {{T0, 0, 0,
	   {{100, 5, "pod-1", "", 0, {{"tap0", 0, 111, 1, 1000, 1, 1, 0, 0}}}}},
	  {T0 + 15, 0, 0,
	   {{100, 5, "pod-1", "", 0, {{"tap0", 0, 111, 2, 1500, 2, 2, 0, 0}}}}},
	  {T0 + 30, 0, 0,
	   {{101, 77, "pod-1", "", 0,
	     {{"tap0", 0, 222, 0, 100, 0, 1, 0, 0}}}}}}},
	{"one-vm-two-processes",
	 /* Two processes with one id (e.g. during a local migration):
	  * one VM, both pids in qemu_vm_info, a shared tap counted once. */
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "a", 0,
	     {{"vnet0", 7, NS, 1, 100, 1, 1, 0, 0}, {"vnet2", 9, NS, 0, 5, 0, 1, 0, 0}}},
	    {101, 6, "vm-a", "a", 0,
	     {{"vnet0", 7, NS, 1, 100, 1, 1, 0, 0},
	      {"vnet1", 8, NS, 3, 30, 1, 1, 0, 0}}}}}}},
	{"unreadable-and-vhost-user",
	 {{T0, 0, 2,
	   {{100, 5, "vm-ro", "secret", 1, {{0}}},
	    {200, 6, "vm-vhost", "vu", 0, {{0}}},
	    {300, 7, "vm-mac", "", 0,
	     {{"macvtap3", 3, NS, 900, 80, 9, 1, 0, 1}}}}}}},
	{"reset",
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 10, 10000, 1, 9, 0, 0}}},
	    /* gone at the reset: forgotten */
	    {200, 5, "vm-b", "", 0, {{"vnet1", 8, NS, 1, 1, 1, 1, 0, 0}}}}},
	  {T0 + 15, 1, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 20, 20000, 2, 19, 0, 0}}}}},
	  {T0 + 30, 0, 0,
	   {{100, 5, "vm-a", "", 0,
	     {{"vnet0", 7, NS, 25, 20500, 3, 20, 0, 0}}}}}}},
	{"gone-for-an-hour",
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 10, 10000, 1, 9, 0, 0}}},
	    {200, 5, "vm-b", "", 0, {{"vnet1", 8, NS, 1, 1, 1, 1, 0, 0}}}}},
	  /* vm-a away for 30 min: remembered. */
	  {T0 + 1800, 0, 0,
	   {{200, 5, "vm-b", "", 0, {{"vnet1", 8, NS, 2, 2, 2, 2, 0, 0}}}}},
	  {T0 + 1815, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 11, 10100, 2, 10, 0, 0}}},
	    {200, 5, "vm-b", "", 0, {{"vnet1", 8, NS, 2, 2, 2, 2, 0, 0}}}}},
	  /* vm-b away for more than an hour: forgotten. */
	  {T0 + 5420, 0, 0,
	   {{100, 5, "vm-a", "", 0,
	     {{"vnet0", 7, NS, 11, 10100, 2, 10, 0, 0}}}}}}},
	{"clock-stepped-back",
	 {{T0, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 0, 1000, 0, 1, 0, 0}}}}},
	  {T0 + 60, 0, 0,
	   {{100, 5, "vm-a", "", 0, {{"vnet0", 7, NS, 0, 7000, 0, 7, 0, 0}}}}},
	  /* An NTP step back by 45 s: the reading "from the future" is
	   * dropped, the counter still only grows. */
	  {T0 + 15, 0, 0,
	   {{100, 5, "vm-a", "", 0,
	     {{"vnet0", 7, NS, 0, 7300, 0, 8, 0, 0}}}}}}},
};
/* clang-format on */

/* The case's expected output, or NULL for a new case without one yet
 * (the test then fails and leaves its actual output for review). */
static char *expected_or_null(const char *kase)
{
	char path[1024];

	tu_fixture_path(path, sizeof path, "qemu-netsnap/account/%s/expected",
			kase);
	if (access(path, F_OK) != 0)
		return NULL;
	return tu_fixture(NULL, "qemu-netsnap/account/%s/expected", kase);
}

static int load_cb(const char *key, const char *value, void *arg)
{
	ck_assert_msg(account_load(arg, key, value) == 0, "bad entry %s %s",
		      key, value);
	return 0;
}

static int del_cb(const char *key, const char *value, void *arg)
{
	(void)value;
	return statefile_del(arg, key);
}

static int set_cb(void *arg, const char *key, const char *value)
{
	return statefile_set(arg, key, value);
}

static size_t build_procs(const struct runspec *r, struct qn_proc *procs)
{
	size_t n = 0;

	for (int i = 0; i < MAXPROCS && r->procs[i].pid; i++) {
		const struct procspec *ps = &r->procs[i];
		struct qn_proc *p = &procs[n++];

		memset(p, 0, sizeof *p);
		p->pid = ps->pid;
		p->start = ps->start;
		strcpy(p->cl.id, ps->id);
		strcpy(p->cl.name, ps->name);
		p->readable = !ps->unreadable;
		for (int k = 0; k < 3 && ps->ifs[k].name; k++) {
			const struct ifspec *is = &ps->ifs[k];
			struct qn_ifread *f = &p->ifs[p->nif++];
			struct qn_devstats d = {
			    .rx_bytes = is->rx_bytes,
			    .rx_packets = is->rx_packets,
			    .tx_bytes = is->tx_bytes,
			    .tx_packets = is->tx_packets,
			    .tx_dropped = is->tx_dropped,
			};

			strcpy(f->name, is->name);
			f->ifindex = is->ifindex;
			f->netns = is->netns;
			qn_counters_from_dev(&f->c, &d, !is->macvtap);
		}
	}
	return n;
}

/* One run from state text to state text; appends the .prom to out. */
static char *one_run(const char *state_in, const struct runspec *r, char *out,
		     size_t *outlen, uint64_t prev[2])
{
	struct statefile *st = statefile_new_memory("qemu-netsnap");
	struct qn_table *t = account_new(16);
	struct promfile *pf = promfile_new();
	struct qn_proc procs[MAXPROCS];
	size_t n = build_procs(r, procs), len;
	char err[256], *prom, *state;

	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(t);
	if (state_in)
		ck_assert_int_eq(statefile_parse(st, state_in, strlen(state_in),
						 err, sizeof err),
				 0);
	statefile_foreach(st, "vm/", load_cb, t);
	ck_assert_int_eq(account_update(t, procs, n, r->now, r->reset), 0);
	ck_assert_int_eq(qn_fmt(pf, t, r->unreadable), 0);
	ck_assert_int_eq(promfile_render(pf, &prom, &len), 0);
	*outlen += (size_t)snprintf(out + *outlen, 65536 - *outlen,
				    "## run at %.0f%s\n%s", r->now - T0,
				    r->reset ? " --reset" : "", prom);
	/* Totals never go down without --reset. */
	for (size_t i = 0; i < t->n; i++) {
		const struct qn_vm *vm = t->vms[i];

		if (strcmp(vm->id, "vm-a"))
			continue;
		if (!r->reset) {
			ck_assert_uint_ge(vm->rx, prev[0]);
			ck_assert_uint_ge(vm->tx, prev[1]);
		}
		prev[0] = vm->rx;
		prev[1] = vm->tx;
	}
	statefile_foreach(st, "vm/", del_cb, st);
	ck_assert_int_eq(account_save(t, set_cb, st), 0);
	ck_assert_int_eq(statefile_render(st, &state, &len), 0);
	free(prom);
	promfile_free(pf);
	account_free(t);
	statefile_close(st);
	return state;
}

START_TEST(test_account_case)
{
	const struct acase *c = &acases[_i];
	static char out[65536];
	size_t outlen = 0;
	uint64_t prev[2] = {0, 0};
	char *state = NULL, *exp;

	out[0] = '\0';
	for (int r = 0; r < MAXRUNS && c->runs[r].now > 0; r++) {
		char *next = one_run(state, &c->runs[r], out, &outlen, prev);

		free(state);
		state = next;
	}
	outlen += (size_t)snprintf(out + outlen, sizeof out - outlen,
				   "## state\n%s", state);
	free(state);
	exp = expected_or_null(c->name);
	if (!exp || strcmp(out, exp)) {
		/* Leave the actual output for review. */
		const char *tmp = getenv("TMPDIR");
		char path[512];
		FILE *f;

		snprintf(path, sizeof path, "%s/qemu-account-%s.actual",
			 tmp ? tmp : "/tmp", c->name);
		f = fopen(path, "w");
		if (f) {
			fputs(out, f);
			fclose(f);
		}
		ck_abort_msg("%s: output differs from the fixture (actual "
			     "in %s)",
			     c->name, path);
	}
	free(exp);
}
END_TEST

/* Direction: the tap's tx is the guest's rx, macvtap is not swapped. */
START_TEST(test_direction)
{
	struct qn_devstats d = {1, 2, 3, 4, 5, 6};
	struct qn_counters c;

	qn_counters_from_dev(&c, &d, 1);
	ck_assert_uint_eq(c.v[QN_RX_BYTES], 4);
	ck_assert_uint_eq(c.v[QN_RX_PACKETS], 5);
	ck_assert_uint_eq(c.v[QN_RX_DROPPED], 6);
	ck_assert_uint_eq(c.v[QN_TX_BYTES], 1);
	ck_assert_uint_eq(c.v[QN_TX_PACKETS], 2);
	ck_assert_uint_eq(c.v[QN_TX_DROPPED], 3);
	qn_counters_from_dev(&c, &d, 0);
	ck_assert_uint_eq(c.v[QN_RX_BYTES], 1);
	ck_assert_uint_eq(c.v[QN_TX_BYTES], 4);
}
END_TEST

START_TEST(test_fold)
{
	struct qn_ifstate prev = {
	    .netns = 1, .ifindex = 7, .pid = 10, .start = 99};
	struct qn_ifread cur = {.netns = 1, .ifindex = 7};
	struct qn_counters d;

	prev.raw.v[QN_RX_BYTES] = 100;
	cur.c.v[QN_RX_BYTES] = 150;
	ck_assert_int_eq(compute_fold(&prev, &cur, 11, 5, &d), 0);
	ck_assert_uint_eq(d.v[QN_RX_BYTES], 50);
	cur.ifindex = 8;
	ck_assert_int_eq(compute_fold(&prev, &cur, 10, 99, &d), 1);
	ck_assert_uint_eq(d.v[QN_RX_BYTES], 150);
	cur.ifindex = 7;
	cur.netns = 2;
	ck_assert_int_eq(compute_fold(&prev, &cur, 10, 99, &d), 1);
	cur.netns = 1;
	cur.c.v[QN_TX_PACKETS] = 0;
	prev.raw.v[QN_TX_PACKETS] = 1;
	ck_assert_int_eq(compute_fold(&prev, &cur, 10, 99, &d), 1);
	prev.raw.v[QN_TX_PACKETS] = 0;
	prev.ifindex = cur.ifindex = 0;
	ck_assert_int_eq(compute_fold(&prev, &cur, 10, 99, &d), 0);
	ck_assert_int_eq(compute_fold(&prev, &cur, 10, 98, &d), 1);
	ck_assert_int_eq(compute_fold(NULL, &cur, 10, 99, &d), 1);
	ck_assert_uint_eq(d.v[QN_RX_BYTES], 150);
}
END_TEST

START_TEST(test_load_rejects)
{
	struct qn_table *t = account_new(4);

	ck_assert_int_eq(account_load(t, "vm/a/seen", "12.5"), 0);
	ck_assert_int_eq(account_load(t, "vm/a%2Fb%25/total", "1,2"), 0);
	ck_assert_ptr_nonnull(account_find(t, "a/b%"));
	ck_assert_int_eq(account_load(t, "vm/a/total", "1,x"), -1);
	ck_assert_int_eq(account_load(t, "vm/a/total", "1"), -1);
	ck_assert_int_eq(account_load(t, "vm/a/seen", "inf"), -1);
	ck_assert_int_eq(account_load(t, "vm/a%2/seen", "1"), -1);
	ck_assert_int_eq(account_load(t, "vm//seen", "1"), -1);
	ck_assert_int_eq(account_load(t, "vm/a/what", "1"), -1);
	ck_assert_int_eq(account_load(t, "vm/a/if/x/y", "1"), -1);
	ck_assert_int_eq(
	    account_load(t, "vm/a/if/v0", "1,2,3,4,5,1,2,3,4,5,6,1,2,3,4,5,6"),
	    0);
	/* the same interface twice, and a short line */
	ck_assert_int_eq(
	    account_load(t, "vm/a/if/v0", "1,2,3,4,5,1,2,3,4,5,6,1,2,3,4,5,6"),
	    -1);
	ck_assert_int_eq(account_load(t, "vm/a/if/v1", "1,2,3,4,5,1,2"), -1);
	ck_assert_int_eq(account_load(t, "vm/a/ring", "5:1:1,4:2:2"), -1);
	account_free(t);
}
END_TEST

START_TEST(test_max_vms)
{
	struct qn_table *t = account_new(2);
	struct qn_proc p[3];

	memset(p, 0, sizeof p);
	for (int i = 0; i < 3; i++) {
		p[i].pid = 10 + i;
		p[i].readable = 1;
		snprintf(p[i].cl.id, sizeof p[i].cl.id, "vm-%d", i);
	}
	/* A remembered, absent VM makes room for a present one. */
	ck_assert_int_eq(account_load(t, "vm/old/seen", "1"), 0);
	ck_assert_int_eq(account_update(t, p, 3, 100, 0), 0);
	ck_assert_uint_eq(t->n, 2);
	ck_assert_uint_eq(t->over_cap, 1);
	ck_assert_ptr_null(account_find(t, "old"));
	account_free(t);
}
END_TEST

static Suite *account_suite(void)
{
	Suite *s = suite_create("qemu_account");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_account_case, 0,
			    sizeof acases / sizeof acases[0]);
	tcase_add_test(tc, test_direction);
	tcase_add_test(tc, test_fold);
	tcase_add_test(tc, test_load_rejects);
	tcase_add_test(tc, test_max_vms);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(account_suite());
}
