/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "promfile.h"
#include "readfile.h"
#include "testutil.h"

static char *render(struct promfile *pf)
{
	char *buf;
	size_t len;
	ck_assert_int_eq(promfile_render(pf, &buf, &len), 0);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

START_TEST(test_families_whole_output)
{
	struct promfile *pf = promfile_new();
	struct histogram h;
	const double le[] = {0.005, 0.5};
	histogram_init(&h, le, 2);
	histogram_observe(&h, 0.001);
	histogram_observe(&h, 0.25);
	histogram_observe(&h, 3);

	/* Added out of name order: output sorts families, keeps samples in
	 * the order added. */
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", 2.5,
				      "series", "b", NULL),
			 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_build_info", 7, "tool",
				      "x", "version", "1.0", NULL),
			 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", 1e21,
				      "series", "a", NULL),
			 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_runs_total", 42,
				      NULL),
			 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", NAN,
				      "series", "nan", NULL),
			 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", INFINITY,
				      "series", "inf", NULL),
			 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", -INFINITY,
				      "series", "-inf", NULL),
			 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", 0.1,
				      "series", "0.1", NULL),
			 0);
	ck_assert_int_eq(promfile_add_histogram(pf,
						"promsnap_selftest_latency_seconds",
						&h, "target", "t", NULL),
			 -1); /* not in the table */
	char *out = render(pf);
	char *want = tu_fixture(NULL, "promfile/families/expected");
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(promfile_series(pf), 8);
	free(out);
	free(want);
	promfile_free(pf);
}
END_TEST

/* Families are remembered by the address of the name passed: a buffer
 * that holds another name the next time must still reach its own family,
 * before and after promfile_retain moves them. */
START_TEST(test_name_buffer_reused)
{
	struct promfile *pf = promfile_new();
	const char *const keep[] = {"promsnap_selftest_value", NULL};
	char name[64];
	char *out;

	strcpy(name, "promsnap_selftest_runs_total");
	ck_assert_int_eq(promfile_add(pf, name, 1, NULL), 0);
	strcpy(name, "promsnap_selftest_value");
	ck_assert_int_eq(promfile_add(pf, name, 2, "series", "a", NULL), 0);
	strcpy(name, "promsnap_selftest_runs_total");
	/* Same family, same (no) labels: a duplicate, refused. */
	ck_assert_int_eq(promfile_add(pf, name, 3, NULL), -1);
	strcpy(name, "promsnap_selftest_value");
	ck_assert_int_eq(promfile_add(pf, name, 4, "series", "b", NULL), 0);
	ck_assert_uint_eq(promfile_series(pf), 3);
	ck_assert_int_eq(promfile_retain(pf, keep), 0);
	ck_assert_int_eq(promfile_add(pf, name, 5, "series", "c", NULL), 0);
	strcpy(name, "promsnap_selftest_runs_total");
	ck_assert_int_eq(promfile_add(pf, name, 6, NULL), 0);
	out = render(pf);
	ck_assert_ptr_nonnull(strstr(out, "promsnap_selftest_runs_total 6\n"));
	ck_assert_ptr_nonnull(
	    strstr(out, "promsnap_selftest_value{series=\"a\"} 2\n"
			"promsnap_selftest_value{series=\"b\"} 4\n"
			"promsnap_selftest_value{series=\"c\"} 5\n"));
	ck_assert_uint_eq(promfile_series(pf), 4);
	free(out);
	promfile_free(pf);
}
END_TEST

/* promfile_add_same writes what promfile_addv would, and refuses what it
 * would refuse. */
