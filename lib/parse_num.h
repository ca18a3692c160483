/* SPDX-License-Identifier: MIT */
/*
 * parse_num: the one range-checked parser for numbers, durations and sizes
 * that every option and every config value goes through.
 *
 * Every function returns 0 and stores the result, or returns -1 with errno
 * set (EINVAL for syntax, ERANGE for out of range) and, when err is not
 * NULL, a one-line reason in err such as `expected an integer 1..65535,
 * got "http"`.  Nothing here prints or exits.
 */
#ifndef PROMSNAP_PARSE_NUM_H
#define PROMSNAP_PARSE_NUM_H

#include <stddef.h>

int parse_int(const char *s, long long min, long long max, long long *out,
	      char *err, size_t errlen);
int parse_double(const char *s, double min, double max, double *out,
		 char *err, size_t errlen);

/*
 * Durations in seconds: "500ms", "10s", "1m30s", "2h", "1d", "1.5" (plain
 * seconds), "250us", and "@every 10s" (cron's spelling).  Units: ns us ms s
 * m h d w.
 */
int parse_duration(const char *s, double min, double max, double *out,
		   char *err, size_t errlen);

/* Sizes in bytes: "1024", "64k", "64KiB", "10MB", "1G" (k = 1024). */
int parse_size(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out, char *err, size_t errlen);

/* The value of one hexadecimal digit (0-9, a-f, A-F), or -1. */
int parse_hex_digit(char c);

#endif
