/* SPDX-License-Identifier: MIT */
#include "account.h"

#include "numtext.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qn_counters_from_dev(struct qn_counters *c, const struct qn_devstats *d,
			  int swap)
{
	if (swap) {
		c->v[QN_RX_BYTES] = d->tx_bytes;
		c->v[QN_RX_PACKETS] = d->tx_packets;
		c->v[QN_RX_DROPPED] = d->tx_dropped;
		c->v[QN_TX_BYTES] = d->rx_bytes;
		c->v[QN_TX_PACKETS] = d->rx_packets;
		c->v[QN_TX_DROPPED] = d->rx_dropped;
	} else {
		c->v[QN_RX_BYTES] = d->rx_bytes;
		c->v[QN_RX_PACKETS] = d->rx_packets;
		c->v[QN_RX_DROPPED] = d->rx_dropped;
		c->v[QN_TX_BYTES] = d->tx_bytes;
		c->v[QN_TX_PACKETS] = d->tx_packets;
		c->v[QN_TX_DROPPED] = d->tx_dropped;
	}
}

struct qn_table *account_new(size_t max_vms)
{
	struct qn_table *t = calloc(1, sizeof *t);

	if (t)
		t->max_vms = max_vms ? max_vms : 1;
	return t;
}

void account_free(struct qn_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->vms[i]->ifs);
		free(t->vms[i]);
	}
	free(t->vms);
	free(t);
}

static int cmp_key(const void *k, const void *e)
{
	const struct qn_vm *const *v = e;

	return strcmp(k, (*v)->id);
}

struct qn_vm *account_find(const struct qn_table *t, const char *id)
{
	struct qn_vm **p;

	if (!t->n)
		return NULL;
	p = bsearch(id, t->vms, t->n, sizeof *t->vms, cmp_key);
	return p ? *p : NULL;
}

static void remove_at(struct qn_table *t, size_t i)
{
	free(t->vms[i]->ifs);
	free(t->vms[i]);
	memmove(t->vms + i, t->vms + i + 1, (t->n - i - 1) * sizeof *t->vms);
	t->n--;
}

/* Find or make the VM with this id.  When the table is full, the VM
 * absent for longest makes room; NULL with errno ENOSPC if every VM is
 * present (the caller counts it), ENOMEM if allocation failed. */
static struct qn_vm *vm_get(struct qn_table *t, const char *id)
{
	struct qn_vm *vm = account_find(t, id);
	size_t at;

	if (vm)
		return vm;
	if (t->n >= t->max_vms) {
		size_t victim = t->n;

		for (size_t i = 0; i < t->n; i++)
			if (!t->vms[i]->present &&
			    (victim == t->n ||
			     t->vms[i]->seen < t->vms[victim]->seen))
				victim = i;
		if (victim == t->n) {
			errno = ENOSPC;
			return NULL;
		}
		remove_at(t, victim);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct qn_vm **v = realloc(t->vms, cap * sizeof *v);

		if (!v)
			return NULL;
		t->vms = v;
		t->cap = cap;
	}
	vm = calloc(1, sizeof *vm);
	if (!vm)
		return NULL;
	strcpy(vm->id, id);
	/* Into its place: state is loaded in key order, so this is mostly
	 * an append (a qsort per VM was a fifth of loading the state). */
	at = t->n;
	while (at && strcmp(t->vms[at - 1]->id, id) > 0)
		at--;
	memmove(t->vms + at + 1, t->vms + at, (t->n - at) * sizeof *t->vms);
	t->vms[at] = vm;
	t->n++;
	return vm;
}

/* --- state entries --------------------------------------------------- */

/* The id goes into the key with '/' and '%' escaped, so the key splits
 * back unambiguously whatever the id holds. */
static int key_id_decode(const char *p, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '%') {
			if (len - i < 3)
				return -1;
			if (!memcmp(p + i, "%2F", 3))
				c = '/';
			else if (!memcmp(p + i, "%25", 3))
				c = '%';
			else
				return -1;
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	if (!o)
		return -1;
	out[o] = '\0';
	return 0;
}

static void key_id_encode(const char *id, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *id && o + 4 < outlen; id++) {
		if (*id == '/' || *id == '%') {
			memcpy(out + o, *id == '/' ? "%2F" : "%25", 3);
			o += 3;
		} else {
			out[o++] = *id;
		}
	}
	out[o] = '\0';
}

static int parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (*s != ',' && *s != '\0')
		return -1;
	if (*s == ',')
		s++;
	*p = s;
	*out = v;
	return 0;
}

static int parse_time(const char **p, double *out)
{
	char *end;
	double v;

	if (**p < '0' || **p > '9')
		return -1;
	v = numtext_strtod(*p, &end);
	if (!isfinite(v) || (*end != ',' && *end != '\0'))
		return -1;
	if (*end == ',')
		end++;
	*p = end;
	*out = v;
	return 0;
}

static struct qn_ifstate *if_find(struct qn_vm *vm, const char *name)
{
	for (size_t i = 0; i < vm->nif; i++)
		if (!strcmp(vm->ifs[i].name, name))
			return &vm->ifs[i];
	return NULL;
}

