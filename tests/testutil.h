/* SPDX-License-Identifier: MIT */
/*
 * testutil: what every Check suite needs, in one place.
 *
 * Fixtures live under $PROMSNAP_FIXTURES (set by tests/run-all.sh; default
 * "tests/fixtures", relative to the repository root).  tu_fixture() fails
 * the running test (ck_abort) when the file is missing, so a typo in a
 * fixture name cannot pass silently.
 */
#ifndef PROMSNAP_TESTUTIL_H
#define PROMSNAP_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* The path of a fixture, formatted like printf, into buf. */
const char *tu_fixture_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The whole fixture, malloc'd and NUL-terminated; *len may be NULL. */
char *tu_fixture(size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Run a suite (fork mode unless CK_FORK=no) and return main()'s exit
 * status. */
int tu_run(Suite *s);

#endif
