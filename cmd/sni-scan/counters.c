/* SPDX-License-Identifier: MIT */
#include "counters.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"
#include "promfile.h"
#include "sni_name.h"

/* Eight bytes per step: the lookup runs once per log line. */
/* The lookup's steps run once per log line: inline, not a call each
 * (about 60 instructions a line of calls, saves and restores). */
#define HOT static inline __attribute__((always_inline))

HOT uint64_t hash_bytes(const char *s, size_t n)
{
	const size_t total = n;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	/* The tail: the key's last eight bytes (overlapping what was mixed;
	 * the length is in h already) rather than a memcpy of variable
	 * size, which is a libc call.  Keys under eight bytes: by bytes. */
	uint64_t w = 0;
	if (n && total >= 8)
		memcpy(&w, s + n - 8, 8);
	else
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct counters *counters_new(size_t max_series)
{
	struct counters *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->max_series = max_series;
	c->cap = 64;
	c->icap = 128;
	c->tab = calloc(c->cap, sizeof *c->tab);
	c->ix = calloc(c->icap, sizeof *c->ix);
	if (!c->tab || !c->ix) {
		free(c->tab);
		free(c->ix);
		free(c);
		return NULL;
	}
	return c;
}

void counters_keep(struct counters *c, int fe, int be)
{
	c->keep_fe = fe;
	c->keep_be = be;
	c->suffix_ok = 0;
}

static int key_inline(const struct sni_entry *e)
{
	return e->key == e->inl;
}

void counters_free(struct counters *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (!key_inline(&c->tab[i]))
			free(c->tab[i].key);
	free(c->tab);
	free(c->ix);
	free(c);
}

/* Are the n bytes at a and b alike?  Eight at a time, the last eight
 * overlapping: inline, where memcmp is a libc call per line for keys of
 * a few words. */
static inline int key_eq(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	if (n < 8)
		return !memcmp(a, b, n);
	for (size_t i = 0; i + 8 < n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return 0;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

/*
 * The index slot for key: the one that points to its entry, or the empty
 * one where it would go.  A slot holds the entry's position and 32 bits
 * of its hash, so probing past other keys reads only the index (128 KiB
 * for 10,000 names, it stays in cache), not their entries.
 */
HOT struct counters_ix *slot(const struct counters *c, const char *key,
			     size_t klen, uint64_t h)
{
	size_t mask = c->icap - 1;
	uint32_t tag = (uint32_t)(h >> 32);
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct counters_ix *x = &c->ix[i];
		if (!x->pos)
			return x;
		if (x->tag != tag)
			continue;
		const struct sni_entry *e = &c->tab[x->pos - 1];
		if (e->klen == klen && key_eq(e->key, key, klen))
			return x;
	}
}

static int grow_index(struct counters *c)
{
	size_t icap = c->icap * 2, mask = icap - 1;
	struct counters_ix *ix = calloc(icap, sizeof *ix);
	if (!ix)
		return -1;
	for (size_t k = 0; k < c->n; k++) {
		uint64_t h = c->tab[k].hash;
		size_t i = h & mask;
		while (ix[i].pos)
			i = (i + 1) & mask;
		ix[i].pos = (uint32_t)(k + 1);
		ix[i].tag = (uint32_t)(h >> 32);
	}
	free(c->ix);
	c->ix = ix;
	c->icap = icap;
	return 0;
}

static int grow_entries(struct counters *c)
{
	size_t cap = c->cap * 2;
	struct sni_entry *t = realloc(c->tab, cap * sizeof *t);
	if (!t)
		return -1;
	memset(t + c->cap, 0, (cap - c->cap) * sizeof *t);
	/* Inline keys moved with their entries. */
	for (size_t i = 0; i < c->n; i++)
		if (t[i].klen < sizeof t[i].inl)
			t[i].key = t[i].inl;
	c->tab = t;
	c->cap = cap;
	return 0;
}

static int is_reserved(const char *sni, size_t n)
{
	return (n == 4 && !memcmp(sni, "none", 4)) ||
	       (n == 7 && !memcmp(sni, "invalid", 7)) ||
	       (n == 5 && !memcmp(sni, "other", 5));
}

/* Make the entry for key at the empty index slot x; see lookup_hashed. */
static __attribute__((noinline)) struct sni_entry *
create(struct counters *c, struct counters_ix *x, const char *key,
       size_t klen, size_t snilen, uint64_t h, int *over)
{
	if (c->live >= c->max_series && !is_reserved(key, snilen)) {
		*over = 1;
		return NULL;
	}
	if (c->n >= UINT32_MAX - 1)
		return NULL;
	if ((c->n + 1) * 4 > c->icap * 3) {
		if (grow_index(c))
			return NULL;
		x = slot(c, key, klen, h);
	}
	if (c->n == c->cap && grow_entries(c))
		return NULL;
	struct sni_entry *e = &c->tab[c->n];
	if (klen < sizeof e->inl) {
		e->key = e->inl;
	} else {
		e->key = malloc(klen + 1);
		if (!e->key)
			return NULL;
	}
	e->klen = klen;
	e->hash = h;
	memcpy(e->key, key, klen);
	e->key[klen] = 0;
	x->pos = (uint32_t)(c->n + 1);
	x->tag = (uint32_t)(h >> 32);
	c->n++;
	c->live++;
	return e;
}

/* Find or create the entry for key, whose hash_bytes() is h; NULL on
 * ENOMEM.  *over is set when the key is new and the cap is reached
 * (nothing is created then). */
HOT struct sni_entry *lookup_hashed(struct counters *c, const char *key,
				    size_t klen, size_t snilen, uint64_t h,
				    int *over)
{
	struct counters_ix *x = slot(c, key, klen, h);
	*over = 0;
	if (__builtin_expect(!x->pos, 0))
		return create(c, x, key, klen, snilen, h, over);
	struct sni_entry *e = &c->tab[x->pos - 1];
	if (e->removed) {
		e->removed = 0;
		c->live++;
	}
	return e;
}

static struct sni_entry *lookup(struct counters *c, const char *key,
				size_t klen, size_t snilen, int *over)
{
	return lookup_hashed(c, key, klen, snilen, hash_bytes(key, klen), over);
}

static inline char proxy_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	    c == '-' || c == '~')
		return c;
	return '_';
}

