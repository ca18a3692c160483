/* SPDX-License-Identifier: MIT */
#include "reuse.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void reuse_shape(char *buf, size_t len, uint64_t max_series, int by_fe,
		 int by_be, int with_up)
{
	snprintf(buf, len, "max=%" PRIu64 ",fe=%d,be=%d,up=%d", max_series,
		 !!by_fe, !!by_be, !!with_up);
}

void reuse_format(const struct reuse_summary *s, char *buf, size_t len)
{
	/* oldest is a whole number of seconds (what the counters save). */
	snprintf(buf, len, "%016" PRIx64 ",%" PRIu64 ",%.0f,%" PRIu64 ",%s",
		 s->hash, s->len, s->oldest, s->names, s->shape);
}

int reuse_parse(const char *value, struct reuse_summary *s)
{
	int n = 0;
	memset(s, 0, sizeof *s);
	if (sscanf(value, "%16" SCNx64 ",%" SCNu64 ",%lf,%" SCNu64 ",%n",
		   &s->hash, &s->len, &s->oldest, &s->names, &n) != 4 ||
	    n == 0 || strlen(value + n) >= sizeof s->shape ||
	    !value[n] || !(s->oldest >= 0 && s->oldest < 1e18))
		return -1;
	strcpy(s->shape, value + n);
	return 0;
}

int reuse_possible(const struct reuse_summary *s, const char *shape,
		   double now, double expire_after)
{
	if (strcmp(s->shape, shape))
		return 0;
	/* counters_expire forgets a name when last_seen < now - expire. */
	return s->names == 0 || !(s->oldest < now - expire_after);
}

void reuse_ident_format(const struct reuse_ident *id, char *buf, size_t len)
{
	snprintf(buf, len,
		 "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %016" PRIx64
		 " %" PRIu64 "\n",
		 id->dev, id->ino, id->size, id->mtime_ns, id->hash, id->len);
}

int reuse_ident_parse(const char *s, struct reuse_ident *id)
{
	int n = 0;
	if (sscanf(s,
		   "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %16" SCNx64
		   " %" SCNu64 "%n",
		   &id->dev, &id->ino, &id->size, &id->mtime_ns, &id->hash,
		   &id->len, &n) != 6 ||
	    strcmp(s + n, "\n"))
		return -1;
	return 0;
}

int reuse_ident_matches(const struct reuse_ident *saved,
			const struct reuse_ident *cur,
			const struct reuse_summary *sum)
{
	return saved->dev == cur->dev && saved->ino == cur->ino &&
	       saved->size == cur->size && saved->mtime_ns == cur->mtime_ns &&
	       saved->hash == sum->hash && saved->len == sum->len &&
	       cur->size >= sum->len;
}

#define K0 0xff51afd7ed558ccdULL
#define K1 0xc4ceb9fe1a85ec53ULL
#define K2 0x9e3779b97f4a7c15ULL
#define K3 0xd6e8feb86659fd93ULL

/* Four independent lanes, written out: a loop over the lanes is not
 * unrolled at -O2 and runs at less than half the speed. */
static void mix32(uint64_t lane[4], const unsigned char *p, size_t n)
{
	uint64_t a = lane[0], b = lane[1], c = lane[2], d = lane[3];
	for (; n >= 32; p += 32, n -= 32) {
		uint64_t w0, w1, w2, w3;
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		a = (a ^ w0) * K0;
		b = (b ^ w1) * K1;
		c = (c ^ w2) * K2;
		d = (d ^ w3) * K3;
		a ^= a >> 31;
		b ^= b >> 31;
		c ^= c >> 31;
		d ^= d >> 31;
	}
	lane[0] = a;
	lane[1] = b;
	lane[2] = c;
	lane[3] = d;
}

void reuse_hash_init(struct reuse_hasher *h)
{
	memset(h, 0, sizeof *h);
	h->lane[0] = K1;
	h->lane[1] = K2;
	h->lane[2] = K3;
	h->lane[3] = K0;
}

void reuse_hash_update(struct reuse_hasher *h, const void *data, size_t len)
{
	const unsigned char *p = data;
	h->total += len;
	if (h->ntail) {
		size_t take = sizeof h->tail - h->ntail;
		if (take > len)
			take = len;
		memcpy(h->tail + h->ntail, p, take);
		h->ntail += take;
		p += take;
		len -= take;
		if (h->ntail < sizeof h->tail)
			return;
		mix32(h->lane, h->tail, 32);
		h->ntail = 0;
	}
	mix32(h->lane, p, len & ~(size_t)31);
	p += len & ~(size_t)31;
	len &= 31;
	memcpy(h->tail, p, len);
	h->ntail = len;
}

uint64_t reuse_hash_final(struct reuse_hasher *h)
{
	/* The tail padded with zeros; the length tells "ab" from "ab\0". */
	memset(h->tail + h->ntail, 0, sizeof h->tail - h->ntail);
	mix32(h->lane, h->tail, 32);
	uint64_t x = h->total * K0;
	for (int i = 0; i < 4; i++) {
		x = (x ^ h->lane[i]) * K2;
		x ^= x >> 29;
	}
	return x;
}

uint64_t reuse_hash(const void *data, size_t len)
{
	struct reuse_hasher h;
	reuse_hash_init(&h);
	reuse_hash_update(&h, data, len);
	return reuse_hash_final(&h);
}
