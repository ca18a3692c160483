/* SPDX-License-Identifier: MIT */
#include "promfile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"

#define PROMFILE_MAX_LABELS 32

/*
 * Label sets live in an arena of large blocks, not in one malloc each: a
 * file of 30,000 samples otherwise spends more on malloc, free and their
 * per-chunk headers than on building the text.  Dropped families
 * (promfile_retain) leave their labels in the arena until promfile_free.
 */
#define ARENA_BLOCK (64 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	_Alignas(16) char data[];
};

static void *arena_alloc(struct arena_block **head, size_t n, size_t align)
{
	struct arena_block *b = *head;
	size_t off = 0;

	if (b)
		off = (b->used + align - 1) & ~(align - 1);
	if (!b || off + n > b->cap) {
		size_t cap = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;

		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = *head;
		b->used = 0;
		b->cap = cap;
		/* A big allocation gets a block of its own behind the
		 * current one, which keeps filling. */
		if (*head && cap != ARENA_BLOCK) {
			b->next = (*head)->next;
			(*head)->next = b;
		} else {
			*head = b;
		}
		off = 0;
	}
	b->used = off + n;
	return b->data + off;
}

static void arena_free(struct arena_block *b)
{
	while (b) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
}

struct sample {
	const char *labels; /* rendered `a="x",b="y"`, may be "" (arena) */
	union {
		double value;	     /* in a family of another type */
		struct histogram *h; /* in a histogram family (arena) */
	};
	uint32_t llen; /* strlen(labels) */
};

/* A family's set of label texts, to refuse a duplicate series:
 * open addressing, at most three quarters full.  A slot holds the upper
 * 32 bits of the text's hash (never 0: 0 is a free slot) and the sample's
 * index; 8 bytes a sample, where a set over the whole file keyed by
 * family and sample took 16 and had to grow as one. */
struct seen {
	uint32_t hash, idx;
};

struct family {
	const struct metricdef *def;
	struct sample *s;
	size_t n, cap;
	struct seen *seen;
	size_t capseen;
};

struct promfile {
	struct family *fam;
	size_t nfam, capfam;
	size_t series;
	/* Labels are built here, reused across adds, then copied out at
	 * their exact length into the arena. */
	char *scratch;
	size_t scratch_cap;
	struct arena_block *arena;
	/* promfile_set_prefix: verbatim text from buf, or fd at 0. */
	const char *prefix_buf;
	int prefix_fd;
	uint64_t prefix_len;
	/* Family index + 1 by the address of the name a caller passed
	 * (see family_get); 0: empty. */
	struct {
		const char *name;
		uint32_t fam;
	} by_addr[64];
	/* promfile_labels_set: rendered, in the arena. */
	const char *same_labels;
	uint32_t same_len, same_hash;
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
		free(pf->fam[i].s);
		free(pf->fam[i].seen);
	}
	free(pf->fam);
	free(pf->scratch);
	arena_free(pf->arena);
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

