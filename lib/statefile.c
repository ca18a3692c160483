/* SPDX-License-Identifier: MIT */
#include "statefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "numtext.h"
#include "parse_num.h"
#include "promfile.h"
#include "readfile.h"

struct entry {
	char *key, *value;
};

/* A side file: <dir>/<name>.<gen>. */
struct side_ref {
	char name[64];
	uint64_t gen;
};

struct statefile {
	char tool[64];
	char dir[4096];
	int lockfd;
	int in_memory;
	struct entry *tab; /* open addressing; key NULL = empty */
	size_t n, cap;
	char reset_reason[512];
	/* The side files the state on disk names (removed by the commit
	 * that stops naming them), and those written since (removed at
	 * close unless a commit named them). */
	struct side_ref committed[STATEFILE_SIDE_MAX];
	struct side_ref written[STATEFILE_SIDE_MAX];
	size_t ncommitted, nwritten;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct entry *find_slot(const struct statefile *st, const char *key)
{
	size_t mask = st->cap - 1;
	for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
		struct entry *e = &st->tab[i];
		if (!e->key || !strcmp(e->key, key))
			return e;
	}
}

static int grow(struct statefile *st)
{
	size_t cap = st->cap ? st->cap * 2 : 64;
	struct entry *old = st->tab;
	size_t oldcap = st->cap;
	struct entry *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	st->tab = t;
	st->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find_slot(st, old[i].key) = old[i];
	free(old);
	return 0;
}

const char *statefile_get(const struct statefile *st, const char *key)
{
	if (!st->cap)
		return NULL;
	struct entry *e = find_slot(st, key);
	return e->key ? e->value : NULL;
}

int statefile_set(struct statefile *st, const char *key, const char *value)
{
	struct entry *e;
	char *v;

	if (!*key) {
		errno = EINVAL;
		return -1;
	}
	if ((st->n + 1) * 2 > st->cap && grow(st) < 0)
		return -1;
	v = strdup(value);
	if (!v)
		return -1;
	e = find_slot(st, key);
	if (e->key) {
		free(e->value);
		e->value = v;
		return 0;
	}
	e->key = strdup(key);
	if (!e->key) {
		free(v);
		return -1;
	}
	e->value = v;
	st->n++;
	return 0;
}

int statefile_setf(struct statefile *st, const char *key, const char *fmt,
		   ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof buf) {
		errno = ENOSPC;
		return -1;
	}
	return statefile_set(st, key, buf);
}

int statefile_del(struct statefile *st, const char *key)
{
	if (!st->cap)
		return 0;
	struct entry *e = find_slot(st, key);
	if (!e->key)
		return 0;
	free(e->key);
	free(e->value);
	e->key = e->value = NULL;
	st->n--;
	/* Re-insert the rest of the cluster so lookups stay correct. */
	size_t mask = st->cap - 1;
	for (size_t i = ((size_t)(e - st->tab) + 1) & mask; st->tab[i].key;
	     i = (i + 1) & mask) {
		struct entry moved = st->tab[i];
		st->tab[i].key = st->tab[i].value = NULL;
		*find_slot(st, moved.key) = moved;
	}
	return 0;
}

void statefile_clear(struct statefile *st)
{
	for (size_t i = 0; i < st->cap; i++) {
		free(st->tab[i].key);
		free(st->tab[i].value);
	}
	free(st->tab);
	st->tab = NULL;
	st->cap = st->n = 0;
}

size_t statefile_count(const struct statefile *st)
{
	return st->n;
}

int statefile_get_u64(const struct statefile *st, const char *key,
		      uint64_t *out)
{
	const char *v = statefile_get(st, key);
	char *end;
	if (!v || !*v || *v == '-')
		return -1;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (*end || errno)
		return -1;
	*out = x;
	return 0;
}

int statefile_get_double(const struct statefile *st, const char *key,
			 double *out)
{
	const char *v = statefile_get(st, key);
	char *end;
	if (!v || !*v)
		return -1;
	double x = numtext_strtod(v, &end);
	if (*end)
		return -1;
	*out = x;
	return 0;
}

int statefile_set_u64(struct statefile *st, const char *key, uint64_t v)
{
	return statefile_setf(st, key, "%" PRIu64, v);
}

/* The shortest text that reads back as v (prom_format_value): most
 * values a tool keeps are short decimals, and %.17g wrote 0.1 as
 * 0.10000000000000001, slowly, for strtod to read back slowly. */