/* A new, zeroed slot at the end of vm->ifs, or NULL when the VM has
 * QN_IFACES_MAX already or memory ran out. */
static struct qn_ifstate *if_add(struct qn_vm *vm)
{
	if (vm->nif == QN_IFACES_MAX)
		return NULL;
	if (vm->nif == vm->ifcap) {
		size_t cap = vm->ifcap ? vm->ifcap * 2 : 2;
		struct qn_ifstate *n = realloc(vm->ifs, cap * sizeof *n);

		if (!n)
			return NULL;
		vm->ifs = n;
		vm->ifcap = cap;
	}
	memset(&vm->ifs[vm->nif], 0, sizeof vm->ifs[0]);
	return &vm->ifs[vm->nif++];
}

static int load_if(struct qn_vm *vm, const char *name, const char *v)
{
	struct qn_ifstate s, *slot;
	uint64_t ifindex, pid;

	memset(&s, 0, sizeof s);
	if (strlen(name) >= sizeof s.name || !qn_valid_ifname(name) ||
	    if_find(vm, name))
		return -1;
	strcpy(s.name, name);
	if (parse_time(&v, &s.seen) || parse_u64(&v, &s.netns) ||
	    parse_u64(&v, &ifindex) || parse_u64(&v, &pid) ||
	    parse_u64(&v, &s.start) || ifindex > 0x7fffffff || pid > 0x7fffffff)
		return -1;
	s.ifindex = (int)ifindex;
	s.pid = (int)pid;
	for (int k = 0; k < QN_NCOUNTERS; k++)
		if (parse_u64(&v, &s.raw.v[k]))
			return -1;
	for (int k = 0; k < QN_NCOUNTERS; k++)
		if (parse_u64(&v, &s.cum.v[k]))
			return -1;
	if (*v)
		return -1;
	slot = if_add(vm);
	if (!slot)
		return -1;
	*slot = s;
	return 0;
}

int account_load(struct qn_table *t, const char *key, const char *value)
{
	char id[QN_ID_MAX];
	const char *p, *slash;
	struct qn_vm *vm;

	if (strncmp(key, "vm/", 3))
		return -1;
	p = key + 3;
	slash = strchr(p, '/');
	if (!slash || key_id_decode(p, (size_t)(slash - p), id, sizeof id))
		return -1;
	vm = vm_get(t, id);
	if (!vm)
		return -1;
	p = slash + 1;
	if (!strcmp(p, "seen"))
		return parse_time(&value, &vm->seen) || *value ? -1 : 0;
	if (!strcmp(p, "total")) {
		if (parse_u64(&value, &vm->rx) || parse_u64(&value, &vm->tx) ||
		    *value)
			return -1;
		vm->has_total = 1;
		return 0;
	}
	if (!strcmp(p, "ring"))
		return windows_ring_decode(value, &vm->ring);
	if (!strncmp(p, "if/", 3))
		return load_if(vm, p + 3, value);
	return -1;
}

/* Appends "<sep><v>" at buf + *o. */
static void put_u64(char *buf, size_t *o, char sep, uint64_t v)
{
	if (sep)
		buf[(*o)++] = sep;
	*o += numtext_u64(buf + *o, v);
}

int account_save(const struct qn_table *t,
		 int (*set)(void *arg, const char *key, const char *value),
		 void *arg)
{
	/* A ring entry is at most ~45 bytes (12 KiB on the stack). */
	char val[QN_RING_MAX * 48];
	char enc[QN_ID_MAX * 3], key[QN_ID_MAX * 3 + 64];
	int rc;

	for (size_t i = 0; i < t->n; i++) {
		const struct qn_vm *vm = t->vms[i];

		key_id_encode(vm->id, enc, sizeof enc);
		snprintf(key, sizeof key, "vm/%s/seen", enc);
		numtext_ms(val, vm->seen);
		if ((rc = set(arg, key, val)))
			return rc;
		if (vm->has_total) {
			size_t o = 0;

			snprintf(key, sizeof key, "vm/%s/total", enc);
			put_u64(val, &o, 0, vm->rx);
			put_u64(val, &o, ',', vm->tx);
			if ((rc = set(arg, key, val)))
				return rc;
		}
		if (vm->ring.n &&
		    windows_ring_fmt(&vm->ring, val, sizeof val) >= 0) {
			snprintf(key, sizeof key, "vm/%s/ring", enc);
			if ((rc = set(arg, key, val)))
				return rc;
		}
		for (size_t k = 0; k < vm->nif; k++) {
			const struct qn_ifstate *s = &vm->ifs[k];
			size_t o;

			/* 1 + 3 + 13 numbers of at most 20 digits, and
			 * their commas: well within val. */
			snprintf(key, sizeof key, "vm/%s/if/%s", enc, s->name);
			o = numtext_ms(val, s->seen);
			put_u64(val, &o, ',', s->netns);
			o += (size_t)snprintf(val + o, sizeof val - o, ",%d,%d",
					      s->ifindex, s->pid);
			put_u64(val, &o, ',', s->start);
			for (int c = 0; c < QN_NCOUNTERS; c++)
				put_u64(val, &o, ',', s->raw.v[c]);
			for (int c = 0; c < QN_NCOUNTERS; c++)
				put_u64(val, &o, ',', s->cum.v[c]);
			if ((rc = set(arg, key, val)))
				return rc;
		}
	}
	return 0;
}