/* "sni|fe|be" into buf; returns its length. */
static size_t make_key(char *buf, const char *sni, size_t snilen,
		       const char *fe, size_t fe_len, const char *be,
		       size_t be_len)
{
	size_t k = 0;
	if (fe_len > COUNTERS_LABEL_MAX)
		fe_len = COUNTERS_LABEL_MAX;
	if (be_len > COUNTERS_LABEL_MAX)
		be_len = COUNTERS_LABEL_MAX;
	memcpy(buf, sni, snilen);
	k = snilen;
	buf[k++] = '|';
	/* HAProxy names proxies with [A-Za-z0-9_.:-]; anything else (a '|'
	 * would shift the key's fields, a NUL cut it, invalid UTF-8 would
	 * make two keys one label value) becomes '_'. */
	for (size_t i = 0; fe && i < fe_len; i++)
		buf[k++] = proxy_char(fe[i]);
	buf[k++] = '|';
	for (size_t i = 0; be && i < be_len; i++)
		buf[k++] = proxy_char(be[i]);
	buf[k] = 0;
	return k;
}

static struct sni_entry *find_capped(struct counters *c, const char *sni,
				     size_t snilen, const char *fe,
				     size_t fe_len, const char *be,
				     size_t be_len, uint64_t conns)
{
	char key[256 + 2 * COUNTERS_LABEL_MAX + 4];
	int over;
	if (!c->keep_fe)
		fe_len = 0;
	if (!c->keep_be)
		be_len = 0;
	size_t klen = make_key(key, sni, snilen, fe, fe_len, be, be_len);
	struct sni_entry *e = lookup(c, key, klen, snilen, &over);
	if (e || !over)
		return e;
	c->dropped = sat_add(c->dropped, conns);
	klen = make_key(key, "other", 5, fe, fe_len, be, be_len);
	return lookup(c, key, klen, 5, &over);
}

