/* SPDX-License-Identifier: MIT */
/*
 * sni_name: turn the server name a client sent (untrusted bytes) into a
 * label value that is safe to keep as a Prometheus series.
 *
 * sni_name_normalize() lowercases the name and checks it against hostname
 * syntax: letters, digits, '-', '.', '_' and '*', 1..253 bytes.  It writes
 * the lowercased name into out (at least SNI_NAME_MAX + 1 bytes) and
 * returns SNI_OK, or returns SNI_NONE for an absent name (empty or "-",
 * what HAProxy logs when the variable was never set) or SNI_INVALID for
 * anything else; out then holds "none" or "invalid", the label values the
 * metrics use.  Pure: no allocation, no globals.
 */
#ifndef SNI_NAME_H
#define SNI_NAME_H

#include <stddef.h>

#define SNI_NAME_MAX 253

enum sni_kind { SNI_OK, SNI_NONE, SNI_INVALID };

enum sni_kind sni_name_normalize(const char *in, size_t len, char *out);

#endif
