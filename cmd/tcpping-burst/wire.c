/* SPDX-License-Identifier: MIT */
#include "wire.h"

#include <string.h>

static const uint8_t magic[WIRE_MAGIC_LEN] = WIRE_MAGIC;

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void wire_encode(uint8_t out[WIRE_PROBE_LEN], const struct wire_probe *p)
{
	memcpy(out, magic, WIRE_MAGIC_LEN);
	put_le64(out + 8, p->seq);
	put_le64(out + 16, p->ts_ns);
}

int wire_decode(const uint8_t in[WIRE_PROBE_LEN], struct wire_probe *p)
{
	if (memcmp(in, magic, WIRE_MAGIC_LEN))
		return -1;
	p->seq = get_le64(in + 8);
	p->ts_ns = get_le64(in + 16);
	return 0;
}

int wire_prefix_ok(const uint8_t *buf, size_t n)
{
	if (n > WIRE_MAGIC_LEN)
		n = WIRE_MAGIC_LEN;
	return !memcmp(buf, magic, n);
}
