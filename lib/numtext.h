/* SPDX-License-Identifier: MIT */
/*
 * numtext: numbers of state files and counters, to and from text, by hand.
 * qemu-netsnap's state holds a ring of ~140 timestamped readings per VM,
 * trace-once's and tcpping-burst's thousands of counters, written and read
 * on every run: with printf and strtod this was a third of a tool's own
 * instructions.  Each function gives exactly what its libc counterpart
 * gives (check_numtext and fuzz_numtext compare them), taking the libc
 * path itself where the short one cannot promise that.  Pure.
 *
 *     char buf[NUMTEXT_MAX];
 *     size_t n = numtext_ms(buf, t);      snprintf "%.3f"
 *     n = numtext_u64(buf, v);            snprintf "%llu"
 *     t = numtext_strtod(s, &end);        strtod
 *     v = numtext_strtou64(s, &end);      strtoull(s, &end, 10)
 */
#ifndef PROMSNAP_NUMTEXT_H
#define PROMSNAP_NUMTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Room for any output of these functions, with its NUL. */
#define NUMTEXT_MAX 352

/* Writes the digits and a NUL into buf; returns the length. */
size_t numtext_u64(char *buf, uint64_t v);
/* "%.3f" of t into buf; returns the length. */
size_t numtext_ms(char *buf, double t);
/* strtod(s, end), decimal digits with at most one '.' read directly. */
double numtext_strtod(const char *s, char **end);
/* That direct reading alone: 1 with *v and *end set when s starts with
 * such a decimal, 0 (nothing set) when only strtod can say. */
int numtext_strtod_exact(const char *s, double *v, char **end);
/* strtoull(s, end, 10), up to 19 digits read directly. */
uint64_t numtext_strtou64(const char *s, char **end);

#endif
