/* SPDX-License-Identifier: MIT */
/*
 * check_qemu_decode: qemu-netsnap's parsers of /proc and /sys bytes, on
 * fixtures under $PROMSNAP_FIXTURES/qemu-netsnap/{cmdline,fdinfo,netdev}
 * (input and expected per case, compared whole) and small tables.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/qemu-netsnap/decode.h"

/* A case's input (its length in *len) and, in *exp, its expected
 * output: $PROMSNAP_FIXTURES/qemu-netsnap/<dir>/<kase>/{input,expected}. */
static char *load_case(const char *dir, const char *kase, size_t *len,
		       char **exp)
{
	char *in = tu_fixture(len, "qemu-netsnap/%s/%s/input", dir, kase);

	*exp = tu_fixture(NULL, "qemu-netsnap/%s/%s/expected", dir, kase);
	return in;
}

/* --- command lines ------------------------------------------------------ */

/* clang-format off */
static const char *const cmdline_cases[] = {
	"libvirt-runvm",	   "cid-before-uuid",
	"uuid-only",		   "name-guest-escaped",
	"name-bare",		   "pid-fallback",
	"not-qemu-comm-lookalike", "not-qemu-prefix-only",
	"not-qemu-kvmtool",	   "runvm-not-terminated",
	"runvm-bad-chars",	   "uuid-invalid-then-name",
	"name-control-char",	   "truncated-no-final-nul",
};
/* clang-format on */

START_TEST(test_cmdline_fixture)
{
	const char *kase = cmdline_cases[_i];
	size_t len;
	char *exp, *in = load_case("cmdline", kase, &len, &exp);
	struct qn_rules rules;
	struct qn_cmdline cl;
	char got[512];

	/* Fixtures keep one argument per line; the kernel separates them
	 * with NUL. */
	for (size_t i = 0; i < len; i++)
		if (in[i] == '\n')
			in[i] = '\0';
	qn_rules_default(&rules);
	if (decode_cmdline(in, len, &rules, 4242, &cl) == 1)
		snprintf(got, sizeof got, "not-qemu\n");
	else
		snprintf(got, sizeof got, "id=%s\nname=%s\n", cl.id, cl.name);
	ck_assert_msg(!strcmp(got, exp), "%s: got\n%s\nexpected\n%s", kase, got,
		      exp);
	free(in);
	free(exp);
}
END_TEST

struct rule_case {
	const char *match, *label, *argv, *id;
};

/* Configured rules: placeholders, labels, order of rules over order of
 * arguments. */
/* clang-format off */
static const struct rule_case rule_cases[] = {
	{"vm-id=*", "", "qemu-system-x86_64|-uuid|u1|-device|x,vm-id=abc.1",
	 "abc.1"},
	{"vm-id=*", "VM-*-x", "qemu-system-x86_64|a,vm-id=abc", "VM-abc-x"},
	{"cid=#", "c#", "qemu-system-x86_64|cid=12ab", "c12"},
	{"cid=#", "c#", "qemu-system-x86_64|cid=ab|-uuid|U", "U"},
	/* The second occurrence of the prefix matches. */
	{"/vm/*/", "", "qemu-system-x86_64|/vm/a b/ /vm/ok/", "ok"},
	/* A capture too long for the label is refused, not cut. */
	{"x=*", "",
	 "qemu-system-x86_64|x="
	 "0123456789012345678901234567890123456789012345678901234567890123"
	 "456789012345678901234567890123456789012345678901234567890123456789",
	 "pid-7"},
};
/* clang-format on */

START_TEST(test_rules)
{
	const struct rule_case *c = &rule_cases[_i];
	struct qn_rules rules = {0};
	struct qn_cmdline cl;
	char buf[512], err[128];
	size_t len = strlen(c->argv);

	memcpy(buf, c->argv, len + 1);
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '|')
			buf[i] = '\0';
	rules.r[0].kind = QN_RULE_MATCH;
	strcpy(rules.r[0].match, c->match);
	strcpy(rules.r[0].label, c->label);
	ck_assert_int_eq(qn_rule_check(&rules.r[0], err, sizeof err), 0);
	rules.r[1].kind = QN_RULE_UUID;
	rules.n = 2;
	ck_assert_int_eq(decode_cmdline(buf, len + 1, &rules, 7, &cl), 0);
	ck_assert_str_eq(cl.id, c->id);
}
END_TEST

