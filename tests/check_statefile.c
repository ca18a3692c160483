/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "statefile.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/check_statefile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

START_TEST(test_roundtrip_escaped)
{
	struct statefile *st;
	char err[512];
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_ptr_null(statefile_reset_reason(st));
	ck_assert_int_eq(statefile_set(st, "plain", "v"), 0);
	ck_assert_int_eq(statefile_set(st, "sni.a b%c\n", "x y\tz%"), 0);
	ck_assert_int_eq(statefile_set(st, "empty", ""), 0);
	ck_assert_int_eq(statefile_set_u64(st, "n", 18446744073709551615ULL), 0);
	ck_assert_int_eq(statefile_set_double(st, "d", 0.1), 0);
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	statefile_close(st);

	char *text = read_file("state");
	ck_assert_str_eq(text, "# promsnap-state tool=t version=1\n"
			       "d 0.1\n"
			       "empty \n"
			       "n 18446744073709551615\n"
			       "plain v\n"
			       "sni.a%20b%25c%0A x%20y%09z%25\n");
	free(text);

	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_str_eq(statefile_get(st, "sni.a b%c\n"), "x y\tz%");
	ck_assert_str_eq(statefile_get(st, "empty"), "");
	uint64_t n = 0;
	double d = 0;
	ck_assert_int_eq(statefile_get_u64(st, "n", &n), 0);
	ck_assert_uint_eq(n, 18446744073709551615ULL);
	ck_assert_int_eq(statefile_get_double(st, "d", &d), 0);
	ck_assert_double_eq(d, 0.1);
	ck_assert_int_eq(statefile_get_u64(st, "plain", &n), -1);
	ck_assert_uint_eq(n, 18446744073709551615ULL);
	ck_assert_uint_eq(statefile_count(st), 5);
	statefile_close(st);
}
END_TEST

static const struct {
	const char *text, *why;
} corrupt[] = {
	{"garbage\n", "line 1: expected header"},
	{"# promsnap-state tool=other version=1\n", "line 1"},
	{"# promsnap-state tool=t version=2\n", "line 1"},
	{"# promsnap-state tool=t version=1\nnospace\n", "line 2: expected"},
	{"# promsnap-state tool=t version=1\na 1\na 2\n", "line 3: duplicate"},
	{"# promsnap-state tool=t version=1\na 1", "line 2: truncated"},
	{"# promsnap-state tool=t version=1\na%zz 1\n", "line 2"},
	{"# promsnap-state tool=t version=1\na%00 1\n", "line 2"},
	{"# promsnap-state tool=t version=1\na b c\n", "line 2"},
	{"", "line 1"},
};

START_TEST(test_corrupt_moved_aside)
{
	struct statefile *st;
	char err[512];
	write_file("state", corrupt[_i].text);
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	const char *why = statefile_reset_reason(st);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, corrupt[_i].why), "%s", why);
	ck_assert_ptr_nonnull(strstr(why, "state.corrupt."));
	ck_assert_uint_eq(statefile_count(st), 0);
	statefile_close(st);
	/* The bad file is kept for the operator, byte for byte. */
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "state.corrupt.", 14)) {
			char *text = read_file(e->d_name);
			ck_assert_str_eq(text, corrupt[_i].text);
			free(text);
			found++;
		}
	}
	closedir(d);
	ck_assert_int_eq(found, 1);
	ck_assert_ptr_null(read_file("state"));
}
END_TEST

