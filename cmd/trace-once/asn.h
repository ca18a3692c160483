/* SPDX-License-Identifier: MIT */
/*
 * asn: the autonomous system number and organisation of a hop's address,
 * from a MaxMind DB in the GeoLite2-ASN layout (fields
 * autonomous_system_number and autonomous_system_organization).
 *
 *     struct asn_db *db;
 *     if (asn_open(&db, path, err, sizeof err)) ... warn once, db = NULL
 *     struct asn_info ai;
 *     asn_lookup(db, "1.0.0.1", &ai);   ai.asn "AS15169", ai.org "Google Inc."
 *     asn_close(db);
 *
 * asn_lookup never fails: a NULL db, text that is not an IP address
 * (checked with inet_pton first, since MMDB_lookup_string takes "1.2.3"
 * for 1.2.0.3), "???", a private, loopback or link-local address, an
 * address not in the database or a record without the field all give
 * "unknown".  The organisation is cut to ASN_ORG_MAX bytes on a UTF-8
 * character boundary; promfile escapes it when it becomes a label.
 */
#ifndef TRACE_ASN_H
#define TRACE_ASN_H

#include <stddef.h>

#define ASN_ORG_MAX 128

struct asn_db;

struct asn_info {
	char asn[16];		   /* "AS15169" or "unknown" */
	char org[ASN_ORG_MAX + 1]; /* or "unknown" */
};

/* 0, or -1 with errno set and a reason in err. */
int asn_open(struct asn_db **out, const char *path, char *err, size_t errlen);
void asn_close(struct asn_db *db);
void asn_lookup(const struct asn_db *db, const char *ip, struct asn_info *out);

/* 1 if the text is an address that no public ASN can own. */
int asn_is_private(const char *ip);

/* Copy at most max bytes of s into out (size max + 1) without cutting a
 * UTF-8 sequence in half. */
void asn_copy_utf8(char *out, const char *s, size_t slen, size_t max);

#endif