int statefile_set_double(struct statefile *st, const char *key, double v)
{
	char buf[32];

	prom_format_value(v, buf, sizeof buf);
	return statefile_set(st, key, buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The keys that start with prefix, sorted, NULL-terminated; *count of
 * them.  copy: the strings are copied, into the same allocation as the
 * array (one free), for a caller that sets or deletes entries while it
 * walks them, which moves or frees the table's own; otherwise they point
 * into the table.  Tools call this per target with prefixes that differ
 * from most keys in the first byte, hence the test before strncmp.
 */
static char **sorted_keys(const struct statefile *st, const char *prefix,
			  size_t *count, int copy)
{
	size_t plen = strlen(prefix), k = 0, bytes = 0;
	char **keys = malloc((st->n + 1) * sizeof *keys), **grown, *p;

	if (!keys)
		return NULL;
	for (size_t i = 0; i < st->cap && k < st->n; i++) {
		char *key = st->tab[i].key;

		if (!key || (plen && (key[0] != prefix[0] ||
				      strncmp(key, prefix, plen))))
			continue;
		keys[k++] = key;
		if (copy)
			bytes += strlen(key) + 1;
	}
	keys[k] = NULL;
	if (copy) {
		grown = realloc(keys, (k + 1) * sizeof *keys + bytes);
		if (!grown) {
			free(keys);
			return NULL;
		}
		keys = grown;
		p = (char *)(keys + k + 1);
		for (size_t i = 0; i < k; i++) {
			size_t n = strlen(keys[i]) + 1;

			keys[i] = memcpy(p, keys[i], n);
			p += n;
		}
	}
	qsort(keys, k, sizeof *keys, cmp_str);
	*count = k;
	return keys;
}

int statefile_foreach(struct statefile *st, const char *prefix,
		      int (*fn)(const char *key, const char *value, void *arg),
		      void *arg)
{
	size_t k;
	int r = 0;
	char **keys = sorted_keys(st, prefix, &k, 1);
	if (!keys)
		return -1;
	for (size_t i = 0; i < k && !r; i++) {
		const char *v = statefile_get(st, keys[i]);
		if (v)
			r = fn(keys[i], v, arg);
	}
	free(keys);
	return r;
}

/* --- text form --------------------------------------------------------- */

static int needs_escape(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '%';
}

/* s escaped into o, which has room for 3 * strlen(s); returns the end. */
static char *put_escaped(char *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (needs_escape(c)) {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	return o;
}

/*
 * Written straight into one buffer sized for the worst case (every byte
 * escaped), keys pointing into the table: the text form of a state of a
 * few hundred entries was a tenth of trace-once's own instructions
 * through a memstream and fwrite per run of plain bytes.
 */
int statefile_render(const struct statefile *st, char **buf, size_t *len)
{
	size_t k, cap;
	char **keys = sorted_keys(st, "", &k, 0);
	char *o;
	int n;

	if (!keys)
		return -1;
	cap = 64 + strlen(st->tool) + 32;
	for (size_t i = 0; i < k; i++)
		cap += 3 * (strlen(keys[i]) + strlen(statefile_get(st, keys[i]))) +
		       2;
	*buf = malloc(cap);
	if (!*buf) {
		free(keys);
		return -1;
	}
	n = snprintf(*buf, cap, "# promsnap-state tool=%s version=%d\n", st->tool,
		     STATEFILE_VERSION);
	o = *buf + n;
	for (size_t i = 0; i < k; i++) {
		o = put_escaped(o, keys[i]);
		*o++ = ' ';
		o = put_escaped(o, statefile_get(st, keys[i]));
		*o++ = '\n';
	}
	*o = 0;
	*len = (size_t)(o - *buf);
	free(keys);
	return 0;
}

/* Decode s[0..n) (escaped) into a malloc'd string; NULL if malformed. */
static char *unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n || (hi = parse_hex_digit(s[i + 1])) < 0 ||
			    (lo = parse_hex_digit(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (needs_escape(c) || c == 0) {
			goto bad;
		} else {
			*o++ = (char)c;
		}
	}
	*o = 0;
	return out;
bad:
	free(out);
	return NULL;
}

int statefile_parse(struct statefile *st, const char *text, size_t len,
		    char *err, size_t errlen)
{
	char header[128];
	const char *p = text, *end = text + len;
	size_t lineno = 1;

	snprintf(header, sizeof header, "# promsnap-state tool=%s version=%d",
		 st->tool, STATEFILE_VERSION);
	const char *nl = memchr(p, '\n', len);
	if (!nl || (size_t)(nl - p) != strlen(header) ||
	    memcmp(p, header, strlen(header))) {
		snprintf(err, errlen,
			 "line 1: expected header \"%s\" (another tool or "
			 "format version)",
			 header);
		errno = EINVAL;
		return -1;
	}
	p = nl + 1;
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			snprintf(err, errlen,
				 "line %zu: truncated (no final newline)",
				 lineno);
			errno = EINVAL;
			return -1;
		}
		const char *sp = memchr(p, ' ', (size_t)(nl - p));
		char *k = NULL, *v = NULL;
		if (sp && sp > p) {
			k = unescape(p, (size_t)(sp - p));
			v = unescape(sp + 1, (size_t)(nl - sp - 1));
		}
		if (!k || !v || statefile_get(st, k)) {
			snprintf(err, errlen, "line %zu: %s", lineno,
				 k && v ? "duplicate key"
					: "expected \"key value\"");
			free(k);
			free(v);
			errno = EINVAL;
			return -1;
		}
		int r = statefile_set(st, k, v);
		free(k);
		free(v);
		if (r < 0) {
			snprintf(err, errlen, "line %zu: out of memory",
				 lineno);
			return -1;
		}
		p = nl + 1;
	}
	return 0;
}

/* --- side files ---------------------------------------------------------- */

#define SIDE_PREFIX "side/"

struct side_val {
	uint64_t gen, len, ino, mtime_ns;
};

static int side_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof ((struct side_ref *)0)->name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_'))
			return 0;
	return 1;
}