/* Characters of a label name: 1 anywhere, 2 also first. */
static const unsigned char label_char[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['_'] = 3, ['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3,
    ['e'] = 3, ['f'] = 3, ['g'] = 3, ['h'] = 3, ['i'] = 3,
    ['j'] = 3, ['k'] = 3, ['l'] = 3, ['m'] = 3, ['n'] = 3,
    ['o'] = 3, ['p'] = 3, ['q'] = 3, ['r'] = 3, ['s'] = 3,
    ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3,
    ['y'] = 3, ['z'] = 3, ['A'] = 3, ['B'] = 3, ['C'] = 3,
    ['D'] = 3, ['E'] = 3, ['F'] = 3, ['G'] = 3, ['H'] = 3,
    ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3, ['M'] = 3,
    ['N'] = 3, ['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3,
    ['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3,
    ['X'] = 3, ['Y'] = 3, ['Z'] = 3,
};

/* Length of s if it is a valid label name, else 0. */
static size_t label_name_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s || !(label_char[p[0]] & 2) || (s[0] == '_' && s[1] == '_'))
		return 0;
	while (label_char[*++p])
		;
	return *p ? 0 : (size_t)(p - (const unsigned char *)s);
}

int prom_valid_label_name(const char *s)
{
	return label_name_len(s) != 0;
}

/* Whole numbers that put_whole prints (NaN is not one). */
static int is_whole(double v)
{
	return fabs(v) < 1e15 && v == (double)(long long)v;
}

/* Digits by hand: snprintf dominates files of many samples.  buf has
 * room for 18 bytes; returns the length written before the NUL. */
static size_t put_whole(char *buf, long long x)
{
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
	return o;
}

/*
 * The loop in prom_format_value below, without printf and strtod where
 * it can: for 1e-4 <= |v| < 1e14, is v a decimal d = m / 10^k with at
 * most 15 significant digits (m < 1e15 whole, 1 <= k <= 19)?  m and 10^k
 * are exact doubles and one division rounds once, so m / 10^k == |v|
 * proves that d reads back as v (Clinger's fast path).  Such a d is what
 * %.15g writes: v is within half an ulp of d, far less than half a unit
 * of the 15th digit, so rounding v to 15 digits gives d; and %g writes an
 * exponent of -4 to 14 in fixed notation, trailing zeros cut.  For each k
 * m is |v| * 10^k rounded to whole: that product is within 2^-52 * m <
 * 1/4 of d's m, so when d exists the k of its last digit finds it, and
 * when every k up to 15 digits fails, %.15g does not read back either.
 * Returns 1 (written, at most 22 bytes with the NUL), 0 (%.15g does not
 * read back) or -1 (out of range: no answer).
 */
static int put_short_decimal(double v, char *buf)
{
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3,  1e4,  1e5,	 1e6,
				     1e7,  1e8,	 1e9,  1e10, 1e11, 1e12, 1e13,
				     1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
	double a = v < 0 ? -v : v;
	uint64_t u10 = 1;

	if (!(a >= 1e-4 && a < 1e14))
		return -1;
	for (int k = 1; k <= 19; k++) {
		double x = a * p10[k];
		uint64_t u = (uint64_t)x;

		u10 *= 10;
		if (!(x < 1e15))
			return 0;
		u += x - (double)u >= 0.5; /* x - u is exact */
		if ((double)u / p10[k] != a)
			continue;
		uint64_t ip = u / u10, fp = u % u10;
		size_t o = 0;
		int nd = k;

		while (fp && fp % 10 == 0) { /* fp > 0: v is not whole */
			fp /= 10;
			nd--;
		}
		if (v < 0)
			buf[o++] = '-';
		o += put_whole(buf + o, (long long)ip);
		buf[o++] = '.';
		for (int d = nd - 1; d >= 0; d--) {
			buf[o + (size_t)d] = (char)('0' + fp % 10);
			fp /= 10;
		}
		buf[o + (size_t)nd] = 0;
		return 1;
	}
	return -1; /* not reached: 1e-4 * 1e19 >= 1e15 */
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
	if (is_whole(v) && len >= 18) {
		put_whole(buf, (long long)v);
		return;
	}
	int prec = 15;

	if (len >= 24) {
		int r = put_short_decimal(v, buf);
		if (r > 0)
			return;
		if (r == 0)
			prec = 16;
	}
	/* Shortest of %.15g..%.17g that reads back as the same double
	 * (%.17g always does). */
	for (; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
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

/* Bytes copied as they are into a label value: ASCII but \\, " and \n. */
static const unsigned char plain_byte[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, /* \n */
    R16(1),
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* " */
    R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* \\ */
    R16(1), R16(1),
    /* 0x80..0xff: UTF-8, checked */
#undef R16
};

/*
 * Escaped value of v (n bytes) at out, which has room for 3 * n bytes
 * (the worst case: every byte invalid UTF-8, each becoming U+FFFD).
 * Returns the bytes written.
 */
static size_t escape_label_value(char *out, const char *v, size_t n)
{
	const unsigned char *s = (const unsigned char *)v;
	char *o = out;
	size_t i = 0;

	/* Eight plain bytes at a time while there are: no byte with the
	 * top bit set, none equal to a byte that needs escaping. */
	while (i + 8 <= n) {
		const uint64_t ones = 0x0101010101010101ULL,
			       high = 0x8080808080808080ULL;
		uint64_t w, a, b, c;

		memcpy(&w, s + i, 8);
		a = w ^ (ones * '\\');
		b = w ^ (ones * '"');
		c = w ^ (ones * '\n');
		if ((w | ((a - ones) & ~a) | ((b - ones) & ~b) |
		     ((c - ones) & ~c)) &
		    high)
			break;
		memcpy(o, &w, 8);
		o += 8;
		i += 8;
	}
	while (i < n) {
		unsigned char c = s[i];

		if (plain_byte[c]) {
			*o++ = (char)c;
			i++;
		} else if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			i++;
		} else if (c == '"') {
			*o++ = '\\';
			*o++ = '"';
			i++;
		} else if (c == '\n') {
			*o++ = '\\';
			*o++ = 'n';
			i++;
		} else {
			size_t k = utf8_len(s + i, n - i);

			if (k == 0) {
				memcpy(o, "\xef\xbf\xbd", 3);
				o += 3;
				i++;
			} else {
				memcpy(o, s + i, k);
				o += k;
				i += k;
			}
		}
	}
	return (size_t)(o - out);
}

/* A hash of the label text, eight bytes at a time. */
static uint64_t series_hash(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 29;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static struct family *family_get(struct promfile *pf, const char *name,
				 enum prom_type want_hist)
{
	const struct metricdef *def = NULL;
	struct family *found = NULL;
	/* Tools add a sample of each of a few dozen families in turn, the
	 * name a string literal: a walk over the families comparing names
	 * was 4% of trace-once's instructions.  The address a name was last
	 * found under is remembered; one strcmp confirms it, so a caller's
	 * buffer that now holds another name costs only the walk. */
	size_t slot = ((uintptr_t)name >> 3) % (sizeof pf->by_addr /
						 sizeof pf->by_addr[0]);

	if (pf->by_addr[slot].name == name && pf->by_addr[slot].fam &&
	    pf->by_addr[slot].fam <= pf->nfam &&
	    !strcmp(pf->fam[pf->by_addr[slot].fam - 1].def->name, name)) {
		found = &pf->fam[pf->by_addr[slot].fam - 1];
		def = found->def;
	}
	for (size_t i = pf->nfam; !found && i-- > 0;)
		if (!strcmp(pf->fam[i].def->name, name)) {
			found = &pf->fam[i];
			def = found->def;
			pf->by_addr[slot].name = name;
			pf->by_addr[slot].fam = (uint32_t)i + 1;
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
	pf->by_addr[slot].name = name;
	pf->by_addr[slot].fam = (uint32_t)pf->nfam + 1;
	return &pf->fam[pf->nfam++];
}

/* Sample si of f (stored, not yet counted in f->n): 1 if its labels
 * are already in f, 0 after adding them to the set, -1 out of memory. */
static int seen_insert(struct family *f, size_t si, uint32_t h)
{
	const struct sample *s = &f->s[si];
	size_t mask;

	/* si samples are in the set: at most three quarters full. */
	if ((si + 1) * 4 > f->capseen * 3) {
		size_t cap = f->capseen ? f->capseen * 2 : 16;
		struct seen *t = calloc(cap, sizeof *t);

		if (!t)
			return -1;
		for (size_t i = 0; i < f->capseen; i++) {
			const struct seen *e = &f->seen[i];
			size_t j = e->hash & (cap - 1);

			if (!e->hash)
				continue;
			while (t[j].hash)
				j = (j + 1) & (cap - 1);
			t[j] = *e;
		}
		free(f->seen);
		f->seen = t;
		f->capseen = cap;
	}
	mask = f->capseen - 1;
	for (size_t j = h & mask;; j = (j + 1) & mask) {
		struct seen *e = &f->seen[j];

		if (!e->hash) {
			e->hash = h;
			e->idx = (uint32_t)si;
			return 0;
		}
		if (e->hash == h) {
			const struct sample *o = &f->s[e->idx];

			if (o->llen == s->llen &&
			    !memcmp(o->labels, s->labels, s->llen))
				return 1;
		}
	}
}

/* The key seen_insert files label text under: never 0 (a free slot). */
static uint32_t seen_hash(const char *labels, size_t len)
{
	return (uint32_t)series_hash(labels, len) | 1;
}

/*
 * Check the label names of labels (pairs, NULL-terminated) and render
 * them into pf->scratch as `a="x",b="y"`; *len its length.  what names
 * the caller in messages; hist: "le" is reserved.
 */
static int render_labels(struct promfile *pf, const char *what, int hist,
			 const char *const *labels, size_t *len_out)
{
	size_t nl = 0, need = 1, len = 0;
	size_t lens[2 * PROMFILE_MAX_LABELS];

	/* Check the names, and reserve room for the worst case of the
	 * values, so the text is then written with no checks. */
	for (size_t i = 0; labels && labels[i]; i += 2) {
		const char *ln = labels[i], *lv = labels[i + 1];
		size_t lnl;

		if (!lv)
			return pf_fail(pf, EINVAL,
				       "%s: label %s has no value", what, ln);
		lnl = label_name_len(ln);
		if (!lnl || (hist && !strcmp(ln, "le")))
			return pf_fail(pf, EINVAL, "%s: invalid label name",
				       what);
		for (size_t j = 0; j < i; j += 2)
			if (labels[j][0] == ln[0] && !strcmp(labels[j], ln))
				return pf_fail(pf, EINVAL,
					       "%s: label %s given twice", what,
					       ln);
		if (++nl > PROMFILE_MAX_LABELS)
			return pf_fail(pf, EINVAL, "%s: too many labels",
				       what);
		lens[i] = lnl;
		lens[i + 1] = strlen(lv);
		need += lnl + 3 * lens[i + 1] + 4;
	}
	if (need > pf->scratch_cap) {
		size_t cap = pf->scratch_cap ? pf->scratch_cap : 256;
		char *p;

		while (cap < need)
			cap *= 2;
		p = realloc(pf->scratch, cap);
		if (!p)
			return pf_fail(pf, ENOMEM, "out of memory");
		pf->scratch = p;
		pf->scratch_cap = cap;
	}
	for (size_t i = 0; labels && labels[i]; i += 2) {
		if (i)
			pf->scratch[len++] = ',';
		memcpy(pf->scratch + len, labels[i], lens[i]);
		len += lens[i];
		pf->scratch[len++] = '=';
		pf->scratch[len++] = '"';
		len += escape_label_value(pf->scratch + len, labels[i + 1],
					  lens[i + 1]);
		pf->scratch[len++] = '"';
	}
	if (len >= UINT32_MAX)
		return pf_fail(pf, E2BIG, "%s: labels too long", what);
	*len_out = len;
	return 0;
}

/* Room for one more sample in f. */
static int family_reserve(struct promfile *pf, struct family *f,
			  const char *name)
{
	if (f->n >= UINT32_MAX - 1)
		return pf_fail(pf, E2BIG, "%s: too many samples", name);
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct sample *s = realloc(f->s, cap * sizeof *s);
		if (!s)
			return pf_fail(pf, ENOMEM, "out of memory");
		f->s = s;
		f->cap = cap;
	}
	return 0;
}

static int add_sample(struct promfile *pf, const char *name, double value,
		      const struct histogram *h, const char *const *labels)
{
	struct family *f;
	size_t len;
	char *lp;

	f = family_get(pf, name, h ? PROM_HISTOGRAM : PROM_GAUGE);
	if (!f)
		return -1;
	if (f->def->type == PROM_INFO)
		value = 1;
	if (render_labels(pf, name, h != NULL, labels, &len) ||
	    family_reserve(pf, f, name))
		return -1;
	/* Copy out first, so that the set compares against the stored
	 * sample; a duplicate gives the arena bytes back. */
	struct arena_block *mark_b = pf->arena;
	size_t mark_used = mark_b ? mark_b->used : 0;
	struct histogram *hc = NULL;

	lp = arena_alloc(&pf->arena, len + 1, 1);
	if (lp && h &&
	    (hc = arena_alloc(&pf->arena, sizeof *h,
			      _Alignof(struct histogram))))
		*hc = *h;
	if (!lp || (h && !hc))
		return pf_fail(pf, ENOMEM, "out of memory");
	memcpy(lp, pf->scratch, len);
	lp[len] = 0;
	f->s[f->n].labels = lp;
	f->s[f->n].llen = (uint32_t)len;
	if (hc)
		f->s[f->n].h = hc;
	else
		f->s[f->n].value = value;
	int dup = seen_insert(f, f->n, seen_hash(lp, len));
	if (dup != 0) {
		if (mark_b && pf->arena == mark_b)
			mark_b->used = mark_used;
		if (dup < 0)
			return pf_fail(pf, ENOMEM, "out of memory");
		return pf_fail(pf, EEXIST, "%s{%.150s} added twice", name,
			       lp);
	}
	pf->series += h ? h->n + 3 : 1;
	f->n++;
	return 0;
}

int promfile_labels_set(struct promfile *pf, const char *const *labels)
{
	size_t len;
	char *lp;

	pf->same_labels = NULL;
	if (render_labels(pf, "labels", 0, labels, &len))
		return -1;
	lp = arena_alloc(&pf->arena, len + 1, 1);
	if (!lp)
		return pf_fail(pf, ENOMEM, "out of memory");
	memcpy(lp, pf->scratch, len);
	lp[len] = 0;
	pf->same_labels = lp;
	pf->same_len = (uint32_t)len;
	pf->same_hash = seen_hash(lp, len);
	return 0;
}

int promfile_add_same(struct promfile *pf, const char *name, double value)
{
	struct family *f;
	int dup;

	if (!pf->same_labels)
		return pf_fail(pf, EINVAL, "%s: no labels set", name);
	f = family_get(pf, name, PROM_GAUGE);
	if (!f || family_reserve(pf, f, name))
		return -1;
	if (f->def->type == PROM_INFO)
		value = 1;
	/* The samples share the one copy of the text in the arena. */
	f->s[f->n].labels = pf->same_labels;
	f->s[f->n].llen = pf->same_len;
	f->s[f->n].value = value;
	dup = seen_insert(f, f->n, pf->same_hash);
	if (dup < 0)
		return pf_fail(pf, ENOMEM, "out of memory");
	if (dup)
		return pf_fail(pf, EEXIST, "%s{%.150s} added twice", name,
			       pf->same_labels);
	pf->series++;
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
		for (size_t j = 0; j < f->n; j++)
			pf->series -= f->def->type == PROM_HISTOGRAM
					      ? f->s[j].h->n + 3
					      : 1;
		free(f->s);
		free(f->seen);
	}
	pf->nfam = out;
	pf->prefix_len = 0;
	/* The families moved. */
	memset(pf->by_addr, 0, sizeof pf->by_addr);
	return 0;
}

void promfile_set_prefix(struct promfile *pf, const char *buf, int fd,
			 uint64_t len)
{
	pf->prefix_buf = buf;
	pf->prefix_fd = fd;
	pf->prefix_len = len;
}

static int cmp_family(const void *a, const void *b)
{
	const struct family *x = a, *y = b;
	return strcmp(x->def->name, y->def->name);
}

/*
 * The text is built in a block of memory and handed to stdio in large
 * writes: one fputs or putc per piece was half the cost of writing a
 * file of many samples.
 */
#define OUT_BLOCK (64 * 1024)
#define OUT_LINE_MAX 512 /* a line without its labels fits in this */

struct out {
	FILE *f;
	size_t n;
	char buf[OUT_BLOCK];
};

static void out_flush(struct out *o)
{
	if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n && !ferror(o->f))
		errno = EIO;
	o->n = 0;
}

/* Room for n more bytes, or write n straight through when it is large. */
static void out_put(struct out *o, const char *s, size_t n)
{
	if (o->n + n > sizeof o->buf) {
		out_flush(o);
		if (n > sizeof o->buf / 2) {
			fwrite(s, 1, n, o->f);
			return;
		}
	}
	memcpy(o->buf + o->n, s, n);
	o->n += n;
}

static void out_reserve(struct out *o, size_t n)
{
	if (o->n + n > sizeof o->buf)
		out_flush(o);
}

/* What prom_format_value writes, at p (room for 64 bytes); returns the
 * length. */
static size_t format_value_at(char *p, double v)
{
	if (is_whole(v))
		return put_whole(p, (long long)v);
	prom_format_value(v, p, 64);
	return strlen(p);
}

struct name_text {
	const char *s;
	size_t n;
};

static void put_sample(struct out *o, struct name_text name,
		       struct name_text suffix, const struct sample *s,
		       struct name_text extra, double v)
{
	char *p;

	if (s->llen > OUT_LINE_MAX) {
		/* Rare: long labels go in pieces. */
		out_put(o, name.s, name.n);
		out_put(o, suffix.s, suffix.n);
		out_put(o, "{", 1);
		out_put(o, s->labels, s->llen);
		if (extra.n) {
			out_put(o, ",", 1);
			out_put(o, extra.s, extra.n);
		}
		out_put(o, "}", 1);
		out_reserve(o, 80);
		p = o->buf + o->n;
		goto value;
	}
	out_reserve(o, name.n + suffix.n + s->llen + extra.n + 80);
	p = o->buf + o->n;
	memcpy(p, name.s, name.n);
	p += name.n;
	memcpy(p, suffix.s, suffix.n);
	p += suffix.n;
	if (s->llen || extra.n) {
		*p++ = '{';
		memcpy(p, s->labels, s->llen);
		p += s->llen;
		if (extra.n) {
			if (s->llen)
				*p++ = ',';
			memcpy(p, extra.s, extra.n);
			p += extra.n;
		}
		*p++ = '}';
	}
value:
	*p++ = ' ';
	p += format_value_at(p, v);
	*p++ = '\n';
	o->n = (size_t)(p - o->buf);
}

/* Writes the exposition to f; errors show in ferror(f). */
/* The prefix from its fd: in the kernel when f is a file (a 2 MB block
 * costs no trip through user space), else through a buffer. */
static int put_prefix_fd(const struct promfile *pf, struct out *o)
{
	uint64_t len = pf->prefix_len;
	loff_t in = 0;
	int fd = fileno(o->f);

	if (fflush(o->f) != 0)
		return -1;
	while (fd >= 0 && (uint64_t)in < len) {
		ssize_t k = copy_file_range(pf->prefix_fd, &in, fd, NULL,
					    (size_t)(len - (uint64_t)in), 0);
		if (k <= 0)
			break;
	}
	while ((uint64_t)in < len) {
		size_t want = len - (uint64_t)in < sizeof o->buf ?
				      (size_t)(len - (uint64_t)in) :
				      sizeof o->buf;
		ssize_t k = pread(pf->prefix_fd, o->buf, want, in);
		if (k <= 0) {
			if (k == 0)
				errno = EIO; /* the file shrank under us */
			return -1;
		}
		o->n = (size_t)k;
		out_flush(o);
		in += k;
	}
	return ferror(o->f) ? -1 : 0;
}

static int put_prefix(const struct promfile *pf, struct out *o)
{
	if (!pf->prefix_len)
		return 0;
	if (!pf->prefix_buf)
		return put_prefix_fd(pf, o);
	out_put(o, pf->prefix_buf, (size_t)pf->prefix_len);
	return 0;
}

static int render_to(const struct promfile *pf, FILE *f)
{
	static const struct name_text none = {"", 0},
				      bucket = {"_bucket", 7},
				      sum = {"_sum", 4}, count = {"_count", 6},
				      inf = {"le=\"+Inf\"", 9};
	/* Sort a shallow copy, not the families themselves: the duplicate
	 * set stores family indexes. */
	struct family *tmp = malloc((pf->nfam ? pf->nfam : 1) * sizeof *tmp);
	struct out *o = malloc(sizeof *o);

	if (!tmp || !o) {
		free(tmp);
		free(o);
		errno = ENOMEM;
		return -1;
	}
	o->f = f;
	o->n = 0;
	if (put_prefix(pf, o) < 0) {
		free(tmp);
		free(o);
		return -1;
	}
	if (pf->nfam)
		memcpy(tmp, pf->fam, pf->nfam * sizeof *tmp);
	qsort(tmp, pf->nfam, sizeof *tmp, cmp_family);
	char les_buf[HISTOGRAM_MAX_BUCKETS][80];
	struct name_text les[HISTOGRAM_MAX_BUCKETS];
	double les_of[HISTOGRAM_MAX_BUCKETS];
	int have_les = 0;
	unsigned les_n = 0;
	for (size_t i = 0; i < pf->nfam; i++) {
		const struct family *fam = &tmp[i];
		struct name_text name = {fam->def->name,
					 strlen(fam->def->name)};
		const char *type = prom_type_name(fam->def->type);

		out_put(o, "# HELP ", 7);
		out_put(o, name.s, name.n);
		out_put(o, " ", 1);
		/* HELP text escapes backslash and newline. */
		for (const char *p = fam->def->help; *p;) {
			size_t run = strcspn(p, "\\\n");

			out_put(o, p, run);
			p += run;
			if (*p == '\\')
				out_put(o, "\\\\", 2);
			else if (*p == '\n')
				out_put(o, "\\n", 2);
			else
				break;
			p++;
		}
		out_put(o, "\n# TYPE ", 8);
		out_put(o, name.s, name.n);
		out_put(o, " ", 1);
		out_put(o, type, strlen(type));
		out_put(o, "\n", 1);
		for (size_t j = 0; j < fam->n; j++) {
			const struct sample *s = &fam->s[j];
			if (fam->def->type != PROM_HISTOGRAM) {
				put_sample(o, name, none, s, none, s->value);
				continue;
			}
			uint64_t cum = 0;
			/* The samples of one family nearly always share their
			 * bounds: format them once, not once per sample. */
			if (!have_les || les_n != s->h->n ||
			    memcmp(les_of, s->h->le, les_n * sizeof(double))) {
				les_n = s->h->n;
				memcpy(les_of, s->h->le, les_n * sizeof(double));
				for (unsigned k = 0; k < les_n; k++) {
					char num[64];
					prom_format_value(s->h->le[k], num,
							  sizeof num);
					snprintf(les_buf[k], sizeof les_buf[k],
						 "le=\"%s\"", num);
					les[k].s = les_buf[k];
					les[k].n = strlen(les_buf[k]);
				}
				have_les = 1;
			}
			for (unsigned k = 0; k < s->h->n; k++) {
				cum += s->h->bucket[k];
				put_sample(o, name, bucket, s, les[k],
					   (double)cum);
			}
			put_sample(o, name, bucket, s, inf,
				   (double)s->h->count);
			put_sample(o, name, sum, s, none, s->h->sum);
			put_sample(o, name, count, s, none,
				   (double)s->h->count);
		}
	}
	out_flush(o);
	free(o);
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

struct commit_arg {
	const struct promfile *pf;
	struct stat *st;
};

static int fill_promfile(FILE *f, void *arg)
{
	struct commit_arg *a = arg;

	if (render_to(a->pf, f) < 0)
		return -1;
	/* Flushed, the file's mtime is final: fsync and rename keep it. */
	if (a->st && (fflush(f) != 0 || fstat(fileno(f), a->st) < 0))
		return -1;
	return 0;
}

int promfile_commit_stat(const struct promfile *pf, const char *path,
			 char *err, size_t errlen, struct stat *st)
{
	struct commit_arg a = {pf, st};

	/* Streamed into the temp file: a large file needs no second copy
	 * in memory. */
	return atomicfile_write_fn(path, 0644, fill_promfile, &a, err, errlen);
}

int promfile_commit(const struct promfile *pf, const char *path, char *err,
		    size_t errlen)
{
	return promfile_commit_stat(pf, path, err, errlen, NULL);
}
