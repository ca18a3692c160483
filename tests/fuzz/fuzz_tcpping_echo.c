/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a hostile echo stream against one burst.  Ten probes
 * are sent; the input is read back as 24-byte records, with the clock
 * advancing 1 ms per record and timeouts expiring on the way.  Whatever
 * the peer sends, a probe is answered at most once, every answer is one
 * that was sent, and the counts add up. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/tcpping-burst/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rto_params p = {.initial = 0.005, .min = 0.001,
					    .max = 1, .granularity = 1e-6,
					    .adaptive = 1};
	struct slot slots[10];
	struct session s;
	struct rto r;
	double now = 100, rtt;
	unsigned answers = 0;
	uint8_t probe[WIRE_PROBE_LEN];

	rto_init(&r, &p);
	/* The sequence base comes from the input too, so wrap-around at
	 * 2^64 is explored. */
	uint64_t base = 0;
	if (size >= 8) {
		memcpy(&base, data, 8);
		data += 8;
		size -= 8;
	}
	session_init(&s, slots, 10, base, now, 0.002, &r, &p);
	for (size_t off = 0; off + WIRE_PROBE_LEN <= size;
	     off += WIRE_PROBE_LEN) {
		while (session_send_due(&s, now))
			session_send(&s, now, (uint64_t)(now * 1e9), probe);
		if (session_on_echo(&s, data + off, now, &rtt) ==
		    ECHO_RECEIVED) {
			answers++;
			if (rtt < 0 || rtt > 1e6)
				abort();
		}
		session_expire(&s, now);
		now += 0.001;
	}
	if (answers != s.received || s.received > s.nsent ||
	    s.received + s.timeouts > s.nsent ||
	    r.rto < p.min || r.rto > p.max)
		abort();
	return 0;
}
