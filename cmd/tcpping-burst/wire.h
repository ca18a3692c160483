/* SPDX-License-Identifier: MIT */
/*
 * wire: the 24-byte probe of the Go tcp_ping_prometheus daemon, which
 * tcpping-burst speaks byte for byte in both directions.
 *
 *     offset  0  8 bytes  magic "TCPPING\0"
 *     offset  8  8 bytes  sequence number, little-endian uint64
 *     offset 16  8 bytes  client timestamp, Unix ns, little-endian uint64
 *
 * An echo server sends the 24 bytes back unchanged.  Pure code: no
 * syscalls, no clock.  wire_decode() returns -1 (nothing stored) when the
 * magic is wrong; everything else about a record is the caller's to judge.
 */
#ifndef TCPPING_WIRE_H
#define TCPPING_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_PROBE_LEN 24
#define WIRE_MAGIC "TCPPING"	/* plus its terminating NUL: 8 bytes */
#define WIRE_MAGIC_LEN 8

struct wire_probe {
	uint64_t seq;
	uint64_t ts_ns;
};

void wire_encode(uint8_t out[WIRE_PROBE_LEN], const struct wire_probe *p);
int wire_decode(const uint8_t in[WIRE_PROBE_LEN], struct wire_probe *p);

/*
 * 1 if the first n bytes of a record (n may be below 24) can still be the
 * start of a valid probe, 0 if the magic already differs: lets the server
 * close a connection on its first wrong byte instead of buffering.
 */
int wire_prefix_ok(const uint8_t *buf, size_t n);

#endif