START_TEST(test_add_same)
{
	struct promfile *a = promfile_new(), *b = promfile_new();
	const char *const labels[] = {"series", "x\"y", "tool", "t\n", NULL};
	const char *const other[] = {"series", "z", NULL};
	const char *const bad[] = {"9x", "v", NULL};
	char *ta, *tb;

	ck_assert_int_eq(promfile_add_same(a, "promsnap_selftest_value", 1),
			 -1);
	ck_assert_int_eq(promfile_labels_set(a, bad), -1);
	ck_assert_int_eq(promfile_add_same(a, "promsnap_selftest_value", 1),
			 -1);
	ck_assert_int_eq(promfile_labels_set(a, labels), 0);
	ck_assert_int_eq(promfile_add_same(a, "promsnap_selftest_value", 1.5),
			 0);
	ck_assert_int_eq(
	    promfile_add_same(a, "promsnap_selftest_runs_total", 7), 0);
	ck_assert_int_eq(promfile_add_same(a, "promsnap_selftest_value", 2),
			 -1); /* same series twice */
	ck_assert_int_eq(promfile_add_same(a, "promsnap_selftest_latency_seconds", 2),
			 -1); /* not in the table */
	ck_assert_int_eq(promfile_labels_set(a, other), 0);
	ck_assert_int_eq(promfile_add_same(a, "promsnap_selftest_value", 3),
			 0);
	ck_assert_int_eq(promfile_addv(b, "promsnap_selftest_value", 1.5,
				       labels),
			 0);
	ck_assert_int_eq(promfile_addv(b, "promsnap_selftest_runs_total", 7,
				       labels),
			 0);
	ck_assert_int_eq(promfile_addv(b, "promsnap_selftest_value", 3, other),
			 0);
	/* And mixed: addv sees add_same's series as its own. */
	ck_assert_int_eq(promfile_addv(a, "promsnap_selftest_value", 9, other),
			 -1);
	ta = render(a);
	tb = render(b);
	ck_assert_str_eq(ta, tb);
	ck_assert_uint_eq(promfile_series(a), promfile_series(b));
	free(ta);
	free(tb);
	promfile_free(a);
	promfile_free(b);
}
END_TEST

START_TEST(test_escaping)
{
	struct promfile *pf = promfile_new();
	/* Backslash, quote, newline escaped; invalid UTF-8 (a lone
	 * continuation byte, an overlong '/', a surrogate) replaced by
	 * U+FFFD; valid multibyte text kept. */
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", 1,
				      "series",
				      "a\\b\"c\nd\x80"
				      "e\xc0\xaf"
				      "f\xed\xa0\x80"
				      "g\xc3\xa9\xe2\x82\xac",
				      NULL),
			 0);
	char *out = render(pf);
	char *want = tu_fixture(NULL, "promfile/escaping/expected");
	ck_assert_str_eq(out, want);
	free(out);
	free(want);
	promfile_free(pf);
}
END_TEST

START_TEST(test_histogram_output)
{
	struct promfile *pf = promfile_new();
	struct histogram h;
	const double le[] = {0.005, 0.5};
	histogram_init(&h, le, 2);
	histogram_observe(&h, 0.001);
	histogram_observe(&h, 0.25);
	histogram_observe(&h, 0.25);
	histogram_observe(&h, 3);
	ck_assert_int_eq(promfile_add_histogram(pf, "promsnap_selftest_duration_seconds", &h,
						"target", "a", NULL),
			 0);
	char *out = render(pf);
	char *want = tu_fixture(NULL, "promfile/histogram/expected");
	ck_assert_str_eq(out, want);
	free(out);
	free(want);
	/* A histogram name refuses plain samples and vice versa; "le" is
	 * reserved; counts must be consistent. */
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_duration_seconds", 1, NULL), -1);
	ck_assert_int_eq(promfile_add_histogram(pf, "promsnap_run_success", &h, NULL), -1);
	ck_assert_int_eq(promfile_add_histogram(pf, "promsnap_selftest_duration_seconds", &h,
						"le", "1", NULL),
			 -1);
	h.count = 1;
	ck_assert_int_eq(promfile_add_histogram(pf, "promsnap_selftest_duration_seconds", &h,
						"target", "b", NULL),
			 -1);
	promfile_free(pf);
}
END_TEST

