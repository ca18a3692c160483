/* SPDX-License-Identifier: MIT */
#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Command lines of libvirt guests run to a few kilobytes; 4096 arguments
 * is far beyond any real one and bounds the work on a hostile one. */
#define QN_MAX_ARGS 4096

struct arg {
	const char *p;
	size_t len;
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The characters a '*' placeholder captures: those of UUIDs, names and
 * CIDs, and nothing that could end a path component or an option. */
static int is_idchar(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == ':' ||
	       c == '-' || c == '@' || c == '+';
}

void qn_rules_default(struct qn_rules *rules)
{
	memset(rules, 0, sizeof *rules);
	rules->r[0].kind = QN_RULE_MATCH;
	strcpy(rules->r[0].match, "run/vm/*/");
	rules->r[1].kind = QN_RULE_MATCH;
	strcpy(rules->r[1].match, "guest-cid=#");
	strcpy(rules->r[1].label, "CID-#");
	rules->r[2].kind = QN_RULE_UUID;
	rules->r[3].kind = QN_RULE_NAME;
	rules->n = 4;
}

static size_t count_placeholders(const char *s, char *which)
{
	size_t n = 0;

	for (; *s; s++)
		if (*s == '*' || *s == '#') {
			n++;
			*which = *s;
		}
	return n;
}

int qn_rule_check(const struct qn_rule *rule, char *err, size_t errlen)
{
	char pm = 0, pl = 0;
	size_t nl;

	if (rule->kind != QN_RULE_MATCH)
		return 0;
	if (count_placeholders(rule->match, &pm) != 1) {
		snprintf(err, errlen,
			 "match \"%s\" must hold exactly one '*' or '#'",
			 rule->match);
		return -1;
	}
	nl = count_placeholders(rule->label, &pl);
	if (nl > 1 || (nl == 1 && pl != pm)) {
		snprintf(err, errlen,
			 "label \"%s\" may hold only the placeholder '%c' of "
			 "its match, once",
			 rule->label, pm);
		return -1;
	}
	if (nl == 0 && rule->label[0]) {
		snprintf(err, errlen,
			 "label \"%s\" must hold the placeholder '%c' (a "
			 "fixed label would give every VM the same id)",
			 rule->label, pm);
		return -1;
	}
	return 0;
}

static const char *basename_of(const char *p, size_t len, size_t *blen)
{
	const char *b = p;

	for (size_t i = 0; i < len; i++)
		if (p[i] == '/')
			b = p + i + 1;
	*blen = len - (size_t)(b - p);
	return b;
}

int decode_is_qemu(const char *buf, size_t len)
{
	const char *nul = memchr(buf, '\0', len);
	size_t alen = nul ? (size_t)(nul - buf) : len;
	size_t blen;
	const char *b = basename_of(buf, alen, &blen);

	if (blen > 12 && !memcmp(b, "qemu-system-", 12))
		return 1;
	if (blen == 8 && !memcmp(b, "qemu-kvm", 8))
		return 1;
	if (blen == 3 && !memcmp(b, "kvm", 3))
		return 1;
	return 0;
}

static size_t split_args(const char *buf, size_t len, struct arg *args,
			 size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		const char *nul = memchr(buf + i, '\0', len - i);
		size_t alen = nul ? (size_t)(nul - (buf + i)) : len - i;

		args[n].p = buf + i;
		args[n].len = alen;
		n++;
		i += alen + 1;
	}
	return n;
}

/* Copy what a placeholder captured into the label template.  Returns 0,
 * or -1 if the result would not fit (never truncated: two long ids cut
 * to one prefix would merge two VMs). */
static int apply_label(const char *tmpl, char ph, const char *cap,
		       size_t caplen, char *out, size_t outlen)
{
	size_t o = 0;

	if (!tmpl[0]) {
		if (caplen >= outlen)
			return -1;
		memcpy(out, cap, caplen);
		out[caplen] = '\0';
		return 0;
	}
	for (const char *t = tmpl; *t; t++) {
		if (*t == ph) {
			if (o + caplen >= outlen)
				return -1;
			memcpy(out + o, cap, caplen);
			o += caplen;
		} else {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *t;
		}
	}
	out[o] = '\0';
	return 0;
}

