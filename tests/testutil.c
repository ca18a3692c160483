/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"

static const char *fixtures_dir(void)
{
	const char *d = getenv("PROMSNAP_FIXTURES");
	return d && *d ? d : "tests/fixtures";
}

static const char *vpath(char *buf, size_t len, const char *fmt, va_list ap)
{
	int k = snprintf(buf, len, "%s/", fixtures_dir());
	if (k > 0 && (size_t)k < len)
		vsnprintf(buf + k, len - (size_t)k, fmt, ap);
	return buf;
}

const char *tu_fixture_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vpath(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

char *tu_fixture(size_t *len, const char *fmt, ...)
{
	char path[4096], *buf = NULL;
	size_t n = 0;
	va_list ap;
	va_start(ap, fmt);
	vpath(path, sizeof path, fmt, ap);
	va_end(ap);
	if (readfile(path, (size_t)64 << 20, &buf, &n) < 0)
		ck_abort_msg("cannot read fixture %s", path);
	if (len)
		*len = n;
	return buf;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