static int side_parse(const char *s, struct side_val *v)
{
	char tail;
	return sscanf(s, "%" SCNu64 ",%" SCNu64 ",%" SCNu64 ",%" SCNu64 "%c",
		      &v->gen, &v->len, &v->ino, &v->mtime_ns, &tail) == 4 ?
		       0 :
		       -1;
}

/* 1 and *v if the state names a side file called name, 0 if not, -1 if
 * its value is malformed. */
static int side_lookup(const struct statefile *st, const char *name,
		       struct side_val *v)
{
	char key[128];
	snprintf(key, sizeof key, SIDE_PREFIX "%s", name);
	const char *s = statefile_get(st, key);
	if (!s)
		return 0;
	return side_parse(s, v) < 0 ? -1 : 1;
}

static void side_path(const struct statefile *st, const char *name,
		      uint64_t gen, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.%" PRIu64, st->dir, name, gen);
}

static uint64_t mtime_ns(const struct stat *sb)
{
	return (uint64_t)sb->st_mtim.tv_sec * 1000000000u +
	       (uint64_t)sb->st_mtim.tv_nsec;
}

/* Every side file the in-memory state names, into refs (at most max). */
static size_t side_named(const struct statefile *st, struct side_ref *refs,
			 size_t max)
{
	size_t k = 0, plen = strlen(SIDE_PREFIX);
	for (size_t i = 0; i < st->cap && k < max; i++) {
		const struct entry *e = &st->tab[i];
		struct side_val v;
		if (!e->key || strncmp(e->key, SIDE_PREFIX, plen) ||
		    !side_name_ok(e->key + plen) || side_parse(e->value, &v))
			continue;
		snprintf(refs[k].name, sizeof refs[k].name, "%s",
			 e->key + plen);
		refs[k++].gen = v.gen;
	}
	return k;
}

static int side_in(const struct side_ref *r, const struct side_ref *set,
		   size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].gen == r->gen && !strcmp(set[i].name, r->name))
			return 1;
	return 0;
}

static void side_unlink(const struct statefile *st, const struct side_ref *r)
{
	char path[4200];
	side_path(st, r->name, r->gen, path, sizeof path);
	unlink(path);
}

/* Remove <dir>/<name>.<digits> files of the named side files other than
 * the generations named: what a crash between a commit and the removal
 * of the superseded file left behind. */
static void side_sweep(const struct statefile *st,
		       const struct side_ref *named, size_t nnamed)
{
	DIR *d = opendir(st->dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		for (size_t i = 0; i < nnamed; i++) {
			size_t nl = strlen(named[i].name);
			const char *g = e->d_name + nl + 1;
			char *end;
			if (strncmp(e->d_name, named[i].name, nl) ||
			    e->d_name[nl] != '.' || *g < '0' || *g > '9')
				continue;
			struct side_ref r = {.gen = strtoull(g, &end, 10)};
			snprintf(r.name, sizeof r.name, "%s", named[i].name);
			if (*end == 0 && !side_in(&r, named, nnamed))
				side_unlink(st, &r);
		}
	}
	closedir(d);
}

