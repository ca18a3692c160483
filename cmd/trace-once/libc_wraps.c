/* SPDX-License-Identifier: MIT */
/*
 * Stand-ins for libc functions: trace-once is linked with --wrap for each
 * (trace-once_WRAPS in build.mk), so every call to f from the program and
 * from the static libraries in it goes to __wrap_f, and __real_f is
 * libc's.  (In the sanitizer build jansson is a shared library and keeps
 * calling libc's strtod; the program's own calls still come here.)
 *
 * getaddrinfo, freeaddrinfo: trace-once never resolves a name itself
 * (mtr does).  libmaxminddb's MMDB_lookup_string calls getaddrinfo, and
 * although trace-once only calls MMDB_lookup_sockaddr (asn.c checks the
 * text with inet_pton), the static link takes that object whole; without
 * these, glibc's resolver and NSS, which a static program cannot load,
 * would come along.  Should a call ever reach them, it fails as an
 * unresolvable name would.
 *
 * strtod: jansson reads every JSON number with it, seven per hop of a
 * report, and glibc's takes its multi-precision path even for "0.105";
 * that was a tenth of trace-once's own instructions.  A plain decimal of
 * at most 15 digits is read exactly by numtext_strtod_exact (the same
 * double strtod gives: lib/numtext.c, checked against glibc in
 * check_numtext); anything else still goes to glibc's strtod.
 */
#include <netdb.h>
#include <stddef.h>

#include "numtext.h"

int __wrap_getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res);
void __wrap_freeaddrinfo(struct addrinfo *ai);
double __wrap_strtod(const char *s, char **end);
double __real_strtod(const char *s, char **end);

int __wrap_getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	*res = NULL;
	return EAI_NONAME;
}

void __wrap_freeaddrinfo(struct addrinfo *ai)
{
	(void)ai;
}

double __wrap_strtod(const char *s, char **end)
{
	double v;
	char *e;

	if (numtext_strtod_exact(s, &v, &e)) {
		if (end)
			*end = e;
		return v;
	}
	return __real_strtod(s, end);
}
