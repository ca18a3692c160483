/* SPDX-License-Identifier: MIT */
#include "histogram.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int histogram_init(struct histogram *h, const double *le, unsigned n)
{
	if (n == 0 || n > HISTOGRAM_MAX_BUCKETS)
		goto bad;
	for (unsigned i = 0; i < n; i++)
		if (!isfinite(le[i]) || (i && le[i] <= le[i - 1]))
			goto bad;
	memset(h, 0, sizeof *h);
	h->n = n;
	memcpy(h->le, le, n * sizeof le[0]);
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

void histogram_observe(struct histogram *h, double v)
{
	unsigned lo = 0, hi = h->n;

	/* Binary search for the first bound >= v. */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (h->le[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->n)
		h->bucket[lo]++;
	h->count++;
	h->sum += v;
}

int histogram_to_string(const struct histogram *h, char *buf, size_t len)
{
	size_t off;
	int k = snprintf(buf, len, "%" PRIu64 " %.17g", h->count, h->sum);
	if (k < 0 || (size_t)k >= len)
		goto small;
	off = (size_t)k;
	for (unsigned i = 0; i < h->n; i++) {
		k = snprintf(buf + off, len - off, " %" PRIu64, h->bucket[i]);
		if (k < 0 || (size_t)k >= len - off)
			goto small;
		off += (size_t)k;
	}
	return 0;
small:
	errno = ENOSPC;
	return -1;
}

int histogram_from_string(struct histogram *h, const char *s)
{
	struct histogram t = *h;
	uint64_t total = 0;
	char *end;

	errno = 0;
	t.count = strtoull(s, &end, 10);
	if (end == s || *end != ' ')
		goto bad;
	s = end;
	t.sum = strtod(s, &end);
	if (end == s || !isfinite(t.sum))
		goto bad;
	s = end;
	for (unsigned i = 0; i < t.n; i++) {
		if (*s != ' ')
			goto bad;
		t.bucket[i] = strtoull(s, &end, 10);
		if (end == s)
			goto bad;
		total += t.bucket[i];
		s = end;
	}
	if (*s || errno == ERANGE || total > t.count)
		goto bad;
	*h = t;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
