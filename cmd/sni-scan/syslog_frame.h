/* SPDX-License-Identifier: MIT */
/*
 * syslog_frame: find where HAProxy's own message starts in one log line,
 * whatever carried it there.  Detected per line, so a file that mixes
 * shapes (a relay restarted with another template) still parses:
 *
 *   raw         127.0.0.1:4711 [21/Nov/2026:...] ...   (log stdout format raw)
 *   priority    <134>127.0.0.1:4711 ...                 (format priority)
 *   RFC 3164    <134>Nov 21 23:18:32 haproxy[16592]: ...
 *               <134>Nov 21 23:18:32 host haproxy[16592]: ...
 *   rsyslog     Nov 21 23:18:32 host haproxy[16592]: ...    (no <PRI>)
 *   ISO 8601    2026-11-21T23:18:32.123456+00:00 host haproxy[16592]: ...
 *   RFC 5424    <134>1 2026-11-21T23:18:32.1Z host haproxy 16592 - - ...
 *
 * syslog_frame_strip() returns the offset of the message in line[0..len),
 * 0 for a raw line.  A line that starts like a frame but whose header is
 * cut short returns len (an empty message).  Pure: no allocation.
 */
#ifndef SYSLOG_FRAME_H
#define SYSLOG_FRAME_H

#include <stddef.h>

size_t syslog_frame_strip(const char *line, size_t len);

#endif
