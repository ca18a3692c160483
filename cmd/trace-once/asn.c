/* SPDX-License-Identifier: MIT */
#include "asn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Answers by address: the routers near the prober are hops of every
 * target, and one lookup costs two inet_pton, a tree walk and two record
 * decodes.  Direct-mapped; a collision is only a miss. */
#define ASN_MEMO 64

struct asn_memo {
	char ip[64]; /* "" unused; longer addresses are not kept */
	struct asn_info info;
};

struct asn_db {
	MMDB_s mmdb;
	struct asn_memo *memo; /* ASN_MEMO entries, on first use */
};

static struct asn_memo *memo_slot(const struct asn_db *db, const char *ip)
{
	uint32_t h = 2166136261u;

	for (const char *p = ip; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &db->memo[h % ASN_MEMO];
}

int asn_open(struct asn_db **out, const char *path, char *err, size_t errlen)
{
	struct asn_db *db = calloc(1, sizeof *db);
	int rc;

	*out = NULL;
	if (!db) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	rc = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
	if (rc != MMDB_SUCCESS) {
		int sys = rc == MMDB_IO_ERROR || rc == MMDB_FILE_OPEN_ERROR;
		int e = sys ? errno : EINVAL;

		snprintf(err, errlen, "%s: %s%s%s", path, MMDB_strerror(rc),
			 sys ? ": " : "", sys ? strerror(e) : "");
		free(db);
		errno = e;
		return -1;
	}
	*out = db;
	return 0;
}

void asn_close(struct asn_db *db)
{
	if (!db)
		return;
	MMDB_close(&db->mmdb);
	free(db->memo);
	free(db);
}

void asn_copy_utf8(char *out, const char *s, size_t slen, size_t max)
{
	size_t n = slen < max ? slen : max;

	/* Step back over continuation bytes so the cut falls between
	 * characters. */
	if (n < slen)
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	memcpy(out, s, n);
	out[n] = 0;
}

int asn_is_private(const char *ip)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, ip, a) == 1) {
		return a[0] == 0 || a[0] == 10 || a[0] == 127 ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64) ||
		       (a[0] == 169 && a[1] == 254) ||
		       (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || a[0] >= 224;
	}
	if (inet_pton(AF_INET6, ip, a) == 1) {
		static const unsigned char loop[16] = {[15] = 1};
		static const unsigned char any[16];

		return !memcmp(a, loop, 16) || !memcmp(a, any, 16) ||
		       (a[0] & 0xfe) == 0xfc || /* fc00::/7 */
		       (a[0] == 0xfe &&
			(a[1] & 0xc0) == 0x80) || /* fe80::/10 */
		       a[0] == 0xff;		  /* multicast */
	}
	return 0;
}

static void lookup(const struct asn_db *db, const char *ip,
		   struct asn_info *out);

void asn_lookup(const struct asn_db *db, const char *ip, struct asn_info *out)
{
	struct asn_memo *m;

	if (!db || !*ip || strlen(ip) >= sizeof m->ip) {
		lookup(db, ip, out);
		return;
	}
	/* The memo is a cache, not state: a const db may fill it. */
	if (!db->memo) {
		((struct asn_db *)db)->memo = calloc(ASN_MEMO, sizeof *m);
		if (!db->memo) {
			lookup(db, ip, out);
			return;
		}
	}
	m = memo_slot(db, ip);
	if (strcmp(m->ip, ip)) {
		lookup(db, ip, &m->info);
		strcpy(m->ip, ip);
	}
	*out = m->info;
}

static void lookup(const struct asn_db *db, const char *ip,
		   struct asn_info *out)
{
	MMDB_lookup_result_s res;
	MMDB_entry_data_s data;
	struct sockaddr_in6 s6 = {0};
	struct sockaddr_in s4 = {0};
	const struct sockaddr *sa;
	int mmerr;

	strcpy(out->asn, "unknown");
	strcpy(out->org, "unknown");
	if (!db || asn_is_private(ip))
		return;
	/* inet_pton, not MMDB_lookup_string: that one takes "1.2.3" for
	 * 1.2.0.3, and its getaddrinfo costs more than the lookup. */
	if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		sa = (const struct sockaddr *)&s4;
	} else if (inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		sa = (const struct sockaddr *)&s6;
	} else {
		return;
	}
	res = MMDB_lookup_sockaddr((MMDB_s *)&db->mmdb, sa, &mmerr);
	if (mmerr != MMDB_SUCCESS || !res.found_entry)
		return;
	if (MMDB_get_value(&res.entry, &data, "autonomous_system_number",
			   NULL) == MMDB_SUCCESS &&
	    data.has_data && data.type == MMDB_DATA_TYPE_UINT32 &&
	    data.uint32 > 0)
		snprintf(out->asn, sizeof out->asn, "AS%u",
			 (unsigned)data.uint32);
	else
		return; /* an organisation without a number is no ASN */
	if (MMDB_get_value(&res.entry, &data, "autonomous_system_organization",
			   NULL) == MMDB_SUCCESS &&
	    data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING &&
	    data.data_size > 0)
		asn_copy_utf8(out->org, data.utf8_string, data.data_size,
			      ASN_ORG_MAX);
}
