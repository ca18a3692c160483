/* SPDX-License-Identifier: MIT */
#include "promfile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"

#define PROMFILE_MAX_LABELS 32

/* A growable byte buffer. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_grow(struct sbuf *b, size_t need)
{
	if (b->oom || b->len + need + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	sb_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

struct sample {
	char *labels; /* rendered `a="x",b="y"`, may be "" */
	double value;
	struct histogram *h;
};

struct family {
	const struct metricdef *def;
	struct sample *s;
	size_t n, cap;
};

struct promfile {
	struct family *fam;
	size_t nfam, capfam;
	size_t series;
	/* Open-addressing set of "name\0labels" hashes -> detect duplicates. */
	struct seen {
		uint64_t hash;
		uint32_t fi, idx;
	} *seen;
	size_t nseen, capseen;
	/* Labels are built here, reused across adds, then copied out at
	 * their exact length: one malloc per sample, no regrowth. */
	struct sbuf scratch;
	char err[256];
};

struct promfile *promfile_new(void)
{
	return calloc(1, sizeof(struct promfile));
}

void promfile_free(struct promfile *pf)
{
	if (!pf)
		return;
	for (size_t i = 0; i < pf->nfam; i++) {
		for (size_t j = 0; j < pf->fam[i].n; j++) {
			free(pf->fam[i].s[j].labels);
			free(pf->fam[i].s[j].h);
		}
		free(pf->fam[i].s);
	}
	free(pf->fam);
	free(pf->seen);
	free(pf->scratch.p);
	free(pf);
}

const char *promfile_error(const struct promfile *pf)
{
	return pf->err;
}

size_t promfile_series(const struct promfile *pf)
{
	return pf->series;
}

static int pf_fail(struct promfile *pf, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int pf_fail(struct promfile *pf, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pf->err, sizeof pf->err, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

int prom_valid_metric_name(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == ':'))
			return 0;
	}
	return 1;
}

int prom_valid_label_name(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9') ||
	    (s[0] == '_' && s[1] == '_'))
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