/* Try a match rule at every occurrence of its prefix in one argument. */
static int match_arg(const struct qn_rule *rule, const struct arg *a, char *out,
		     size_t outlen)
{
	const char *m = rule->match;
	const char *ph = strpbrk(m, "*#");
	size_t prelen = (size_t)(ph - m);
	const char *post = ph + 1;
	size_t postlen = strlen(post);

	for (size_t start = 0; start + prelen <= a->len; start++) {
		size_t i, clen = 0;

		if (memcmp(a->p + start, m, prelen))
			continue;
		i = start + prelen;
		while (i + clen < a->len &&
		       (*ph == '#' ? is_digit(a->p[i + clen])
				   : is_idchar(a->p[i + clen])))
			clen++;
		if (!clen)
			continue;
		if (postlen && (i + clen + postlen > a->len ||
				memcmp(a->p + i + clen, post, postlen)))
			continue;
		if (apply_label(rule->label, *ph, a->p + i, clen, out,
				outlen) == 0)
			return 0;
	}
	return 1;
}

static int arg_is(const struct arg *a, const char *opt)
{
	size_t l = strlen(opt);

	/* QEMU accepts both -opt and --opt. */
	if (a->len == l && !memcmp(a->p, opt, l))
		return 1;
	return a->len == l + 1 && a->p[0] == '-' && !memcmp(a->p + 1, opt, l);
}

static int valid_label_bytes(const char *p, size_t len)
{
	if (!len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * The guest name in a -name argument: QEMU's option syntax, where the
 * first element may omit "guest=" and ",," stands for a comma.  Returns 0
 * with the unescaped name in out, -1 if there is none or it is too long.
 */
static int parse_name_opt(const struct arg *a, char *out, size_t outlen)
{
	size_t i = 0;
	int first = 1;

	while (i <= a->len) {
		size_t j = i, vl = 0, vs;
		int has_eq = 0, is_guest;

		/* The element's extent: up to a single comma. */
		while (j < a->len) {
			if (a->p[j] == ',') {
				if (j + 1 < a->len && a->p[j + 1] == ',') {
					j += 2;
					continue;
				}
				break;
			}
			if (a->p[j] == '=')
				has_eq = 1;
			j++;
		}
		is_guest = 0;
		vs = i;
		if (j - i > 6 && !memcmp(a->p + i, "guest=", 6)) {
			is_guest = 1;
			vs = i + 6;
		} else if (first && !has_eq) {
			is_guest = 1;
		}
		if (is_guest) {
			for (size_t k = vs; k < j; k++) {
				if (vl + 1 >= outlen)
					return -1;
				out[vl++] = a->p[k];
				if (a->p[k] == ',')
					k++; /* ",," -> "," */
			}
			out[vl] = '\0';
			return valid_label_bytes(out, vl) ? 0 : -1;
		}
		first = 0;
		i = j + 1;
	}
	return -1;
}

static int find_option(const struct arg *args, size_t n, const char *opt)
{
	for (size_t i = 1; i + 1 < n; i++)
		if (arg_is(&args[i], opt))
			return (int)(i + 1);
	return -1;
}

int decode_cmdline(const char *buf, size_t len, const struct qn_rules *rules,
		   int pid, struct qn_cmdline *out)
{
	struct arg args[QN_MAX_ARGS];
	size_t n;
	int k;

	if (!decode_is_qemu(buf, len))
		return 1;
	n = split_args(buf, len, args, QN_MAX_ARGS);
	memset(out, 0, sizeof *out);

	k = find_option(args, n, "-name");
	if (k >= 0 && parse_name_opt(&args[k], out->name, sizeof out->name))
		out->name[0] = '\0';

	for (size_t r = 0; r < rules->n; r++) {
		const struct qn_rule *rule = &rules->r[r];

		switch (rule->kind) {
		case QN_RULE_MATCH:
			for (size_t i = 1; i < n; i++)
				if (match_arg(rule, &args[i], out->id,
					      sizeof out->id) == 0)
					return 0;
			break;
		case QN_RULE_UUID:
			k = find_option(args, n, "-uuid");
			if (k >= 0 && args[k].len > 0 &&
			    args[k].len < sizeof out->id) {
				size_t i;

				for (i = 0; i < args[k].len; i++)
					if (!is_idchar(args[k].p[i]))
						break;
				if (i == args[k].len) {
					memcpy(out->id, args[k].p, args[k].len);
					out->id[args[k].len] = '\0';
					return 0;
				}
			}
			break;
		case QN_RULE_NAME:
			if (out->name[0]) {
				strcpy(out->id, out->name);
				return 0;
			}
			break;
		}
	}
	snprintf(out->id, sizeof out->id, "pid-%d", pid);
	return 0;
}

int qn_valid_ifname(const char *s)
{
	size_t l = strlen(s);

	if (l == 0 || l >= QN_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || (unsigned char)*s <= 0x20 ||
		    *s == 0x7f)
			return 0;
	return 1;
}

int decode_fdinfo_iff(const char *buf, size_t len, char ifname[QN_IFNAME_MAX])
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - (buf + i)) : len - i;
		const char *l = buf + i;

		if (ll >= 4 && !memcmp(l, "iff:", 4)) {
			size_t s = 4, e;

			while (s < ll && (l[s] == '\t' || l[s] == ' '))
				s++;
			e = ll;
			if (e - s == 0 || e - s >= QN_IFNAME_MAX)
				return -1;
			memcpy(ifname, l + s, e - s);
			ifname[e - s] = '\0';
			if (memchr(ifname, '\0', e - s) ||
			    !qn_valid_ifname(ifname))
				return -1;
			return 0;
		}
		i += ll + 1;
	}
	return 1;
}