/*
 * After a commit (committed 1): remove every side file the new state no
 * longer names, and remember the ones it names.  At close without one
 * (committed 0): remove what this run wrote that the state on disk does
 * not name.
 */
static void side_settle(struct statefile *st, int committed)
{
	struct side_ref named[STATEFILE_SIDE_MAX];
	size_t nnamed = committed ? side_named(st, named, STATEFILE_SIDE_MAX)
				  : 0;
	for (size_t i = 0; i < st->nwritten; i++) {
		const struct side_ref *r = &st->written[i];
		if (committed ? !side_in(r, named, nnamed)
			      : !side_in(r, st->committed, st->ncommitted))
			side_unlink(st, r);
	}
	if (committed && st->nwritten)
		side_sweep(st, named, nnamed);
	st->nwritten = 0;
	if (!committed)
		return;
	for (size_t i = 0; i < st->ncommitted; i++)
		if (!side_in(&st->committed[i], named, nnamed))
			side_unlink(st, &st->committed[i]);
	memcpy(st->committed, named, nnamed * sizeof named[0]);
	st->ncommitted = nnamed;
}

int statefile_side_put(struct statefile *st, const char *name,
		       const void *data, size_t len, char *err, size_t errlen)
{
	char path[4200];
	struct side_val v;
	struct stat sb;
	uint64_t gen = 0;

	if (st->in_memory || !side_name_ok(name) ||
	    st->nwritten >= STATEFILE_SIDE_MAX) {
		snprintf(err, errlen, "side file \"%s\": %s", name,
			 st->in_memory ? "state has no file"
				       : "bad name or too many");
		errno = EINVAL;
		return -1;
	}
	/* A generation no file on disk or named in any state has had, so
	 * the committed file is never overwritten before the commit. */
	if (side_lookup(st, name, &v) == 1)
		gen = v.gen;
	for (size_t i = 0; i < st->ncommitted; i++)
		if (!strcmp(st->committed[i].name, name) &&
		    st->committed[i].gen > gen)
			gen = st->committed[i].gen;
	for (size_t i = 0; i < st->nwritten; i++)
		if (!strcmp(st->written[i].name, name) &&
		    st->written[i].gen > gen)
			gen = st->written[i].gen;
	gen++;
	side_path(st, name, gen, path, sizeof path);
	if (atomicfile_write(path, data, len, 0640, err, errlen) < 0)
		return -1;
	snprintf(st->written[st->nwritten].name,
		 sizeof st->written[0].name, "%s", name);
	st->written[st->nwritten++].gen = gen;
	if (stat(path, &sb) < 0) {
		snprintf(err, errlen, "%s: cannot stat: %s", path,
			 strerror(errno));
		return -1;
	}
	char key[128];
	snprintf(key, sizeof key, SIDE_PREFIX "%s", name);
	if (statefile_setf(st, key,
			   "%" PRIu64 ",%zu,%" PRIu64 ",%" PRIu64, gen, len,
			   (uint64_t)sb.st_ino, mtime_ns(&sb)) < 0) {
		snprintf(err, errlen, "%s: %s", key, strerror(errno));
		return -1;
	}
	return 0;
}

int statefile_side_get(struct statefile *st, const char *name, char **data,
		       size_t *len, char *err, size_t errlen)
{
	char path[4200];
	struct side_val v;
	int r = side_lookup(st, name, &v);

	*data = NULL;
	*len = 0;
	if (r == 0)
		return 0;
	if (r < 0 || !side_name_ok(name)) {
		snprintf(err, errlen, "%s/state: " SIDE_PREFIX "%s: malformed",
			 st->dir, name);
		errno = EINVAL;
		return -1;
	}
	side_path(st, name, v.gen, path, sizeof path);
	if (readfile(path, (size_t)1 << 30, data, len) < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 errno == EFBIG ? "larger than 1 GiB"
					: strerror(errno));
		return -1;
	}
	return 0;
}

int statefile_side_unchanged(const struct statefile *st, const char *name)
{
	char path[4200];
	struct side_val v;
	struct stat sb;

	if (side_lookup(st, name, &v) != 1 || !side_name_ok(name))
		return 0;
	side_path(st, name, v.gen, path, sizeof path);
	return stat(path, &sb) == 0 && (uint64_t)sb.st_ino == v.ino &&
	       (uint64_t)sb.st_size == v.len && mtime_ns(&sb) == v.mtime_ns;
}

