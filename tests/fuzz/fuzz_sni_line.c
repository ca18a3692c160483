/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: log lines through framing, the matcher of every
 * preset (compared with the general matcher), name checks and the
 * counters.  The first byte picks the preset; the rest is split into
 * lines as logread would.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../cmd/sni-scan/counters.h"
#include "../../cmd/sni-scan/logformat.h"
#include "../../cmd/sni-scan/scan.h"
#include "promfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const presets[] = {"tcp-sni", "tcp-sni-tls",
					      "http-sni", "traffic-exporter"};
	struct logformat *lf;
	char err[256];

	if (size < 1)
		return 0;
	if (logformat_preset(presets[data[0] % 4], &lf, err, sizeof err))
		__builtin_trap();
	struct counters *c = counters_new(8);
	counters_keep(c, 1, data[0] & 0x40);
	struct scan s;
	struct scan_opts so = {.truncate_at = (data[0] & 0x80) ? 64 : 1024};
	scan_init(&s, lf, c, &so);
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t l = nl ? (size_t)(nl - p) : n;
		/* The preset's own reading (for tcp-sni, code made for it)
		 * gives what the general matcher gives. */
		struct lf_result a, g;
		enum lf_status st = logformat_match(lf, p, l, &a);
		if (logformat_match_general(lf, p, l, &g) != st ||
		    (st == LF_MATCH &&
		     (a.sni != g.sni || a.sni_len != g.sni_len ||
		      a.bytes_out != g.bytes_out || a.bytes_in != g.bytes_in ||
		      a.has_bytes_in != g.has_bytes_in ||
		      a.logasap != g.logasap || a.frontend != g.frontend ||
		      a.frontend_len != g.frontend_len ||
		      a.backend != g.backend || a.backend_len != g.backend_len ||
		      a.sni_hash_escaped != g.sni_hash_escaped)))
			__builtin_trap();
		scan_line(&s, p, l, 1000);
		if (!nl)
			break;
		p += l + 1;
		n -= l + 1;
	}
	scan_flush(&s, 1000);
	/* Whatever the input, the output must be valid exposition. */
	struct promfile *pf = promfile_new();
	if (counters_fmt(c, pf, 1, 1, 1) < 0)
		__builtin_trap();
	promfile_free(pf);
	counters_free(c);
	logformat_free(lf);
	return 0;
}