/* --- one run --------------------------------------------------------- */

int compute_fold(const struct qn_ifstate *prev, const struct qn_ifread *cur,
		 int pid, uint64_t start, struct qn_counters *delta)
{
	int same = prev != NULL;

	if (same && prev->netns != cur->netns)
		same = 0;
	if (same && prev->ifindex && cur->ifindex)
		same = prev->ifindex == cur->ifindex;
	else if (same)
		same = prev->pid == pid && prev->start == start;
	for (int k = 0; same && k < QN_NCOUNTERS; k++)
		if (cur->c.v[k] < prev->raw.v[k])
			same = 0;
	for (int k = 0; k < QN_NCOUNTERS; k++)
		delta->v[k] = same ? cur->c.v[k] - prev->raw.v[k] : cur->c.v[k];
	return !same;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Fold one process's interfaces into its VM. */
static void fold_proc(struct qn_table *t, struct qn_vm *vm,
		      const struct qn_proc *p, double now)
{
	for (size_t i = 0; i < p->nif; i++) {
		const struct qn_ifread *r = &p->ifs[i];
		struct qn_ifstate *s = if_find(vm, r->name);
		struct qn_counters d;

		if (s && s->present)
			continue; /* another process of this VM had it */
		if (!s) {
			s = if_add(vm);
			if (!s) {
				/* Beyond QN_IFACES_MAX (or out of memory):
				 * counted, and main says so. */
				t->ifaces_over_cap++;
				continue;
			}
			strcpy(s->name, r->name);
			compute_fold(NULL, r, p->pid, p->start, &d);
		} else {
			compute_fold(s, r, p->pid, p->start, &d);
		}
		for (int k = 0; k < QN_NCOUNTERS; k++)
			s->cum.v[k] = add_sat(s->cum.v[k], d.v[k]);
		vm->rx = add_sat(vm->rx, d.v[QN_RX_BYTES]);
		vm->tx = add_sat(vm->tx, d.v[QN_TX_BYTES]);
		vm->has_total = 1;
		s->raw = r->c;
		s->netns = r->netns;
		s->ifindex = r->ifindex;
		s->pid = p->pid;
		s->start = p->start;
		s->seen = now;
		s->present = 1;
		vm->nif_now++;
	}
}

static void forget_ifaces(struct qn_vm *vm, double now)
{
	size_t o = 0;

	for (size_t i = 0; i < vm->nif; i++) {
		/* A time in the future means the clock was stepped back:
		 * keep it, as if just seen. */
		if (!vm->ifs[i].present && vm->ifs[i].seen < now - QN_FORGET)
			continue;
		vm->ifs[o++] = vm->ifs[i];
	}
	vm->nif = o;
}

int account_update(struct qn_table *t, const struct qn_proc *procs,
		   size_t nprocs, double now, int reset)
{
	for (size_t i = 0; i < t->n; i++) {
		struct qn_vm *vm = t->vms[i];

		vm->present = vm->readable = 0;
		vm->npids = vm->nif_now = 0;
		vm->name[0] = '\0';
		for (size_t k = 0; k < vm->nif; k++)
			vm->ifs[k].present = 0;
	}
	t->over_cap = t->ifaces_over_cap = 0;

	for (size_t i = 0; i < nprocs; i++) {
		const struct qn_proc *p = &procs[i];
		struct qn_vm *vm = vm_get(t, p->cl.id);

		if (!vm) {
			if (errno == ENOSPC) {
				t->over_cap++;
				continue;
			}
			return -1;
		}
		vm->present = 1;
		vm->seen = now;
		if (vm->npids < QN_PIDS_MAX)
			vm->pids[vm->npids++] = p->pid;
		if (!vm->name[0] && p->cl.name[0])
			strcpy(vm->name, p->cl.name);
		if (!p->readable)
			continue;
		vm->readable = 1;
		fold_proc(t, vm, p, now);
	}

	for (size_t i = 0; i < t->n;) {
		struct qn_vm *vm = t->vms[i];

		if (!vm->present && (reset || vm->seen < now - QN_FORGET)) {
			remove_at(t, i);
			continue;
		}
		if (reset) {
			/* Raw readings stay as the baseline the counters
			 * restart from. */
			vm->rx = vm->tx = 0;
			vm->ring.n = 0;
			for (size_t k = 0; k < vm->nif; k++)
				memset(&vm->ifs[k].cum, 0,
				       sizeof vm->ifs[k].cum);
		}
		if (vm->readable) {
			forget_ifaces(vm, now);
			if (vm->has_total) {
				compute_ring_trim(&vm->ring, now, vm->rx,
						  vm->tx);
				compute_windows(&vm->ring, now, vm->rx, vm->tx,
						vm->w);
				compute_ring_push(&vm->ring, now, vm->rx,
						  vm->tx);
			}
		}
		i++;
	}
	return 0;
}