/* --- files and locking ------------------------------------------------- */

static double monotonic_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(dir);
	if (n >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dir, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

struct statefile *statefile_new_memory(const char *tool)
{
	struct statefile *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	snprintf(st->tool, sizeof st->tool, "%s", tool);
	st->lockfd = -1;
	st->in_memory = 1;
	return st;
}

static int load(struct statefile *st, char *err, size_t errlen)
{
	char path[4200], msg[256];
	char *buf = NULL;
	size_t got;

	snprintf(path, sizeof path, "%s/state", st->dir);
	if (readfile(path, (size_t)1 << 30, &buf, &got) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 errno == EFBIG ? "larger than 1 GiB"
					: strerror(errno));
		return -1;
	}
	if (statefile_parse(st, buf, got, msg, sizeof msg) < 0) {
		char aside[4300];
		statefile_clear(st);
		snprintf(aside, sizeof aside, "%s.corrupt.%lld", path,
			 (long long)time(NULL));
		if (rename(path, aside) < 0)
			snprintf(st->reset_reason, sizeof st->reset_reason,
				 "%s: %s; could not move it aside: %s", path,
				 msg, strerror(errno));
		else
			snprintf(st->reset_reason, sizeof st->reset_reason,
				 "%s: %s; moved to %s, starting fresh", path,
				 msg, aside);
	}
	free(buf);
	st->ncommitted = side_named(st, st->committed, STATEFILE_SIDE_MAX);
	return 0;
}

int statefile_open(struct statefile **out, const char *dir, const char *tool,
		   double lock_wait, char *err, size_t errlen)
{
	char path[4200];
	struct statefile *st;
	double deadline;

	*out = NULL;
	st = statefile_new_memory(tool);
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->in_memory = 0;
	if (strlen(dir) >= sizeof st->dir) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "%s: path too long", dir);
		goto fail;
	}
	strcpy(st->dir, dir);
	if (mkdir_p(dir, 0750) < 0) {
		snprintf(err, errlen, "%s: cannot create state directory: %s",
			 dir, strerror(errno));
		goto fail;
	}
	snprintf(path, sizeof path, "%s/lock", dir);
	st->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (st->lockfd < 0) {
		snprintf(err, errlen, "%s: cannot open lock file: %s", path,
			 strerror(errno));
		goto fail;
	}
	deadline = monotonic_now() + lock_wait;
	while (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "%s: cannot lock: %s", path,
				 strerror(errno));
			goto fail;
		}
		if (monotonic_now() >= deadline) {
			snprintf(err, errlen,
				 "%s: another run holds the lock%s", path,
				 lock_wait > 0 ? " (waited --lock-wait)"
					       : " (see --lock-wait)");
			errno = EWOULDBLOCK;
			goto fail;
		}
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (load(st, err, errlen) < 0)
		goto fail;
	*out = st;
	return 0;
fail:;
	int e = errno;
	statefile_close(st);
	errno = e;
	return -1;
}

int statefile_commit(struct statefile *st, char *err, size_t errlen)
{
	char path[4200], *buf;
	size_t len;
	int r;

	if (st->in_memory) {
		snprintf(err, errlen, "state has no file");
		errno = EINVAL;
		return -1;
	}
	if (statefile_render(st, &buf, &len) < 0) {
		snprintf(err, errlen, "%s/state: cannot render: %s", st->dir,
			 strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "%s/state", st->dir);
	r = atomicfile_write(path, buf, len, 0640, err, errlen);
	free(buf);
	if (r == 0)
		side_settle(st, 1);
	return r;
}

void statefile_close(struct statefile *st)
{
	if (!st)
		return;
	if (!st->in_memory)
		side_settle(st, 0);
	statefile_clear(st);
	if (st->lockfd >= 0)
		close(st->lockfd); /* closing releases the flock */
	free(st);
}

const char *statefile_reset_reason(const struct statefile *st)
{
	return st->reset_reason[0] ? st->reset_reason : NULL;
}

int statefile_lock_dup(const struct statefile *st)
{
	if (st->lockfd < 0) {
		errno = EBADF;
		return -1;
	}
	/* flock belongs to the open file description, which a dup shares. */
	return fcntl(st->lockfd, F_DUPFD_CLOEXEC, 3);
}

void statefile_set_reset_reason(struct statefile *st, const char *reason)
{
	snprintf(st->reset_reason, sizeof st->reset_reason, "%s", reason);
}

const char *statefile_dir(const struct statefile *st)
{
	return st->dir;
}