/* n bytes from src to dst, for the few dozen of a name: fixed-size
 * moves, the last one overlapping, never reading past src + n.  A
 * memcpy of a length below 254 became a `rep movsq`, whose start-up cost
 * more than the copy (14% of the lookup's cycles). */
HOT void copy_short(char *dst, const char *src, size_t n)
{
	if (n >= 16) {
		for (size_t i = 0; i + 16 < n; i += 16)
			memcpy(dst + i, src + i, 16);
		memcpy(dst + n - 16, src + n - 16, 16);
	} else if (n >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + n - 8, src + n - 8, 8);
	} else if (n >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

/* The key for (sni, fe, be) into key, from the cached "|fe|be" suffix
 * while fe/be repeat; returns its length.  key has room for
 * COUNTERS_KEY_MAX + 1 bytes, sni at most 253. */
HOT size_t fast_key(struct counters *c, char *key, const char *sni,
		    size_t snilen, const char *fe, size_t fe_len,
		    const char *be, size_t be_len)
{
	if (fe_len > COUNTERS_LABEL_MAX || !c->keep_fe)
		fe_len = c->keep_fe ? COUNTERS_LABEL_MAX : 0;
	if (be_len > COUNTERS_LABEL_MAX || !c->keep_be)
		be_len = c->keep_be ? COUNTERS_LABEL_MAX : 0;
	if (!c->suffix_ok || fe_len != c->last_fe_len ||
	    be_len != c->last_be_len ||
	    (fe_len && memcmp(fe, c->last_fe, fe_len)) ||
	    (be_len && memcmp(be, c->last_be, be_len))) {
		if (fe_len)
			memcpy(c->last_fe, fe, fe_len);
		if (be_len)
			memcpy(c->last_be, be, be_len);
		c->last_fe_len = fe_len;
		c->last_be_len = be_len;
		c->suffix_len = make_key(c->suffix, "", 0, fe, fe_len, be,
					 be_len);
		c->suffix_ok = 1;
	}
	copy_short(key, sni, snilen);
	/* The suffix is "||" unless frontend or backend are labels: one
	 * fixed move of 16 bytes while it is shorter (key and suffix both
	 * have the room), not a byte loop. */
	if (c->suffix_len < 16)
		memcpy(key + snilen, c->suffix, 16);
	else
		copy_short(key + snilen, c->suffix, c->suffix_len + 1);
	return snilen + c->suffix_len;
}

static struct sni_entry *find_fast(struct counters *c, const char *sni,
				   size_t snilen, const char *fe,
				   size_t fe_len, const char *be,
				   size_t be_len)
{
	char key[256 + 2 * COUNTERS_LABEL_MAX + 4];
	int over;
	size_t klen = fast_key(c, key, sni, snilen, fe, fe_len, be, be_len);
	struct sni_entry *e = lookup(c, key, klen, snilen, &over);
	if (e || !over)
		return e;
	c->dropped = sat_add(c->dropped, 1);
	memcpy(key, "other", 5);
	memcpy(key + 5, c->suffix, c->suffix_len + 1);
	return lookup(c, key, 5 + c->suffix_len, 5, &over);
}

HOT void count(struct sni_entry *e, uint64_t bytes_out, uint64_t bytes_in,
		  int zero, double now)
{
	e->bytes = sat_add(e->bytes, bytes_out);
	e->up = sat_add(e->up, bytes_in);
	e->conns = sat_add(e->conns, 1);
	if (zero)
		e->zero = sat_add(e->zero, 1);
	if (now > e->last_seen)
		e->last_seen = now;
	e->dirty = 1;
}

/* Apply the oldest queued add, as find_fast and counters_add would. */
HOT int apply_oldest(struct counters *c)
{
	struct counters_pending *p = &c->q[c->qhead];
	int over;
	c->qhead = (c->qhead + 1) & (COUNTERS_QUEUE - 1);
	c->qn--;
	struct sni_entry *e = lookup_hashed(c, p->key, p->klen, p->snilen,
					    p->hash, &over);
	if (!e && over) {
		/* "other" with this add's own labels: c->suffix may be a
		 * later push's by now. */
		char key[COUNTERS_KEY_MAX + 1];
		size_t sl = p->klen - p->snilen;
		c->dropped = sat_add(c->dropped, 1);
		memcpy(key, "other", 5);
		memcpy(key + 5, p->key + p->snilen, sl + 1);
		e = lookup(c, key, 5 + sl, 5, &over);
	}
	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	count(e, p->bytes_out, p->bytes_in, p->zero, p->now);
	return 0;
}

int counters_push(struct counters *c, const char *sni, size_t snilen,
		  const char *fe, size_t fe_len, const char *be, size_t be_len,
		  uint64_t bytes_out, uint64_t bytes_in, int zero, double now)
{
	int rc = 0;
	if (snilen > 253)
		snilen = 253;
	struct counters_pending *p =
		&c->q[(c->qhead + c->qn) & (COUNTERS_QUEUE - 1)];
	p->klen = fast_key(c, p->key, sni, snilen, fe, fe_len, be, be_len);
	p->snilen = snilen;
	p->hash = hash_bytes(p->key, p->klen);
	p->bytes_out = bytes_out;
	p->bytes_in = bytes_in;
	p->zero = zero;
	p->now = now;
	__builtin_prefetch(&c->ix[p->hash & (c->icap - 1)]);
	c->qn++;
	if (c->qn > COUNTERS_FETCH_LAG) {
		/* The entry the add pushed COUNTERS_FETCH_LAG calls ago will
		 * need, found through its index slot (fetched then): only a
		 * hint, the add looks it up again.  Here, not in a function
		 * of its own: GCC takes a function that only prefetches for
		 * one without effect and drops the call. */
		const struct counters_pending *f =
			&c->q[(c->qhead + c->qn - 1 - COUNTERS_FETCH_LAG) &
			      (COUNTERS_QUEUE - 1)];
		size_t mask = c->icap - 1, i = f->hash & mask;
		uint32_t tag = (uint32_t)(f->hash >> 32);
		const char *e = NULL;
		/* The first few slots of the probe: past them, no hint. */
		for (int k = 0; k < 4 && c->ix[i].pos; k++, i = (i + 1) & mask)
			if (c->ix[i].tag == tag) {
				e = (const char *)&c->tab[c->ix[i].pos - 1];
				break;
			}
		if (e) {
			__builtin_prefetch(e);
			__builtin_prefetch(e + 64);
			__builtin_prefetch(e + sizeof(struct sni_entry) - 1);
		}
	}
	if (c->qn > COUNTERS_APPLY_LAG)
		rc = apply_oldest(c);
	return rc;
}

int counters_sync(struct counters *c)
{
	int rc = 0;
	while (c->qn)
		if (apply_oldest(c))
			rc = -1;
	return rc;
}

int counters_add(struct counters *c, const char *sni, const char *fe,
		 size_t fe_len, const char *be, size_t be_len,
		 uint64_t bytes_out, uint64_t bytes_in, int zero, double now)
{
	int rc = counters_sync(c);
	size_t snilen = strlen(sni);
	if (snilen > 253)
		snilen = 253;
	struct sni_entry *e = find_fast(c, sni, snilen, fe, fe_len, be,
					be_len);
	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	count(e, bytes_out, bytes_in, zero, now);
	return rc;
}

int counters_load(struct counters *c, const char *key, const char *value)
{
	uint64_t v[5];
	const char *p = value;
	/* Five decimal fields; a hand loop, not sscanf: a state holds
	 * 10,000 of these and every run reads them all. */
	for (int k = 0; k < 5; k++) {
		uint64_t x = 0;
		const char *d = p;
		while (*p >= '0' && *p <= '9') {
			if (__builtin_mul_overflow(x, 10, &x) ||
			    __builtin_add_overflow(x, (uint64_t)(*p - '0'), &x)) {
				errno = EINVAL;
				return -1;
			}
			p++;
		}
		if (p == d || *p != (k < 4 ? ',' : '\0')) {
			errno = EINVAL;
			return -1;
		}
		v[k] = x;
		if (k < 4)
			p++;
	}
	uint64_t b = v[0], n = v[1], z = v[2], u = v[3];
	double seen = (double)v[4];
	const char *t1 = strchr(key, '|');
	const char *t2 = t1 ? strchr(t1 + 1, '|') : NULL;
	if (!t1 || !t2 || strchr(t2 + 1, '|') || t1 - key > 253) {
		errno = EINVAL;
		return -1;
	}
	/* The state is ours, but an edited or damaged file must not put
	 * a name into the output that scanning would never have let in:
	 * the same check as for a name from the log. */
	char name[SNI_NAME_MAX + 1];
	size_t nl = (size_t)(t1 - key);
	if (sni_name_normalize(key, nl, name) != SNI_OK &&
	    !is_reserved(key, nl))
		memcpy(name, "invalid", 8);
	else if (is_reserved(key, nl)) {
		memcpy(name, key, nl);
		name[nl] = 0;
	}
	struct sni_entry *e = find_capped(c, name, strlen(name), t1 + 1,
					  (size_t)(t2 - t1 - 1), t2 + 1,
					  strlen(t2 + 1), 0);
	if (!e) {
		errno = ENOMEM;
		return -1;
	}
	/* A fresh entry equals what was saved: nothing to write back. */
	int fresh = !e->conns && !e->bytes && !e->dirty;
	e->bytes = sat_add(e->bytes, b);
	e->conns = sat_add(e->conns, n);
	e->zero = sat_add(e->zero, z);
	e->up = sat_add(e->up, u);
	if (seen > e->last_seen)
		e->last_seen = seen;
	if (strcmp(e->key, key)) {
		e->dirty = 1;
		return 1;
	}
	if (!fresh)
		e->dirty = 1;
	return 0;
}

/* t rounded as %.0f does (half to even), for 0 <= t < 2^53. */
static uint64_t whole_seconds(double t)
{
	uint64_t w = (uint64_t)t;
	double frac = t - (double)w;
	if (frac > 0.5 || (frac == 0.5 && (w & 1)))
		w++;
	return w;
}

static int seconds_in_range(double t)
{
	return t >= 0 && t < 9007199254740992.0;
}

void counters_value(const struct sni_entry *e, char *buf, size_t len)
{
	double t = e->last_seen;
	/* By hand: a first run saves 10,000 of these, and snprintf's %.0f
	 * cost more than the rest of the save.  %.0f rounds half to even;
	 * so does this, exactly, for the whole seconds a double holds
	 * without loss.  Anything else takes snprintf. */
	if (len < 128 || !seconds_in_range(t)) {
		snprintf(buf, len, "%" PRIu64 ",%" PRIu64 ",%" PRIu64
				   ",%" PRIu64 ",%.0f",
			 e->bytes, e->conns, e->zero, e->up, t);
		return;
	}
	uint64_t w = whole_seconds(t);
	char *p = buf;
	p += numtext_u64(p, e->bytes);
	*p++ = ',';
	p += numtext_u64(p, e->conns);
	*p++ = ',';
	p += numtext_u64(p, e->zero);
	*p++ = ',';
	p += numtext_u64(p, e->up);
	*p++ = ',';
	numtext_u64(p, w);
}

#define DUMP_HEADER "# sni-scan counters version=1\n"

static int cmp_entry_key(const void *a, const void *b)
{
	return strcmp((*(const struct sni_entry *const *)a)->key,
		      (*(const struct sni_entry *const *)b)->key);
}

int counters_dump(const struct counters *c, char **buf, size_t *len)
{
	const struct sni_entry **v = malloc((c->n ? c->n : 1) * sizeof *v);
	size_t n = 0, total = sizeof DUMP_HEADER;
	if (!v)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		const struct sni_entry *e = &c->tab[i];
		if (!e->key || e->removed)
			continue;
		v[n++] = e;
		total += e->klen + 128 + 2;
	}
	/* Loaded entries come sorted and keep their order; only a run that
	 * met new names needs the sort. */
	size_t sorted = 1;
	while (sorted < n && strcmp(v[sorted - 1]->key, v[sorted]->key) < 0)
		sorted++;
	if (sorted < n)
		qsort(v, n, sizeof *v, cmp_entry_key);
	char *out = malloc(total), *p = out;
	if (!out) {
		free(v);
		return -1;
	}
	memcpy(p, DUMP_HEADER, sizeof DUMP_HEADER - 1);
	p += sizeof DUMP_HEADER - 1;
	for (size_t i = 0; i < n; i++) {
		memcpy(p, v[i]->key, v[i]->klen);
		p += v[i]->klen;
		*p++ = ' ';
		counters_value(v[i], p, 128);
		p += strlen(p);
		*p++ = '\n';
	}
	*p = 0;
	free(v);
	*buf = out;
	*len = (size_t)(p - out);
	return 0;
}