enum qn_fd_kind decode_fd_target(const char *target, int *ifindex)
{
	const char *p;
	long v = 0;

	if (!strcmp(target, "/dev/net/tun"))
		return QN_FD_TUN;
	if (strncmp(target, "/dev/tap", 8))
		return QN_FD_OTHER;
	p = target + 8;
	if (!*p || *p == '0')
		return QN_FD_OTHER;
	for (; *p; p++) {
		if (!is_digit(*p))
			return QN_FD_OTHER;
		v = v * 10 + (*p - '0');
		if (v > 0x7fffffff)
			return QN_FD_OTHER;
	}
	*ifindex = (int)v;
	return QN_FD_MACVTAP;
}

/* Parse one unsigned decimal, skipping leading blanks.  Advances *i. */
static int next_u64(const char *l, size_t ll, size_t *i, uint64_t *out)
{
	uint64_t v = 0;
	size_t j = *i, start;

	while (j < ll && (l[j] == ' ' || l[j] == '\t'))
		j++;
	start = j;
	while (j < ll && is_digit(l[j])) {
		unsigned d = (unsigned)(l[j] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		j++;
	}
	if (j == start)
		return -1;
	*i = j;
	*out = v;
	return 0;
}

/* One line of a net/dev text: 1 if it is not a device line (the two
 * header lines), 0 with the name and counters, -1 if malformed. */
static int netdev_line(const char *l, size_t ll, char name[QN_IFNAME_MAX],
		       struct qn_devstats *out)
{
	const char *colon = memchr(l, ':', ll);
	size_t s = 0, nlen;
	uint64_t f[16];
	size_t j;

	if (!colon)
		return 1;
	while (l + s < colon && l[s] == ' ')
		s++;
	nlen = (size_t)(colon - (l + s));
	if (nlen == 0 || nlen >= QN_IFNAME_MAX)
		return -1;
	memcpy(name, l + s, nlen);
	name[nlen] = '\0';
	j = (size_t)(colon - l) + 1;
	for (int k = 0; k < 16; k++)
		if (next_u64(l, ll, &j, &f[k]))
			return -1;
	out->rx_bytes = f[0];
	out->rx_packets = f[1];
	out->rx_dropped = f[3];
	out->tx_bytes = f[8];
	out->tx_packets = f[9];
	out->tx_dropped = f[11];
	return 0;
}

int decode_netdev(const char *buf, size_t len, const char *ifname,
		  struct qn_devstats *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - (buf + i)) : len - i;
		const char *l = buf + i;
		char name[QN_IFNAME_MAX];
		struct qn_devstats d;
		int rc;

		i += ll + 1;
		rc = netdev_line(l, ll, name, &d);
		if (rc == 1)
			continue;
		if (rc == 0 && !strcmp(name, ifname)) {
			*out = d;
			return 0;
		}
		if (rc < 0) {
			/* Malformed: only an error if it is the line we are
			 * looking for. */
			const char *colon = memchr(l, ':', ll);
			size_t s = 0;

			while (s < ll && l[s] == ' ')
				s++;
			if (colon &&
			    (size_t)(colon - (l + s)) == strlen(ifname) &&
			    !memcmp(l + s, ifname, strlen(ifname)))
				return -1;
		}
	}
	return 1;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct qn_netdev_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