START_TEST(test_rejects)
{
	struct promfile *pf = promfile_new();
	ck_assert_int_eq(promfile_add(pf, "no_such_metric", 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_nonnull(strstr(promfile_error(pf), "not in the suite's table"));
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 1, "9bad", "x", NULL), -1);
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 1, "__r", "x", NULL), -1);
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 1, "a-b", "x", NULL), -1);
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 1, "t", "x", "t", "y", NULL), -1);
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 1, "tool", "x", NULL), 0);
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 0, "tool", "x", NULL), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_ptr_nonnull(strstr(promfile_error(pf), "added twice"));
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 0, "tool", "y", NULL), 0);
	ck_assert_uint_eq(promfile_series(pf), 2);
	promfile_free(pf);
}
END_TEST

START_TEST(test_many_series_no_false_duplicates)
{
	struct promfile *pf = promfile_new();
	char v[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(v, sizeof v, "%d", i);
		ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", i,
					      "series", v, NULL),
				 0);
	}
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", 1,
				      "series", "19999", NULL),
			 -1);
	ck_assert_uint_eq(promfile_series(pf), 20000);
	promfile_free(pf);
}
END_TEST

START_TEST(test_retain)
{
	struct promfile *pf = promfile_new();
	struct histogram h;
	const double le[] = {1};
	histogram_init(&h, le, 1);
	promfile_add(pf, "promsnap_selftest_value", 1, "series", "a", NULL);
	promfile_add_histogram(pf, "promsnap_selftest_duration_seconds", &h, NULL);
	promfile_add(pf, "promsnap_run_success", 0, "tool", "t", NULL);
	static const char *const keep[] = {"promsnap_run_success", NULL};
	ck_assert_int_eq(promfile_retain(pf, keep), 0);
	ck_assert_uint_eq(promfile_series(pf), 1);
	/* The duplicate set still knows the kept series, and dropped
	 * families can be added again. */
	ck_assert_int_eq(promfile_add(pf, "promsnap_run_success", 1, "tool", "t", NULL), -1);
	ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value", 2, "series", "a", NULL), 0);
	char *out = render(pf);
	ck_assert_str_eq(out, "# HELP promsnap_run_success Whether the last run of the tool succeeded as a whole (1) or failed (0).\n"
			      "# TYPE promsnap_run_success gauge\n"
			      "promsnap_run_success{tool=\"t\"} 0\n"
			      "# HELP promsnap_selftest_value Test series written by promsnap-selftest.\n"
			      "# TYPE promsnap_selftest_value gauge\n"
			      "promsnap_selftest_value{series=\"a\"} 2\n");
	free(out);
	promfile_free(pf);
}
END_TEST

/* Values of every length around the 8-byte steps of the escaper, with
 * the byte to escape at each place, and long enough to take the paths
 * for lines longer than the render buffer's reserve and for a file
 * larger than its block; compared with a byte-at-a-time escape. */
static const size_t long_lens[] = {1, 7, 8, 9, 15, 16, 17, 31, 600, 40000};

static char *naive_escape(const char *v)
{
	char *out = malloc(strlen(v) * 2 + 1), *o = out;

	ck_assert_ptr_nonnull(out);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"') {
			*o++ = '\\';
			*o++ = *v;
		} else if (*v == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else {
			*o++ = *v;
		}
	}
	*o = 0;
	return out;
}

START_TEST(test_long_values)
{
	size_t len = long_lens[_i];
	static const char special[] = {'\\', '"', '\n', 'x'};
	char *v = malloc(len + 1);
	struct promfile *pf = promfile_new();
	size_t cap = 0, n = 0;
	char *want = NULL;
	FILE *w = open_memstream(&want, &cap);

	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(w);
	fputs("# HELP promsnap_selftest_value Test series written by "
	      "promsnap-selftest.\n# TYPE promsnap_selftest_value gauge\n",
	      w);
	/* The special byte at each position of the first 17, then near
	 * the end: one sample per place. */
	for (size_t pos = 0; pos < len; pos++) {
		char series[32];
		char *esc;

		if (pos > 17 && pos + 17 < len)
			continue;
		memset(v, 'a' + (int)(pos % 26), len);
		v[len] = 0;
		v[pos] = special[pos % 4];
		snprintf(series, sizeof series, "%zu", pos);
		ck_assert_int_eq(promfile_add(pf, "promsnap_selftest_value",
					      (double)pos, "series", series,
					      "v", v, NULL),
				 0);
		esc = naive_escape(v);
		fprintf(w, "promsnap_selftest_value{series=\"%s\",v=\"%s\"} %zu\n",
			series, esc, pos);
		free(esc);
		n++;
	}
	fclose(w);
	ck_assert_uint_eq(promfile_series(pf), n);
	char *out = render(pf);
	ck_assert_uint_eq(strlen(out), strlen(want));
	ck_assert_int_eq(strcmp(out, want), 0);
	free(out);
	free(want);
	free(v);
	promfile_free(pf);
}
END_TEST

