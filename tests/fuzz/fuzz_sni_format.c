/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the log-format compiler, then the compiled matcher on
 * the remaining lines.  Input: the format up to the first newline, then
 * log lines.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/sni-scan/logformat.h"
#include "../../cmd/sni-scan/sni_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
			struct lf_result r;
			if (logformat_match(lf, p, l, &r) == LF_MATCH) {
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