START_TEST(test_rule_check)
{
	struct qn_rule r = {.kind = QN_RULE_MATCH};
	char err[160];

	strcpy(r.match, "a=*,b=*");
	ck_assert_int_eq(qn_rule_check(&r, err, sizeof err), -1);
	ck_assert_str_eq(err, "match \"a=*,b=*\" must hold exactly one '*' "
			      "or '#'");
	strcpy(r.match, "a=#");
	strcpy(r.label, "x*");
	ck_assert_int_eq(qn_rule_check(&r, err, sizeof err), -1);
	strcpy(r.label, "fixed");
	ck_assert_int_eq(qn_rule_check(&r, err, sizeof err), -1);
	strcpy(r.label, "CID-#");
	ck_assert_int_eq(qn_rule_check(&r, err, sizeof err), 0);
}
END_TEST

START_TEST(test_is_qemu)
{
	ck_assert_int_eq(decode_is_qemu("qemu-system-x86_64", 18), 1);
	ck_assert_int_eq(decode_is_qemu("/usr/libexec/qemu-kvm\0-m", 24), 1);
	ck_assert_int_eq(decode_is_qemu("kvm", 3), 1);
	ck_assert_int_eq(decode_is_qemu("/bin/kvm-ok", 11), 0);
	ck_assert_int_eq(decode_is_qemu("qemu-img\0x", 10), 0);
	ck_assert_int_eq(decode_is_qemu("", 0), 0);
	/* A directory named like QEMU is not the program. */
	ck_assert_int_eq(decode_is_qemu("/qemu-system-x/bash", 19), 0);
}
END_TEST

/* --- fdinfo, fd targets, netns, stat, sysfs ------------------------------ */

/* clang-format off */
static const char *const fdinfo_cases[] = {
	"tun",		"tun-no-final-newline", "eventfd",
	"detached-tun", "name-too-long",	"name-slash",
	"name-empty",	"iff-not-at-line-start",
};
/* clang-format on */

START_TEST(test_fdinfo_fixture)
{
	const char *kase = fdinfo_cases[_i];
	size_t len;
	char *exp, *in = load_case("fdinfo", kase, &len, &exp);
	char ifname[QN_IFNAME_MAX], got[64];
	int rc = decode_fdinfo_iff(in, len, ifname);

	if (rc == 0)
		snprintf(got, sizeof got, "iff=%s\n", ifname);
	else
		snprintf(got, sizeof got, "%s\n", rc == 1 ? "none" : "invalid");
	ck_assert_msg(!strcmp(got, exp), "%s: got %s expected %s", kase, got,
		      exp);
	free(in);
	free(exp);
}
END_TEST

START_TEST(test_fd_target)
{
	int idx = -1;

	ck_assert_int_eq(decode_fd_target("/dev/net/tun", &idx), QN_FD_TUN);
	ck_assert_int_eq(decode_fd_target("/dev/tap17", &idx), QN_FD_MACVTAP);
	ck_assert_int_eq(idx, 17);
	ck_assert_int_eq(decode_fd_target("/dev/tap", &idx), QN_FD_OTHER);
	ck_assert_int_eq(decode_fd_target("/dev/tap0", &idx), QN_FD_OTHER);
	ck_assert_int_eq(decode_fd_target("/dev/tap1x", &idx), QN_FD_OTHER);
	ck_assert_int_eq(decode_fd_target("/dev/tap99999999999", &idx),
			 QN_FD_OTHER);
	ck_assert_int_eq(decode_fd_target("/dev/vhost-net", &idx), QN_FD_OTHER);
	ck_assert_int_eq(decode_fd_target("socket:[1234]", &idx), QN_FD_OTHER);
}
END_TEST