START_TEST(test_value_roundtrip)
{
	const double vals[] = {0.1, 1.0 / 3, 1e-300, 123456789012345678.0,
			       5e-324, 1.7976931348623157e308, -0.0, 42};
	char buf[64];
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		prom_format_value(vals[i], buf, sizeof buf);
		ck_assert_msg(strtod(buf, NULL) == vals[i], "%s", buf);
	}
	prom_format_value(42, buf, sizeof buf);
	ck_assert_str_eq(buf, "42");
	prom_format_value(-42, buf, sizeof buf);
	ck_assert_str_eq(buf, "-42");
	prom_format_value(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "0");
	prom_format_value(999999999999999.0, buf, sizeof buf);
	ck_assert_str_eq(buf, "999999999999999");
	prom_format_value(1e15, buf, sizeof buf);
	ck_assert_str_eq(buf, "1e+15");
	prom_format_value(-2.5, buf, sizeof buf);
	ck_assert_str_eq(buf, "-2.5");
	prom_format_value(NAN, buf, sizeof buf);
	ck_assert_str_eq(buf, "NaN");
}
END_TEST

/* What prom_format_value wrote before its fast path for short decimals:
 * the shortest of %.15g..%.17g that reads back (whole numbers aside). */
static void reference_format(double v, char *buf, size_t len)
{
	if (fabs(v) < 1e15 && v == (double)(long long)v) {
		snprintf(buf, len, "%lld", (long long)v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void same_as_reference(double v)
{
	char got[64], want[64];

	prom_format_value(v, got, sizeof got);
	reference_format(v, want, sizeof want);
	ck_assert_msg(!strcmp(got, want), "%.17g: got %s, want %s", v, got,
		      want);
}

/* The fast path writes exactly what printf's loop wrote: on the values
 * tools write (milliseconds / 1000, decimals of every length, Unix times
 * with fractions), around its bounds (1e-4, 1e14, 15 digits) and on
 * random doubles. */
START_TEST(test_value_fast_path)
{
	const double edges[] = {1e-4,	  9.9999999999999e-5, 1.00000000000001e-4,
				1e14,	  99999999999999.9,  99999999999999.98,
				0.5,	  0.1,		     0.2,
				0.3,	  1.0 / 3,	     2.0 / 3,
				123.456, 0.000123,	     1795314049.2676344,
				1795314049.267, 12345.678901234, 1.2345678901234,
				0.1 + 0.2, 4.35,	     -0.001,
				-123.5,	  1e-5,		     0.00011};
	unsigned short seed[3] = {7, 8, 9};

	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		same_as_reference(edges[i]);
		same_as_reference(-edges[i]);
	}
	for (int i = 0; i < 200000; i++) {
		double x;
		long long n = (long long)(nrand48(seed)) * 1000 +
			      nrand48(seed) % 1000;
		switch (i % 5) {
		case 0: /* an mtr RTT in ms, as seconds */
			x = (double)(nrand48(seed) % 10000000) / 1000 / 1000;
			break;
		case 1: /* a decimal of 1..15 digits after the point */
			x = (double)n / pow(10, 1 + nrand48(seed) % 15);
			break;
		case 2: /* a Unix time with a fraction */
			x = 1.7e9 + erand48(seed) * 1e8;
			break;
		case 3: /* any magnitude */
			x = ldexp(erand48(seed), (int)(nrand48(seed) % 120) - 60);
			break;
		default: /* a mean of small counts */
			x = (double)(nrand48(seed) % 100000) /
			    (double)(1 + nrand48(seed) % 999);
			break;
		}
		same_as_reference(i & 1 ? -x : x);
	}
}
END_TEST

static char tmpdir[] = "/tmp/check_promfile.XXXXXX";

static void tmp_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static int count_entries(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p) {
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
	}
	return n;
}

START_TEST(test_commit_atomic)
{
	char path[256], err[512];
	struct stat sb;
	struct promfile *pf = promfile_new();
	promfile_add(pf, "promsnap_run_success", 1, "tool", "t", NULL);
	snprintf(path, sizeof path, "%s/t.prom", tmpdir);
	umask(077);
	ck_assert_int_eq(promfile_commit(pf, path, err, sizeof err), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	/* 0644 whatever the umask: node_exporter runs as another user. */
	ck_assert_int_eq(sb.st_mode & 0777, 0644);
	ck_assert_int_eq(count_entries(tmpdir), 1);
	unlink(path);

	/* A failed rename (target is a non-empty directory) removes the
	 * temp file and leaves the directory as it was. */
	char dirpath[256], inner[300];
	snprintf(dirpath, sizeof dirpath, "%s/d.prom", tmpdir);
	mkdir(dirpath, 0755);
	snprintf(inner, sizeof inner, "%s/x", dirpath);
	close(open(inner, O_CREAT | O_WRONLY, 0644));
	ck_assert_int_eq(promfile_commit(pf, dirpath, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "d.prom"));
	ck_assert_int_eq(count_entries(tmpdir), 1);

	/* A device is written in place, never replaced by a file. */
	ck_assert_int_eq(promfile_commit(pf, "/dev/null", err, sizeof err), 0);
	ck_assert_int_eq(stat("/dev/null", &sb), 0);
	ck_assert(S_ISCHR(sb.st_mode));
	ck_assert_int_eq(promfile_commit(pf, tmpdir, err, sizeof err), -1);
	ck_assert_int_eq(errno, EISDIR);

	/* A missing directory fails cleanly with the path in the error. */
	snprintf(path, sizeof path, "%s/missing/t.prom", tmpdir);
	ck_assert_int_eq(promfile_commit(pf, path, err, sizeof err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "missing"));
	promfile_free(pf);
}
END_TEST

/* A verbatim prefix goes first, from memory or from a file (copied in
 * the kernel into a file, through a buffer into memory), and retain drops
 * it with the measurements. */
START_TEST(test_prefix)
{
	const char *block = "# HELP a_block x\n# TYPE a_block gauge\na_block 1\n";
	char path[256], src[256], err[512], *buf;
	struct stat sb;
	struct promfile *pf = promfile_new();

	promfile_add(pf, "promsnap_run_success", 1, "tool", "t", NULL);
	char *plain = render(pf);
	promfile_set_prefix(pf, block, -1, strlen(block));
	buf = render(pf);
	ck_assert_ptr_eq(strstr(buf, block), buf);
	ck_assert_str_eq(buf + strlen(block), plain);
	free(buf);

	snprintf(src, sizeof src, "%s/block", tmpdir);
	int fd = open(src, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	/* Only the first len bytes of the file are the block. */
	ck_assert_int_eq(write(fd, block, strlen(block)), (int)strlen(block));
	ck_assert_int_eq(write(fd, "tail", 4), 4);
	promfile_set_prefix(pf, NULL, fd, strlen(block));
	buf = render(pf);
	ck_assert_ptr_eq(strstr(buf, block), buf);
	ck_assert_str_eq(buf + strlen(block), plain);
	free(buf);

	snprintf(path, sizeof path, "%s/p.prom", tmpdir);
	ck_assert_int_eq(promfile_commit_stat(pf, path, err, sizeof err, &sb),
			 0);
	ck_assert_int_eq(sb.st_size, (off_t)(strlen(block) + strlen(plain)));
	size_t n;
	ck_assert_int_eq(readfile(path, 1 << 20, &buf, &n), 0);
	ck_assert_uint_eq(n, (size_t)sb.st_size);
	ck_assert_int_eq(memcmp(buf, block, strlen(block)), 0);
	free(buf);

	/* A block longer than its file fails the write, not silently. */
	promfile_set_prefix(pf, NULL, fd, strlen(block) + 100);
	ck_assert_int_eq(promfile_commit(pf, path, err, sizeof err), -1);

	ck_assert_int_eq(promfile_retain(pf, NULL), 0);
	buf = render(pf);
	ck_assert_str_eq(buf, "");
	free(buf);
	close(fd);
	unlink(src);
	unlink(path);
	free(plain);
	promfile_free(pf);
}
END_TEST

static const char *seen_tmp;
static void look_at_tmp(const char *tmp, const char *path)
{
	(void)path;
	seen_tmp = strdup(tmp);
}

START_TEST(test_temp_name_hidden)
{
	char path[256], err[512];
	struct promfile *pf = promfile_new();
	promfile_add(pf, "promsnap_run_success", 1, "tool", "t", NULL);
	snprintf(path, sizeof path, "%s/sni-scan.prom", tmpdir);
	atomicfile_before_rename = look_at_tmp;
	ck_assert_int_eq(promfile_commit(pf, path, err, sizeof err), 0);
	atomicfile_before_rename = NULL;
	/* .<name>.prom.XXXXXX: hidden, and never ending in .prom. */
	const char *base = strrchr(seen_tmp, '/') + 1;
	ck_assert_int_eq(strncmp(base, ".sni-scan.prom.", 15), 0);
	ck_assert_uint_eq(strlen(base), 21);
	promfile_free(pf);
}
END_TEST

START_TEST(test_table_consistent)
{
	size_t n;
	const struct metricdef *d = metricdef_all(&n);
	ck_assert_uint_gt(n, 5);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(prom_valid_metric_name(d[i].name), "%s", d[i].name);
		ck_assert_msg(d[i].help && *d[i].help, "%s has no HELP", d[i].name);
		ck_assert_msg(!strchr(d[i].help, '\n'), "%s", d[i].name);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(d[i].name, d[j].name),
				      "%s listed twice", d[i].name);
		if (d[i].type == PROM_HISTOGRAM) {
			/* Its _bucket/_sum/_count must not clash. */
			size_t l = strlen(d[i].name);
			for (size_t j = 0; j < n; j++)
				ck_assert_msg(strncmp(d[j].name, d[i].name, l) ||
						      (strcmp(d[j].name + l, "_sum") &&
						       strcmp(d[j].name + l, "_count") &&
						       strcmp(d[j].name + l, "_bucket")),
					      "%s clashes with %s", d[j].name,
					      d[i].name);
		}
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("promfile");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, test_families_whole_output);
	tcase_add_test(tc, test_name_buffer_reused);
	tcase_add_test(tc, test_add_same);
	tcase_add_test(tc, test_escaping);
	tcase_add_loop_test(tc, test_long_values, 0,
			    sizeof long_lens / sizeof long_lens[0]);
	tcase_add_test(tc, test_histogram_output);
	tcase_add_test(tc, test_rejects);
	tcase_add_test(tc, test_many_series_no_false_duplicates);
	tcase_add_test(tc, test_value_roundtrip);
	tcase_add_test(tc, test_value_fast_path);
	tcase_add_test(tc, test_retain);
	tcase_add_test(tc, test_table_consistent);
	suite_add_tcase(s, tc);
	TCase *io = tcase_create("commit");
	tcase_add_unchecked_fixture(io, tmp_setup, tmp_teardown);
	tcase_add_test(io, test_commit_atomic);
	tcase_add_test(io, test_temp_name_hidden);
	tcase_add_test(io, test_prefix);
	suite_add_tcase(s, io);
	return tu_run(s);
}
