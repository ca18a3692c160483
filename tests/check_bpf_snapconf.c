/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of cmd/bpf-snap/snapconf.c: configuration compiled into the
 * kernel filter table and map sizes, and the cgroup2 root found in a
 * mountinfo text, on fixtures:
 *   tests/fixtures/bpf-snap/config/<case>/{input,expected}
 *   tests/fixtures/bpf-snap/mountinfo/<case>/{input,expected}
 * "expected" is the whole compiled result in a text form (below), or the
 * error message; the file is parsed under the name "bpf-snap.yaml".
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "../cmd/bpf-snap/snapconf.h"

static void check_expected(const char *dir, const char *name, const char *got)
{
	char ex[1024];
	size_t wlen;
	char *want;

	tu_fixture_path(ex, sizeof ex, "bpf-snap/%s/%s/expected", dir, name);
	if (getenv("BPF_SNAP_UPDATE")) {
		FILE *f = fopen(ex, "wb");
		ck_assert_ptr_nonnull(f);
		fputs(got, f);
		fclose(f);
	}
	want = tu_fixture(&wlen, "bpf-snap/%s/%s/expected", dir, name);
	ck_assert_msg(strlen(got) == wlen && !memcmp(got, want, wlen),
		      "%s/%s: got:\n%s", dir, name, got);
	free(want);
}

/* The compiled configuration as text: what attach would load. */
static void dump(const struct snapconf *c, char *out, size_t len)
{
	size_t o = 0;

#define PUT(...) o += (size_t)snprintf(out + o, len - o, __VA_ARGS__)
	PUT("all %d\n", c->all);
	for (size_t i = 0; i < c->n_targets; i++) {
		char key[BPF_SNAP_COMM_LEN];
		struct bpf_snap_target v;

		snapconf_filter_entry(c, i, key, &v);
		PUT("filter id=%u name=\"%s\" comm=\"", v.id, v.name);
		for (size_t k = 0; k < sizeof key; k++)
			PUT(key[k] ? "%c" : "\\0", key[k]);
		PUT("\"\n");
	}
	PUT("maps edges=%u conn_lat=%u tx_lat=%u pending=%u\n", c->max_edges,
	    c->max_conn_lat, c->max_tx_lat, c->max_pending);
	for (size_t i = 0; i < c->n_notes; i++)
		PUT("note %s\n", c->notes[i]);
#undef PUT
}

static const char *const configs[] = {
    "seed_example",	"stack_example", "json",	   "empty",
    "all_with_targets", "maps",		 "long_comm",	   "name_defaults",
    "err_unknown_key",	"err_dup_comm",	 "err_no_comm",	   "err_map_size",
    "err_targets_kind", "err_long_name", "err_empty_comm",
};

START_TEST(test_config)
{
	char err[512], out[8192];
	struct snapconf *c = malloc(sizeof *c);
	struct cfg_node *root;
	size_t len;
	char *text;

	ck_assert_ptr_nonnull(c);
	text = tu_fixture(&len, "bpf-snap/config/%s/input", configs[_i]);
	root =
	    text[0] == '{'
		? cfg_parse_json(text, len, "bpf-snap.json", err, sizeof err)
		: cfg_parse_yaml(text, len, "bpf-snap.yaml", err, sizeof err);
	ck_assert_msg(root != NULL, "%s", err);
	snapconf_init(c);
	if (snapconf_compile(root, c, err, sizeof err) < 0) {
		ck_assert_int_eq(errno, EINVAL);
		snprintf(out, sizeof out, "error %s\n", err);
	} else {
		dump(c, out, sizeof out);
	}
	check_expected("config", configs[_i], out);
	cfg_free(root);
	free(text);
	free(c);
}
END_TEST

START_TEST(test_defaults)
{
	struct snapconf c;
	char err[64];

	snapconf_init(&c);
	ck_assert_int_eq(snapconf_compile(NULL, &c, err, sizeof err), 0);
	ck_assert_int_eq(c.all, 1);
	ck_assert_uint_eq(c.n_targets, 0);
	ck_assert_uint_eq(c.max_edges, 16384);
}
END_TEST

static const char *const mountinfos[] = {"hybrid",     "pure_v2", "escaped",
					 "namespaced", "none",	  "truncated"};

START_TEST(test_mountinfo)
{
	char out[4200], path[4096];
	size_t len;
	char *text;

	text = tu_fixture(&len, "bpf-snap/mountinfo/%s/input", mountinfos[_i]);
	if (decode_mountinfo_cgroup2(text, len, path, sizeof path) < 0)
		snprintf(out, sizeof out, "error %s\n", strerror(errno));
	else
		snprintf(out, sizeof out, "%s\n", path);
	check_expected("mountinfo", mountinfos[_i], out);
	free(text);
}
END_TEST

START_TEST(test_mountinfo_small_buffer)
{
	static const char mi[] =
	    "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
	char out[8];

	ck_assert_int_eq(
	    decode_mountinfo_cgroup2(mi, sizeof mi - 1, out, sizeof out), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_snapconf");
	TCase *tc = tcase_create("config");

	tcase_add_loop_test(tc, test_config, 0,
			    sizeof configs / sizeof configs[0]);
	tcase_add_test(tc, test_defaults);
	suite_add_tcase(s, tc);
	tc = tcase_create("mountinfo");
	tcase_add_loop_test(tc, test_mountinfo, 0,
			    sizeof mountinfos / sizeof mountinfos[0]);
	tcase_add_test(tc, test_mountinfo_small_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