ssize_t decode_netdev_all(const char *buf, size_t len,
			  struct qn_netdev_entry **out)
{
	size_t i = 0, n = 0, cap = 0;
	struct qn_netdev_entry *e = NULL;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - (buf + i)) : len - i;
		struct qn_netdev_entry cur;

		memset(&cur, 0, sizeof cur);
		if (netdev_line(buf + i, ll, cur.name, &cur.s) == 0) {
			if (n == cap) {
				struct qn_netdev_entry *ne;

				cap = cap ? cap * 2 : 64;
				ne = realloc(e, cap * sizeof *e);
				if (!ne) {
					free(e);
					return -1;
				}
				e = ne;
			}
			e[n++] = cur;
		}
		i += ll + 1;
	}
	if (n)
		qsort(e, n, sizeof *e, cmp_entry);
	*out = e;
	return (ssize_t)n;
}

const struct qn_netdev_entry *qn_netdev_find(const struct qn_netdev_entry *e,
					     size_t n, const char *name)
{
	struct qn_netdev_entry key;

	if (!n || strlen(name) >= sizeof key.name)
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, e, n, sizeof *e, cmp_entry);
}

int decode_stat_starttime(const char *buf, size_t len, uint64_t *out)
{
	const char *rp = NULL;
	size_t i;
	int field = 2;

	for (i = 0; i < len; i++)
		if (buf[i] == ')')
			rp = buf + i;
	if (!rp)
		return -1;
	i = (size_t)(rp - buf) + 1;
	/* After ")" come fields 3 (state), 4 ... ; starttime is 22. */
	while (i < len) {
		while (i < len && buf[i] == ' ')
			i++;
		if (i >= len)
			break;
		field++;
		if (field == 22) {
			size_t j = i;

			if (next_u64(buf, len, &j, out) ||
			    (j < len && buf[j] != ' ' && buf[j] != '\n'))
				return -1;
			return 0;
		}
		while (i < len && buf[i] != ' ')
			i++;
	}
	return -1;
}

int decode_netns(const char *link, uint64_t *out)
{
	size_t l = strlen(link), j = 5;

	if (l < 7 || strncmp(link, "net:[", 5) || link[l - 1] != ']')
		return -1;
	if (next_u64(link, l - 1, &j, out) || j != l - 1)
		return -1;
	return 0;
}

int decode_u64(const char *buf, size_t len, uint64_t *out)
{
	size_t j = 0;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || buf[0] == ' ' || buf[0] == '\t')
		return -1;
	if (next_u64(buf, len, &j, out) || j != len)
		return -1;
	return 0;
}
