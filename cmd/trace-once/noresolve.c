/* SPDX-License-Identifier: MIT */
/*
 * trace-once never resolves a name itself: mtr does.  libmaxminddb's
 * MMDB_lookup_string calls getaddrinfo, and although trace-once only calls
 * MMDB_lookup_sockaddr (asn.c checks the text with inet_pton), the static
 * link takes that object whole.  The optimised binary is linked with
 * --wrap=getaddrinfo,--wrap=freeaddrinfo (build.mk), so these stand in and
 * glibc's resolver and NSS, which a static program cannot load, stay out.
 * Should a future call reach them, it fails as an unresolvable name would.
 */
#include <netdb.h>
#include <stddef.h>

int __wrap_getaddrinfo(const char *node, const char *service,
		       const struct addrinfo *hints, struct addrinfo **res);
void __wrap_freeaddrinfo(struct addrinfo *ai);

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
