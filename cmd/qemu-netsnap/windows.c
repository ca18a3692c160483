/* SPDX-License-Identifier: MIT */
#include "windows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numtext.h"

const struct qn_window qn_windows[QN_NWINDOWS] = {
    {"qemu_network_30s_bytes", "30s", 30},
    {"qemu_network_1min_bytes", "1min", 60},
    {"qemu_network_5min_bytes", "5min", 300},
    {"qemu_network_15min_bytes", "15min", 900},
    {"qemu_network_1h_bytes", "1h", 3600},
};

void compute_ring_trim(struct qn_ring *ring, double now, uint64_t rx,
		       uint64_t tx)
{
	while (ring->n && ring->s[ring->n - 1].t > now)
		ring->n--;
	/* Totals are monotonic by construction; a ring above them is from
	 * a state that no longer matches (an explicit reset, or an edited
	 * file), and would give negative windows. */
	if (ring->n &&
	    (ring->s[ring->n - 1].rx > rx || ring->s[ring->n - 1].tx > tx))
		ring->n = 0;
}

static double lerp(uint64_t a, uint64_t b, double f)
{
	return (double)a + ((double)b - (double)a) * f;
}

void compute_windows(const struct qn_ring *ring, double now, uint64_t rx,
		     uint64_t tx, struct qn_window_value out[QN_NWINDOWS])
{
	for (int w = 0; w < QN_NWINDOWS; w++) {
		double start = now - qn_windows[w].seconds;
		double brx, btx;
		size_t i;

		out[w].rx = out[w].tx = out[w].coverage = 0;
		if (!ring->n || ring->s[0].t >= now)
			continue;
		if (ring->s[0].t >= start) {
			/* The ring does not reach back a whole window. */
			out[w].rx = rx > ring->s[0].rx
					? (double)(rx - ring->s[0].rx)
					: 0;
			out[w].tx = tx > ring->s[0].tx
					? (double)(tx - ring->s[0].tx)
					: 0;
			out[w].coverage = now - ring->s[0].t;
			continue;
		}
		/* The last reading at or before the window start, and the
		 * one after it (or the current reading). */
		for (i = 0; i + 1 < ring->n && ring->s[i + 1].t <= start; i++)
			;
		{
			const struct qn_sample *a = &ring->s[i];
			struct qn_sample b = {now, rx, tx};
			double f;

			if (i + 1 < ring->n)
				b = ring->s[i + 1];
			f = (start - a->t) / (b.t - a->t);
			brx = lerp(a->rx, b.rx, f);
			btx = lerp(a->tx, b.tx, f);
		}
		out[w].rx = round((double)rx - brx);
		out[w].tx = round((double)tx - btx);
		if (out[w].rx < 0)
			out[w].rx = 0;
		if (out[w].tx < 0)
			out[w].tx = 0;
		out[w].coverage = qn_windows[w].seconds;
	}
}

/* How far apart readings of a given age must be at least. */
static double min_spacing(double age)
{
	if (age <= 60)
		return 2;
	if (age <= 960)
		return 15;
	return 60;
}

void compute_ring_push(struct qn_ring *ring, double now, uint64_t rx,
		       uint64_t tx)
{
	struct qn_sample keep[QN_RING_MAX];
	size_t n = 0, first = 0;

	/* A reading within a millisecond of this one is replaced: the
	 * state keeps milliseconds, and must stay strictly increasing. */
	while (ring->n && ring->s[ring->n - 1].t > now - 0.001)
		ring->n--;
	if (ring->n == QN_RING_MAX) {
		/* Only reachable with a hand-made state: make room. */
		memmove(ring->s, ring->s + 1,
			(QN_RING_MAX - 1) * sizeof ring->s[0]);
		ring->n--;
	}
	ring->s[ring->n++] = (struct qn_sample){now, rx, tx};

	/* Everything before the newest reading older than the horizon is
	 * of no use to any window. */
	for (size_t i = 0; i < ring->n; i++)
		if (ring->s[i].t <= now - QN_HORIZON)
			first = i;
	/* Thin oldest first, so the readings kept stay put from run to run
	 * rather than shifting with the newest one. */
	for (size_t i = first; i < ring->n; i++) {
		const struct qn_sample *s = &ring->s[i];

		if (n && i + 1 < ring->n &&
		    s->t - keep[n - 1].t < min_spacing(now - s->t))
			continue;
		keep[n++] = *s;
	}
	memcpy(ring->s, keep, n * sizeof keep[0]);
	ring->n = n;
}

int windows_ring_decode(const char *text, struct qn_ring *ring)
{
	const char *p = text;

	ring->n = 0;
	while (*p) {
		char *end;
		double t;
		unsigned long long rx, tx;

		if (ring->n) {
			if (*p != ',')
				return -1;
			p++;
		}
		if (ring->n == QN_RING_MAX)
			return -1;
		if (*p == '-' || *p == '+')
			return -1;
		t = numtext_strtod(p, &end);
		if (end == p || *end != ':' || !isfinite(t) || t < 0)
			return -1;
		p = end + 1;
		if (*p < '0' || *p > '9')
			return -1;
		rx = numtext_strtou64(p, &end);
		if (*end != ':')
			return -1;
		p = end + 1;
		if (*p < '0' || *p > '9')
			return -1;
		tx = numtext_strtou64(p, &end);
		if (*end != ',' && *end != '\0')
			return -1;
		p = end;
		if (ring->n && (t <= ring->s[ring->n - 1].t ||
				rx < ring->s[ring->n - 1].rx ||
				tx < ring->s[ring->n - 1].tx))
			return -1;
		ring->s[ring->n++] = (struct qn_sample){t, rx, tx};
	}
	return 0;
}

int windows_ring_fmt(const struct qn_ring *ring, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return -1;
	buf[0] = '\0';
	for (size_t i = 0; i < ring->n; i++) {
		char t[NUMTEXT_MAX], rx[NUMTEXT_MAX], tx[NUMTEXT_MAX];
		size_t nt = numtext_ms(t, ring->s[i].t);
		size_t nr = numtext_u64(rx, ring->s[i].rx);
		size_t nx = numtext_u64(tx, ring->s[i].tx);
		size_t k = (i ? 1 : 0) + nt + 1 + nr + 1 + nx;
		char *p = buf + o;

		if (k >= len - o)
			return -1;
		if (i)
			*p++ = ',';
		memcpy(p, t, nt);
		p += nt;
		*p++ = ':';
		memcpy(p, rx, nr);
		p += nr;
		*p++ = ':';
		memcpy(p, tx, nx);
		p[nx] = '\0';
		o += k;
	}
	return (int)o;
}