START_TEST(test_lock_held_and_wait)
{
	struct statefile *st;
	char err[512];
	int ready[2], release[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(release), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct statefile *child;
		char e[512], c;
		close(ready[0]);
		close(release[1]);
		if (statefile_open(&child, dir, "t", 0, e, sizeof e) < 0)
			_exit(2);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		/* Hold the lock until the parent closes its end. */
		while (read(release[0], &c, 1) > 0)
			;
		struct timespec ts = {0, 300 * 1000 * 1000};
		nanosleep(&ts, NULL);
		statefile_close(child);
		_exit(0);
	}
	char c;
	close(ready[1]);
	close(release[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	ck_assert_ptr_nonnull(strstr(err, "another run holds the lock"));
	/* A short wait is not enough while the holder keeps it. */
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0.1, err, sizeof err),
			 -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	close(release[1]);
	/* With --lock-wait the second run gets the lock once it is freed. */
	ck_assert_int_eq(statefile_open(&st, dir, "t", 10, err, sizeof err), 0);
	statefile_close(st);
	int status;
	waitpid(pid, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(ready[0]);
}
END_TEST

START_TEST(test_lock_released_on_kill)
{
	struct statefile *st;
	char err[512];
	pid_t pid = fork();
	if (pid == 0) {
		struct statefile *child;
		char e[512];
		if (statefile_open(&child, dir, "t", 0, e, sizeof e) < 0)
			_exit(2);
		pause();
		_exit(0);
	}
	/* Poll until the child holds the lock, then kill it. */
	char lock[128];
	snprintf(lock, sizeof lock, "%s/lock", dir);
	for (int i = 0; i < 500; i++) {
		struct statefile *probe;
		if (statefile_open(&probe, dir, "t", 0, err, sizeof err) < 0)
			break;
		statefile_close(probe);
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	statefile_close(st);
}
END_TEST

START_TEST(test_dir_created_0750)
{
	struct statefile *st;
	char err[512], sub[128];
	struct stat sb;
	snprintf(sub, sizeof sub, "%s/a/b", dir);
	umask(022);
	ck_assert_int_eq(statefile_open(&st, sub, "t", 0, err, sizeof err), 0);
	ck_assert_int_eq(stat(sub, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0750);
	ck_assert_str_eq(statefile_dir(st), sub);
	statefile_close(st);
	/* A path under a regular file cannot be made. */
	write_file("f", "x");
	snprintf(sub, sizeof sub, "%s/f/x", dir);
	ck_assert_int_eq(statefile_open(&st, sub, "t", 0, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot create state directory"));
}
END_TEST

static int collect(const char *key, const char *value, void *arg)
{
	struct statefile *st = arg;
	/* Deleting while walking must be safe. */
	statefile_del(st, key);
	(void)value;
	return 0;
}

START_TEST(test_del_and_foreach)
{
	struct statefile *st = statefile_new_memory("t");
	char k[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "%c.%d", i % 2 ? 'a' : 'b', i);
		ck_assert_int_eq(statefile_setf(st, k, "%d", i), 0);
	}
	ck_assert_int_eq(statefile_foreach(st, "a.", collect, st), 0);
	ck_assert_uint_eq(statefile_count(st), 500);
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof k, "%c.%d", i % 2 ? 'a' : 'b', i);
		if (i % 2) {
			ck_assert_ptr_null(statefile_get(st, k));
		} else {
			ck_assert_ptr_nonnull(statefile_get(st, k));
			ck_assert_int_eq(atoi(statefile_get(st, k)), i);
		}
	}
	char err[64];
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), -1);
	statefile_clear(st);
	ck_assert_uint_eq(statefile_count(st), 0);
	ck_assert_int_eq(statefile_set(st, "", "x"), -1);
	statefile_close(st);
}
END_TEST

START_TEST(test_lock_outlasts_close)
{
	struct statefile *st;
	char err[512], path[128];
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	int held = statefile_lock_dup(st);
	ck_assert_int_ge(held, 0);
	statefile_close(st);
	/* Another open file description (as another run has) is refused
	 * while the duplicate is open, and gets the lock after. */
	snprintf(path, sizeof path, "%s/lock", dir);
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	ck_assert_int_eq(errno, EWOULDBLOCK);
	close(held);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	struct statefile *m = statefile_new_memory("t");
	ck_assert_int_eq(statefile_lock_dup(m), -1);
	statefile_close(m);
}
END_TEST

static int exists(const char *name)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static char *side(struct statefile *st, const char *name)
{
	char *data, err[512];
	size_t len;
	ck_assert_int_eq(statefile_side_get(st, name, &data, &len, err,
					    sizeof err),
			 0);
	if (data)
		ck_assert_uint_eq(len, strlen(data));
	return data;
}

/* Side files: written under a new generation, committed by the state's
 * rename, the superseded one removed only then. */
START_TEST(test_side_commit)
{
	struct statefile *st;
	char err[512];
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_ptr_null(side(st, "big"));
	ck_assert_int_eq(statefile_side_unchanged(st, "big"), 0);
	ck_assert_int_eq(statefile_side_put(st, "big", "one\n", 4, err,
					    sizeof err),
			 0);
	ck_assert(exists("big.1"));
	ck_assert_int_eq(statefile_side_unchanged(st, "big"), 1);
	char *v = side(st, "big");
	ck_assert_str_eq(v, "one\n");
	free(v);
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	statefile_close(st);
	ck_assert(exists("big.1"));

	/* A run that puts and commits: the old generation goes. */
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_int_eq(statefile_side_unchanged(st, "big"), 1);
	ck_assert_int_eq(statefile_side_put(st, "big", "two\n", 4, err,
					    sizeof err),
			 0);
	ck_assert(exists("big.1") && exists("big.2"));
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	ck_assert(!exists("big.1") && exists("big.2"));
	statefile_close(st);

	/* A run that puts but does not commit (it failed, or crashed before
	 * the state's rename): the state on disk still names generation 2,
	 * and what the run wrote is removed. */
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_int_eq(statefile_side_put(st, "big", "three\n", 6, err,
					    sizeof err),
			 0);
	ck_assert(exists("big.3"));
	statefile_close(st);
	ck_assert(!exists("big.3") && exists("big.2"));

	/* A reset (clear) and a new side file: never the committed name. */
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	v = side(st, "big");
	ck_assert_str_eq(v, "two\n");
	free(v);
	statefile_clear(st);
	ck_assert_int_eq(statefile_side_put(st, "big", "four\n", 5, err,
					    sizeof err),
			 0);
	ck_assert(exists("big.3"));
	char *two = read_file("big.2");
	ck_assert_str_eq(two, "two\n");
	free(two);
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	ck_assert(!exists("big.2") && exists("big.3"));
	/* Left by a crash between a commit and the removal: swept by the
	 * next commit that writes a side file.  Other names stay. */
	write_file("big.9", "orphan\n");
	write_file("big.3.bak", "keep\n");
	write_file("big.x", "keep\n");
	statefile_close(st);
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	ck_assert(exists("big.9")); /* nothing written: no sweep */
	ck_assert_int_eq(statefile_side_put(st, "big", "five\n", 5, err,
					    sizeof err),
			 0);
	ck_assert(exists("big.4"));
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	ck_assert(!exists("big.9") && !exists("big.3") && exists("big.4"));
	ck_assert(exists("big.3.bak") && exists("big.x"));
	/* A side file the state no longer names at all goes too. */
	ck_assert_int_eq(statefile_del(st, "side/big"), 0);
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	ck_assert(!exists("big.4"));
	statefile_close(st);
}
END_TEST

START_TEST(test_side_edited_or_missing)
{
	struct statefile *st;
	char err[512], *data;
	size_t len;
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_int_eq(statefile_side_put(st, "big", "one\n", 4, err,
					    sizeof err),
			 0);
	ck_assert_int_eq(statefile_commit(st, err, sizeof err), 0);
	statefile_close(st);

	/* Replaced by an editor: not the file written, but readable. */
	char path[128];
	snprintf(path, sizeof path, "%s/big.1", dir);
	unlink(path);
	write_file("big.1", "edited\n");
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_int_eq(statefile_side_unchanged(st, "big"), 0);
	data = side(st, "big");
	ck_assert_str_eq(data, "edited\n");
	free(data);
	statefile_close(st);

	/* Gone: an error that names the file. */
	unlink(path);
	ck_assert_int_eq(statefile_open(&st, dir, "t", 0, err, sizeof err), 0);
	ck_assert_int_eq(statefile_side_unchanged(st, "big"), 0);
	ck_assert_int_eq(statefile_side_get(st, "big", &data, &len, err,
					    sizeof err),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "big.1: cannot read"));
	statefile_set_reset_reason(st, "big.1 gone");
	ck_assert_str_eq(statefile_reset_reason(st), "big.1 gone");
	/* Names that could leave the directory are refused. */
	ck_assert_int_eq(statefile_side_put(st, "../x", "a", 1, err,
					    sizeof err),
			 -1);
	ck_assert_int_eq(statefile_side_put(st, "", "a", 1, err, sizeof err),
			 -1);
	statefile_close(st);

	struct statefile *m = statefile_new_memory("t");
	ck_assert_int_eq(statefile_side_put(m, "big", "a", 1, err, sizeof err),
			 -1);
	statefile_close(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("statefile");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip_escaped);
	tcase_add_loop_test(tc, test_corrupt_moved_aside, 0,
			    sizeof corrupt / sizeof corrupt[0]);
	tcase_add_test(tc, test_lock_held_and_wait);
	tcase_add_test(tc, test_lock_released_on_kill);
	tcase_add_test(tc, test_lock_outlasts_close);
	tcase_add_test(tc, test_dir_created_0750);
	tcase_add_test(tc, test_del_and_foreach);
	tcase_add_test(tc, test_side_commit);
	tcase_add_test(tc, test_side_edited_or_missing);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