int counters_load_text(struct counters *c, const char *text, size_t len,
		       size_t *bad)
{
	const size_t hl = sizeof DUMP_HEADER - 1;
	const char *p = text, *end = text + len;
	char val[128];

	*bad = 0;
	if (len < hl || memcmp(text, DUMP_HEADER, hl)) {
		errno = EINVAL;
		return -1;
	}
	for (p += hl; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		size_t kl = sp ? (size_t)(sp - p) : 0;
		size_t vl = sp ? (size_t)(eol - sp - 1) : 0;
		char key[256 + 2 * COUNTERS_LABEL_MAX + 4];
		if (!sp || kl == 0 || kl >= sizeof key || vl >= sizeof val ||
		    memchr(p, 0, (size_t)(eol - p))) {
			(*bad)++;
		} else {
			memcpy(key, p, kl);
			key[kl] = 0;
			memcpy(val, sp + 1, vl);
			val[vl] = 0;
			if (counters_load(c, key, val) < 0) {
				if (errno == ENOMEM)
					return -1;
				(*bad)++;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

double counters_oldest(const struct counters *c)
{
	double m = 0;
	int any = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct sni_entry *e = &c->tab[i];
		if (!e->key || e->removed)
			continue;
		/* What the next run loads: the saved, rounded value. */
		double t = seconds_in_range(e->last_seen) ?
				   (double)whole_seconds(e->last_seen) :
				   e->last_seen;
		if (!any || t < m)
			m = t;
		any = 1;
	}
	return m;
}

int counters_merge(struct counters *dst, const struct counters *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct sni_entry *se = &src->tab[i];
		if (!se->key || se->removed)
			continue;
		const char *t1 = strchr(se->key, '|');
		const char *t2 = strchr(t1 + 1, '|');
		struct sni_entry *e = find_capped(dst, se->key,
						  (size_t)(t1 - se->key), t1 + 1,
						  (size_t)(t2 - t1 - 1), t2 + 1,
						  strlen(t2 + 1), se->conns);
		if (!e) {
			errno = ENOMEM;
			return -1;
		}
		e->bytes = sat_add(e->bytes, se->bytes);
		e->conns = sat_add(e->conns, se->conns);
		e->zero = sat_add(e->zero, se->zero);
		e->up = sat_add(e->up, se->up);
		if (se->last_seen > e->last_seen)
			e->last_seen = se->last_seen;
		e->dirty = 1;
	}
	dst->dropped = sat_add(dst->dropped, src->dropped);
	return 0;
}

size_t counters_expire(struct counters *c, double now, double expire_after)
{
	size_t k = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct sni_entry *e = &c->tab[i];
		if (!e->key || e->removed)
			continue;
		if (e->last_seen < now - expire_after) {
			e->removed = 1;
			c->live--;
			k++;
		}
	}
	return k;
}

int counters_foreach(struct counters *c,
		     int (*fn)(struct sni_entry *e, void *arg), void *arg)
{
	for (size_t i = 0; i < c->n; i++) {
		if (!c->tab[i].key)
			continue;
		int rc = fn(&c->tab[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* Output label set: the grouping the operator asked for.  Entries that
 * differ only in a label not asked for are summed. */
struct agg {
	char *key; /* "sni|fe|be" with the labels not asked for empty;
		      points into one block */
	uint64_t bytes, conns, zero, up;
};

static int cmp_agg(const void *a, const void *b)
{
	return strcmp(((const struct agg *)a)->key,
		      ((const struct agg *)b)->key);
}

int counters_fmt(const struct counters *c, struct promfile *pf, int with_up,
		 int by_fe, int by_be)
{
	struct agg *a = NULL;
	char *keys = NULL;
	size_t n = 0;
	int rc = -1;

	/* Every key in one block: 10,000 mallocs and snprintfs were a
	 * tenth of a run with nothing new to read. */
	size_t total = 1;
	for (size_t i = 0; i < c->n; i++)
		if (c->tab[i].key && !c->tab[i].removed)
			total += c->tab[i].klen + 3;
	a = calloc(c->live ? c->live : 1, sizeof *a);
	keys = malloc(total);
	if (!a || !keys)
		goto out;
	char *kp = keys;
	for (size_t i = 0; i < c->n; i++) {
		const struct sni_entry *e = &c->tab[i];
		if (!e->key || e->removed)
			continue;
		const char *k = e->key;
		const char *t1 = memchr(k, '|', e->klen);
		const char *t2 = memchr(t1 + 1, '|', e->klen - (size_t)(t1 + 1 - k));
		size_t sl = (size_t)(t1 - k);
		size_t fl = by_fe ? (size_t)(t2 - t1 - 1) : 0;
		size_t bl = by_be ? e->klen - (size_t)(t2 + 1 - k) : 0;
		struct agg *g = &a[n++];
		g->key = kp;
		memcpy(kp, k, sl + 1);
		kp += sl + 1;
		memcpy(kp, t1 + 1, fl);
		kp += fl;
		*kp++ = '|';
		memcpy(kp, t2 + 1, bl);
		kp += bl;
		*kp++ = 0;
		g->bytes = e->bytes;
		g->conns = e->conns;
		g->zero = e->zero;
		g->up = e->up;
	}
	/* Entries loaded from state come in key order and keep it (the
	 * table is in creation order): a run that met no new name need not
	 * sort. */
	size_t sorted = 1;
	while (sorted < n && strcmp(a[sorted - 1].key, a[sorted].key) < 0)
		sorted++;
	if (sorted < n)
		qsort(a, n, sizeof *a, cmp_agg);
	for (size_t i = 0; i < n;) {
		struct agg sum = a[i];
		size_t j = i + 1;
		for (; j < n && !strcmp(a[j].key, sum.key); j++) {
			sum.bytes = sat_add(sum.bytes, a[j].bytes);
			sum.conns = sat_add(sum.conns, a[j].conns);
			sum.zero = sat_add(sum.zero, a[j].zero);
			sum.up = sat_add(sum.up, a[j].up);
		}
		i = j;
		char *k = sum.key;
		char *t1 = strchr(k, '|'), *t2 = strchr(t1 + 1, '|');
		*t1 = 0;
		*t2 = 0;
		const char *labels[7];
		int nl = 0;
		labels[nl++] = "sni";
		labels[nl++] = k;
		if (by_fe) {
			labels[nl++] = "frontend";
			labels[nl++] = t1 + 1;
		}
		if (by_be) {
			labels[nl++] = "backend";
			labels[nl++] = t2 + 1;
		}
		labels[nl] = NULL;
		int bad = promfile_addv(pf, "haproxy_sni_total_bytes",
					(double)sum.bytes, labels) ||
			  promfile_addv(pf, "haproxy_sni_connections",
					(double)sum.conns, labels) ||
			  promfile_addv(pf, "haproxy_sni_zero_bytes",
					(double)sum.zero, labels) ||
			  (with_up &&
			   promfile_addv(pf, "haproxy_sni_uploaded_bytes_total",
					 (double)sum.up, labels));
		*t1 = '|';
		*t2 = '|';
		if (bad)
			goto out;
	}
	rc = 0;
out:
	free(keys);
	free(a);
	return rc;
}