void prom_format_value(double v, char *buf, size_t len)
{
	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* Counters are mostly whole numbers: print those directly. */
	if (fabs(v) < 1e15 && v == (double)(long long)v && len >= 18) {
		/* Digits by hand: snprintf dominates files of many samples. */
		long long x = (long long)v;
		unsigned long long u =
			x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
		char tmp[24];
		size_t n = 0, o = 0;
		do {
			tmp[n++] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
		if (x < 0)
			buf[o++] = '-';
		while (n)
			buf[o++] = tmp[--n];
		buf[o] = 0;
		return;
	}
	/* Shortest of %.15g..%.17g that reads back as the same double. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values beyond Unicode. */
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) ||
	    (need == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

static void escape_label_value(struct sbuf *b, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t n = strlen(v);

	for (size_t i = 0; i < n;) {
		/* Copy the run of plain ASCII in one go: most values are
		 * nothing but that. */
		size_t run = i;
		while (run < n && s[run] < 0x80 && s[run] != '\\' &&
		       s[run] != '"' && s[run] != '\n')
			run++;
		if (run > i) {
			sb_put(b, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		if (c == '\\') {
			sb_put(b, "\\\\", 2);
			i++;
		} else if (c == '"') {
			sb_put(b, "\\\"", 2);
			i++;
		} else if (c == '\n') {
			sb_put(b, "\\n", 2);
			i++;
		} else {
			size_t k = utf8_len(s + i, n - i);
			if (k == 0) {
				sb_put(b, "\xef\xbf\xbd", 3);
				i++;
			} else {
				sb_put(b, (const char *)s + i, k);
				i += k;
			}
		}
	}
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct family *family_get(struct promfile *pf, const char *name,
				 enum prom_type want_hist)
{
	const struct metricdef *def = NULL;
	struct family *found = NULL;

	for (size_t i = pf->nfam; i-- > 0;)
		if (!strcmp(pf->fam[i].def->name, name)) {
			found = &pf->fam[i];
			def = found->def;
			break;
		}
	if (!def)
		def = metricdef_find(name);
	if (!def) {
		pf_fail(pf, EINVAL,
			"metric %s is not in the suite's table "
			"(lib/metrics/*.def)",
			prom_valid_metric_name(name) ? name : "(invalid name)");
		return NULL;
	}
	if ((def->type == PROM_HISTOGRAM) != (want_hist == PROM_HISTOGRAM)) {
		pf_fail(pf, EINVAL, "metric %s is a %s", name,
			prom_type_name(def->type));
		return NULL;
	}
	if (found)
		return found;
	if (pf->nfam == pf->capfam) {
		size_t cap = pf->capfam ? pf->capfam * 2 : 16;
		struct family *f = realloc(pf->fam, cap * sizeof *f);
		if (!f) {
			pf_fail(pf, ENOMEM, "out of memory");
			return NULL;
		}
		/* The duplicate set stores indexes, not pointers, so
		 * moving the array is safe. */
		pf->fam = f;
		pf->capfam = cap;
	}
	memset(&pf->fam[pf->nfam], 0, sizeof pf->fam[0]);
	pf->fam[pf->nfam].def = def;
	return &pf->fam[pf->nfam++];
}

/* Returns 1 if the series already exists, 0 after inserting it, -1. */
static int seen_insert(struct promfile *pf, size_t fi, const char *labels,
		       size_t si)
{
	uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ULL,
				 pf->fam[fi].def->name),
			   labels) |
		     1;
	if ((pf->nseen + 1) * 2 > pf->capseen) {
		size_t cap = pf->capseen ? pf->capseen * 2 : 64;
		struct seen *t = calloc(cap, sizeof *t);
		if (!t)
			return -1;
		for (size_t i = 0; i < pf->capseen; i++) {
			if (!pf->seen[i].hash)
				continue;
			size_t j = pf->seen[i].hash & (cap - 1);
			while (t[j].hash)
				j = (j + 1) & (cap - 1);
			t[j] = pf->seen[i];
		}
		free(pf->seen);
		pf->seen = t;
		pf->capseen = cap;
	}
	for (size_t j = h & (pf->capseen - 1);;
	     j = (j + 1) & (pf->capseen - 1)) {
		struct seen *e = &pf->seen[j];
		if (!e->hash) {
			e->hash = h;
			e->fi = (uint32_t)fi;
			e->idx = (uint32_t)si;
			pf->nseen++;
			return 0;
		}
		if (e->hash == h && e->fi == fi &&
		    !strcmp(pf->fam[fi].s[e->idx].labels, labels))
			return 1;
	}
}

static int add_sample(struct promfile *pf, const char *name, double value,
		      const struct histogram *h, const char *const *labels)
{
	struct sbuf *lb = &pf->scratch;
	struct family *f;
	size_t nl = 0;
	char *lp;

	f = family_get(pf, name, h ? PROM_HISTOGRAM : PROM_GAUGE);
	if (!f)
		return -1;
	if (f->def->type == PROM_INFO)
		value = 1;
	lb->len = 0;
	lb->oom = 0;
	for (size_t i = 0; labels && labels[i]; i += 2) {
		const char *ln = labels[i], *lv = labels[i + 1];
		if (!lv)
			return pf_fail(pf, EINVAL,
				       "%s: label %s has no value", name, ln);
		if (!prom_valid_label_name(ln) || (h && !strcmp(ln, "le")))
			return pf_fail(pf, EINVAL, "%s: invalid label name",
				       name);
		for (size_t j = 0; j < i; j += 2)
			if (!strcmp(labels[j], ln))
				return pf_fail(pf, EINVAL,
					       "%s: label %s given twice", name,
					       ln);
		if (++nl > PROMFILE_MAX_LABELS)
			return pf_fail(pf, EINVAL, "%s: too many labels",
				       name);
		if (i)
			sb_put(lb, ",", 1);
		sb_puts(lb, ln);
		sb_put(lb, "=\"", 2);
		escape_label_value(lb, lv);
		sb_put(lb, "\"", 1);
	}
	if (lb->oom)
		return pf_fail(pf, ENOMEM, "out of memory");
	lp = malloc(lb->len + 1);
	if (!lp)
		return pf_fail(pf, ENOMEM, "out of memory");
	if (lb->len)
		memcpy(lp, lb->p, lb->len);
	lp[lb->len] = 0;
	if (f->n >= UINT32_MAX - 1) {
		free(lp);
		return pf_fail(pf, E2BIG, "%s: too many samples", name);
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct sample *s = realloc(f->s, cap * sizeof *s);
		if (!s) {
			free(lp);
			return pf_fail(pf, ENOMEM, "out of memory");
		}
		f->s = s;
		f->cap = cap;
	}
	size_t fi = (size_t)(f - pf->fam);
	/* Store the sample before the duplicate check so the set can
	 * compare against it; roll back on a duplicate. */
	f->s[f->n].labels = lp;
	f->s[f->n].value = value;
	f->s[f->n].h = NULL;
	int dup = seen_insert(pf, fi, lp, f->n);
	if (dup != 0) {
		if (dup < 0)
			pf_fail(pf, ENOMEM, "out of memory");
		else
			pf_fail(pf, EEXIST, "%s{%.150s} added twice", name,
				lp);
		free(lp);
		return -1;
	}
	if (h) {
		f->s[f->n].h = malloc(sizeof *h);
		if (!f->s[f->n].h)
			return pf_fail(pf, ENOMEM, "out of memory");
		*f->s[f->n].h = *h;
		pf->series += h->n + 3;
	} else {
		pf->series++;
	}
	f->n++;
	return 0;
}

#define COLLECT_LABELS(last, arr)                                              \
	do {                                                                   \
		va_list ap;                                                    \
		size_t k = 0;                                                  \
		const char *p;                                                 \
		va_start(ap, last);                                            \
		while ((p = va_arg(ap, const char *)) != NULL &&              \
		       k < 2 * PROMFILE_MAX_LABELS + 2)                        \
			arr[k++] = p;                                          \
		va_end(ap);                                                    \
		arr[k] = NULL;                                                 \
	} while (0)

int promfile_add(struct promfile *pf, const char *name, double value, ...)
{
	const char *labels[2 * PROMFILE_MAX_LABELS + 3];
	COLLECT_LABELS(value, labels);
	return add_sample(pf, name, value, NULL, labels);
}

int promfile_addv(struct promfile *pf, const char *name, double value,
		  const char *const *labels)
{
	return add_sample(pf, name, value, NULL, labels);
}

int promfile_add_histogram(struct promfile *pf, const char *name,
			   const struct histogram *h, ...)
{
	const char *labels[2 * PROMFILE_MAX_LABELS + 3];
	COLLECT_LABELS(h, labels);
	return promfile_add_histogramv(pf, name, h, labels);
}

int promfile_add_histogramv(struct promfile *pf, const char *name,
			    const struct histogram *h,
			    const char *const *labels)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < h->n; i++)
		total += h->bucket[i];
	if (h->n == 0 || h->n > HISTOGRAM_MAX_BUCKETS || total > h->count)
		return pf_fail(pf, EINVAL, "%s: inconsistent histogram",
			       name);
	return add_sample(pf, name, 0, h, labels);
}

int promfile_retain(struct promfile *pf, const char *const *keep)
{
	size_t out = 0;

	for (size_t i = 0; i < pf->nfam; i++) {
		struct family *f = &pf->fam[i];
		int kept = 0;
		for (size_t k = 0; keep && keep[k]; k++)
			kept |= !strcmp(keep[k], f->def->name);
		if (kept) {
			pf->fam[out++] = *f;
			continue;
		}
		for (size_t j = 0; j < f->n; j++) {
			pf->series -= f->s[j].h ? f->s[j].h->n + 3 : 1;
			free(f->s[j].labels);
			free(f->s[j].h);
		}
		free(f->s);
	}
	pf->nfam = out;
	/* Family indexes moved: rebuild the duplicate set. */
	free(pf->seen);
	pf->seen = NULL;
	pf->nseen = pf->capseen = 0;
	for (size_t i = 0; i < pf->nfam; i++)
		for (size_t j = 0; j < pf->fam[i].n; j++)
			if (seen_insert(pf, i, pf->fam[i].s[j].labels, j) < 0)
				return pf_fail(pf, ENOMEM, "out of memory");
	return 0;
}

static int cmp_family(const void *a, const void *b)
{
	const struct family *x = a, *y = b;
	return strcmp(x->def->name, y->def->name);
}

static void put_sample(FILE *f, const char *name, const char *suffix,
		       const char *labels, const char *extra, double v)
{
	char num[64];
	fputs(name, f);
	fputs(suffix, f);
	if (*labels || extra) {
		putc('{', f);
		fputs(labels, f);
		if (extra) {
			if (*labels)
				putc(',', f);
			fputs(extra, f);
		}
		putc('}', f);
	}
	putc(' ', f);
	prom_format_value(v, num, sizeof num);
	fputs(num, f);
	putc('\n', f);
}

/* Writes the exposition to f; errors show in ferror(f). */
static int render_to(const struct promfile *pf, FILE *f)
{
	/* Sort a shallow copy, not the families themselves: the duplicate
	 * set stores family indexes. */
	struct family *tmp = malloc((pf->nfam ? pf->nfam : 1) * sizeof *tmp);

	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	if (pf->nfam)
		memcpy(tmp, pf->fam, pf->nfam * sizeof *tmp);
	qsort(tmp, pf->nfam, sizeof *tmp, cmp_family);
	char les_buf[HISTOGRAM_MAX_BUCKETS][80];
	double les_of[HISTOGRAM_MAX_BUCKETS];
	char(*les)[80] = NULL;
	unsigned les_n = 0;
	for (size_t i = 0; i < pf->nfam; i++) {
		const struct family *fam = &tmp[i];
		const char *name = fam->def->name;
		fprintf(f, "# HELP %s ", name);
		/* HELP text escapes backslash and newline. */
		for (const char *p = fam->def->help; *p; p++) {
			if (*p == '\\')
				fputs("\\\\", f);
			else if (*p == '\n')
				fputs("\\n", f);
			else
				putc(*p, f);
		}
		fprintf(f, "\n# TYPE %s %s\n", name,
			prom_type_name(fam->def->type));
		for (size_t j = 0; j < fam->n; j++) {
			const struct sample *s = &fam->s[j];
			if (!s->h) {
				put_sample(f, name, "", s->labels, NULL,
					   s->value);
				continue;
			}
			uint64_t cum = 0;
			/* The samples of one family nearly always share their
			 * bounds: format them once, not once per sample. */
			if (!les || les_n != s->h->n ||
			    memcmp(les_of, s->h->le, les_n * sizeof(double))) {
				les_n = s->h->n;
				memcpy(les_of, s->h->le, les_n * sizeof(double));
				for (unsigned k = 0; k < les_n; k++) {
					char num[64];
					prom_format_value(s->h->le[k], num,
							  sizeof num);
					snprintf(les_buf[k], sizeof les_buf[k],
						 "le=\"%s\"", num);
				}
				les = les_buf;
			}
			for (unsigned k = 0; k < s->h->n; k++) {
				cum += s->h->bucket[k];
				put_sample(f, name, "_bucket", s->labels,
					   les[k], (double)cum);
			}
			put_sample(f, name, "_bucket", s->labels,
				   "le=\"+Inf\"", (double)s->h->count);
			put_sample(f, name, "_sum", s->labels, NULL,
				   s->h->sum);
			put_sample(f, name, "_count", s->labels, NULL,
				   (double)s->h->count);
		}
	}
	free(tmp);
	return ferror(f) ? -1 : 0;
}

int promfile_render(const struct promfile *pf, char **buf, size_t *len)
{
	FILE *f;
	*buf = NULL;
	f = open_memstream(buf, len);
	if (!f)
		return -1;
	int r = render_to(pf, f);
	if (fclose(f) != 0 || r < 0) {
		free(*buf);
		*buf = NULL;
		if (!errno)
			errno = ENOMEM;
		return -1;
	}
	return 0;
}

int promfile_write_stream(const struct promfile *pf, FILE *f)
{
	errno = 0;
	if (render_to(pf, f) < 0 || fflush(f) != 0) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

static int fill_promfile(FILE *f, void *arg)
{
	return render_to(arg, f);
}

int promfile_commit(const struct promfile *pf, const char *path, char *err,
		    size_t errlen)
{
	/* Streamed into the temp file: a large file needs no second copy
	 * in memory. */
	return atomicfile_write_fn(path, 0644, fill_promfile, (void *)pf, err,
				   errlen);
}
