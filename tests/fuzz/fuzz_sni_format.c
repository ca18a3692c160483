/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the log-format compiler, then the compiled matcher on
 * the remaining lines, whose one-pass readings (by steps, by segments)
 * must give what the general matcher gives.  Input: the format up to the
 * first newline, then log lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/sni-scan/logformat.h"
#include "../../cmd/sni-scan/sni_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const struct lf_result *a, const struct lf_result *b)
{
	return a->sni == b->sni && a->sni_len == b->sni_len &&
	       a->sni_hash_escaped == b->sni_hash_escaped &&
	       a->bytes_out == b->bytes_out && a->bytes_in == b->bytes_in &&
	       a->has_bytes_in == b->has_bytes_in &&
	       a->logasap == b->logasap && a->frontend == b->frontend &&
	       a->frontend_len == b->frontend_len &&
	       a->backend == b->backend && a->backend_len == b->backend_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t flen = nl ? (size_t)(nl - (const char *)data) : size;
	char *fmt = malloc(flen + 1);
	struct logformat *lf;
	char err[512];

	if (!fmt)
		return 0;
	memcpy(fmt, data, flen);
	fmt[flen] = 0;
	if (logformat_compile(fmt, &lf, err, sizeof err) == 0) {
		const char *p = nl ? nl + 1 : (const char *)data + size;
		size_t n = (size_t)((const char *)data + size - p);
		while (n) {
			const char *e = memchr(p, '\n', n);
			size_t l = e ? (size_t)(e - p) : n;
			struct lf_result r, g, w;
			enum lf_status st = logformat_match(lf, p, l, &r);
			if (logformat_match_general(lf, p, l, &g) != st ||
			    (st == LF_MATCH && !same(&r, &g)))
				__builtin_trap();
			/* Byte classes 16 bytes a step as well as 32. */
			int wide = logformat_set_wide(lf, 0);
			if (logformat_match(lf, p, l, &w) != st ||
			    (st == LF_MATCH && !same(&r, &w)))
				__builtin_trap();
			logformat_set_wide(lf, wide);
			/* Read by segments, for any format that has them. */
			if (logformat_set_segments(lf, 1)) {
				if (logformat_match(lf, p, l, &w) != st ||
				    (st == LF_MATCH && !same(&r, &w)))
					__builtin_trap();
				logformat_set_segments(lf, 0);
			}
			if (st == LF_MATCH) {
				char name[SNI_NAME_MAX + 1];
				/* Results point inside the line. */
				if (r.sni_len > l || (r.sni_len && (r.sni < p ||
				    r.sni + r.sni_len > p + l)))
					__builtin_trap();
				sni_name_normalize(r.sni, r.sni_len, name);
			}
			if (!e)
				break;
			p += l + 1;
			n -= l + 1;
		}
		logformat_free(lf);
	}
	free(fmt);
	return 0;
}
