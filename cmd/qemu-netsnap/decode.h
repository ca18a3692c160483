/* SPDX-License-Identifier: MIT */
/*
 * decode: bytes read from /proc and /sys into structs, for qemu-netsnap.
 * Pure: no syscalls, no globals, no clock; every input is untrusted
 * (another user's command line, a file that changed under us) and every
 * output is bounded.
 *
 *   decode_cmdline()       /proc/<pid>/cmdline -> is it QEMU, VM id, name
 *   decode_fdinfo_iff()    /proc/<pid>/fdinfo/<fd> -> tap name ("iff:")
 *   decode_fd_target()     readlink(/proc/<pid>/fd/<fd>) -> tun / macvtap
 *   decode_netdev()        /proc/<pid>/net/dev -> counters of one device
 *   decode_stat_starttime() /proc/<pid>/stat -> start time in ticks
 *   decode_netns()         readlink(/proc/<pid>/ns/net) -> inode number
 *   decode_u64()           one sysfs counter file
 *
 * Each returns 0 on success (or 1 for "not found / not QEMU" where
 * documented) and -1 on malformed input; none sets errno.
 */
#ifndef QEMU_NETSNAP_DECODE_H
#define QEMU_NETSNAP_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Label values are bounded so that a hostile command line cannot blow up
 * the .prom file or the state. */
#define QN_ID_MAX      129 /* uuid label, with NUL */
#define QN_NAME_MAX    129 /* name label, with NUL */
#define QN_IFNAME_MAX  16  /* IFNAMSIZ */
#define QN_RULES_MAX   16
#define QN_PATTERN_MAX 64

/*
 * How the VM id (the uuid label) is found.  Rules are tried in order and
 * the first that matches any argument wins; when none matches the id is
 * "pid-<pid>".
 *   QN_RULE_MATCH: `match` is a literal with one placeholder, '*' (one
 *       or more of [A-Za-z0-9._:-]) or '#' (one or more digits), searched
 *       for in every argument; the label is `label` with its placeholder
 *       replaced by what matched ("*" when label is empty).
 *   QN_RULE_UUID: the argument of -uuid.
 *   QN_RULE_NAME: the guest name of -name (guest=NAME or a bare NAME).
 */
enum qn_rule_kind { QN_RULE_MATCH, QN_RULE_UUID, QN_RULE_NAME };

struct qn_rule {
	enum qn_rule_kind kind;
	char match[QN_PATTERN_MAX];
	char label[QN_PATTERN_MAX];
};

struct qn_rules {
	size_t n;
	struct qn_rule r[QN_RULES_MAX];
};

/* The built-in order: run/vm/<UUID>/, guest-cid=N -> CID-N, -uuid, -name. */
void qn_rules_default(struct qn_rules *rules);
/* Check one rule's syntax (exactly one placeholder in match, at most one
 * and the same one in label).  Returns 0 or -1 with a reason in err. */
int qn_rule_check(const struct qn_rule *rule, char *err, size_t errlen);

struct qn_cmdline {
	char id[QN_ID_MAX];	/* the uuid label */
	char name[QN_NAME_MAX]; /* from -name, "" if none */
};

/*
 * buf holds argv as the kernel gives it (NUL-separated, maybe without the
 * final NUL, maybe truncated).  Returns 1 if argv[0]'s basename is not
 * qemu-system-*, qemu-kvm or kvm (out untouched), 0 if it is (out filled;
 * pid is used for the "pid-<pid>" fallback).
 */
int decode_cmdline(const char *buf, size_t len, const struct qn_rules *rules,
		   int pid, struct qn_cmdline *out);
/* Only the argv[0] test of decode_cmdline (cheap; for the scan loop). */
int decode_is_qemu(const char *buf, size_t len);

/* Finds the "iff:\t<name>" line of a tun fd's fdinfo.  Returns 0 with the
 * name in ifname, 1 if there is no such line, -1 if the name is invalid. */
int decode_fdinfo_iff(const char *buf, size_t len, char ifname[QN_IFNAME_MAX]);

enum qn_fd_kind { QN_FD_OTHER, QN_FD_TUN, QN_FD_MACVTAP };
/* "/dev/net/tun" -> QN_FD_TUN; "/dev/tapN" -> QN_FD_MACVTAP with
 * *ifindex = N (macvtap names its char device after the ifindex). */
enum qn_fd_kind decode_fd_target(const char *target, int *ifindex);

/* Counters of one interface as the host sees them (device view). */
struct qn_devstats {
	uint64_t rx_bytes, rx_packets, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_dropped;
};

/* Looks for ifname in a /proc/net/dev text.  0 found, 1 absent, -1 the
 * line for ifname is malformed. */
int decode_netdev(const char *buf, size_t len, const char *ifname,
		  struct qn_devstats *out);

/* Every device line of a net/dev text, sorted by name, in a malloc'd
 * array (free() it), for many lookups in one big file.  Malformed lines
 * are left out.  Returns the count, or -1 (ENOMEM). */
struct qn_netdev_entry {
	char name[QN_IFNAME_MAX];
	struct qn_devstats s;
};
ssize_t decode_netdev_all(const char *buf, size_t len,
			  struct qn_netdev_entry **out);
const struct qn_netdev_entry *qn_netdev_find(const struct qn_netdev_entry *e,
					     size_t n, const char *name);

/* Field 22 of /proc/<pid>/stat (after the last ')', since comm may hold
 * spaces and parentheses). */
int decode_stat_starttime(const char *buf, size_t len, uint64_t *out);

/* "net:[4026531840]" -> 4026531840. */
int decode_netns(const char *link, uint64_t *out);

/* A sysfs number: decimal digits, optional trailing newline. */
int decode_u64(const char *buf, size_t len, uint64_t *out);

/* A valid interface name as the kernel allows it (1..15 bytes, no '/',
 * ':' or whitespace, not "." or ".."). */
int qn_valid_ifname(const char *s);

#endif