START_TEST(test_netns_stat_u64)
{
	uint64_t v = 0;
	/* comm may hold ") (" and spaces: the last ')' counts. */
	const char stat[] =
	    "4242 (qemu) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
	    "5 6 0 0 20 0 9 0 987654 100000 200 18446744073709551615\n";

	ck_assert_int_eq(decode_netns("net:[4026531840]", &v), 0);
	ck_assert_uint_eq(v, 4026531840u);
	ck_assert_int_eq(decode_netns("net:[]", &v), -1);
	ck_assert_int_eq(decode_netns("mnt:[1]", &v), -1);
	ck_assert_int_eq(decode_netns("net:[12x]", &v), -1);
	ck_assert_int_eq(decode_stat_starttime(stat, sizeof stat - 1, &v), 0);
	ck_assert_uint_eq(v, 987654);
	ck_assert_int_eq(decode_stat_starttime("1 (a) S 1", 9, &v), -1);
	ck_assert_int_eq(decode_u64("123\n", 4, &v), 0);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(decode_u64("18446744073709551615\n", 21, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(decode_u64("18446744073709551616", 20, &v), -1);
	ck_assert_int_eq(decode_u64("", 0, &v), -1);
	ck_assert_int_eq(decode_u64("12 ", 3, &v), -1);
	ck_assert_int_eq(decode_u64("-1", 2, &v), -1);
}
END_TEST

START_TEST(test_netdev_fixture)
{
	static const char *const names[] = {"vnet0", "vnet10", "vnet1", "vnet",
					    "bad0"};
	size_t len, o = 0;
	char *exp, *in = load_case("netdev", "host", &len, &exp);
	char got[2048];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct qn_devstats d;
		int rc = decode_netdev(in, len, names[i], &d);

		if (rc == 0)
			o += (size_t)snprintf(
			    got + o, sizeof got - o,
			    "%s rx_bytes=%llu rx_packets=%llu "
			    "rx_dropped=%llu tx_bytes=%llu "
			    "tx_packets=%llu tx_dropped=%llu\n",
			    names[i], (unsigned long long)d.rx_bytes,
			    (unsigned long long)d.rx_packets,
			    (unsigned long long)d.rx_dropped,
			    (unsigned long long)d.tx_bytes,
			    (unsigned long long)d.tx_packets,
			    (unsigned long long)d.tx_dropped);
		else
			o += (size_t)snprintf(got + o, sizeof got - o,
					      "%s %s\n", names[i],
					      rc == 1 ? "absent" : "malformed");
	}
	ck_assert_str_eq(got, exp);
	free(in);
	free(exp);
}
END_TEST

/* The index agrees with the single lookup for every name, and leaves out
 * the malformed line and the headers. */
START_TEST(test_netdev_index)
{
	static const char *const names[] = {"lo",   "eth0", "vnet0", "vnet10",
					    "bad0", "vnet", "zz"};
	size_t len;
	char *in = tu_fixture(&len, "qemu-netsnap/netdev/host/input");
	struct qn_netdev_entry *e = NULL;
	ssize_t n = decode_netdev_all(in, len, &e);

	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(e[0].name, "eth0");
	ck_assert_str_eq(e[3].name, "vnet10");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct qn_devstats d;
		const struct qn_netdev_entry *f =
		    qn_netdev_find(e, (size_t)n, names[i]);
		int rc = decode_netdev(in, len, names[i], &d);

		ck_assert_msg((f != NULL) == (rc == 0), "%s", names[i]);
		if (f)
			ck_assert(!memcmp(&f->s, &d, sizeof d));
	}
	free(e);
	free(in);
}
END_TEST

START_TEST(test_valid_ifname)
{
	ck_assert_int_eq(qn_valid_ifname("vnet0"), 1);
	ck_assert_int_eq(qn_valid_ifname("123456789012345"), 1);
	ck_assert_int_eq(qn_valid_ifname("1234567890123456"), 0);
	ck_assert_int_eq(qn_valid_ifname(".."), 0);
	ck_assert_int_eq(qn_valid_ifname("a b"), 0);
	ck_assert_int_eq(qn_valid_ifname("a:1"), 0);
	ck_assert_int_eq(qn_valid_ifname(""), 0);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("qemu_decode");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_cmdline_fixture, 0,
			    sizeof cmdline_cases / sizeof cmdline_cases[0]);
	tcase_add_loop_test(tc, test_rules, 0,
			    sizeof rule_cases / sizeof rule_cases[0]);
	tcase_add_test(tc, test_rule_check);
	tcase_add_test(tc, test_is_qemu);
	tcase_add_loop_test(tc, test_fdinfo_fixture, 0,
			    sizeof fdinfo_cases / sizeof fdinfo_cases[0]);
	tcase_add_test(tc, test_fd_target);
	tcase_add_test(tc, test_netns_stat_u64);
	tcase_add_test(tc, test_netdev_fixture);
	tcase_add_test(tc, test_netdev_index);
	tcase_add_test(tc, test_valid_ifname);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(decode_suite());
}
