/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the command-line side of tcpping-burst: -t specs and
 * the Go daemon's single-dash flags.  The input is split at NUL bytes into
 * arguments; each is also parsed as a target spec. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cmd/tcpping-burst/compat.h"
#include "../../cmd/tcpping-burst/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[65];
	int argc = 0, n = 0;
	char **out;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = (char *)"tcpping-burst";
	for (size_t i = 0; i <= size && argc < 64;) {
		struct target t;
		char err[256];
		size_t len = strlen(buf + i);
		argv[argc++] = buf + i;
		if (target_parse_spec(buf + i, &t, err, sizeof err) == 0 &&
		    (!t.name[0] || !t.host[0] || strlen(t.name) > TARGET_NAME_MAX))
			abort();
		i += len + 1;
	}
	argv[argc] = NULL;
	out = compat_argv(argc, argv, &n);
	if (out) {
		if (n > argc || out[n])
			abort();
		compat_free(out, n);
	}
	free(buf);
	return 0;
}
