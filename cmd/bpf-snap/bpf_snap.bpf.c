/* SPDX-License-Identifier: MIT */
/*
 * bpf_snap.bpf.c: the kernel side of bpf-snap.  Counts outbound TCP
 * connects (attempts, failures, SYN_SENT->ESTABLISHED latency) and UDP
 * sends per process, destination port and address, and the time from a
 * send on a socket to the next receive on it.  Only raw tracepoints and
 * cgroup hooks: kprobes and fentry are unavailable on many hardened
 * kernels, this one included.
 *
 * Everything is counted in maps that user space pins and reads as
 * snapshots; nothing is sent to user space per event.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf_snap.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by attach before load: 1 counts only processes in targets. */
const volatile __u32 filtered = 0;
/* Set by attach (BPF_SNAP_NOOP=1) to measure what the hooks cost on their
 * own: every program returns at once.  A constant of the loaded program,
 * so the verifier removes the test when it is 0. */
const volatile __u32 noop = 0;

/*
 * Sizes are defaults; attach sets them from the configuration.
 *
 * The counters of a key live in edge_counts, at the slot that the edges
 * hash gives for the key.  A socket remembers the slot of the key it
 * last counted (struct bpf_snap_pending), so the next send to the same
 * place reaches its counter by index: hashing and comparing a 40-byte
 * key was half of the programs' instructions on a send (measured).
 * Slots are handed out in order from edge_next and never reused, so a
 * remembered slot stays the key's for as long as the programs run.  A
 * slot also holds its key (struct bpf_snap_edge_slot): a snapshot reads
 * the mappable array and never walks the hash.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bpf_snap_key);
	__type(value, __u32);
} edges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bpf_snap_edge_slot);
} edge_counts SEC(".maps");

/* Set by attach to the size of both maps above. */
const volatile __u32 edge_cap = 16384;
/* The next free slot of edge_counts (64 bits: every failed insert takes
 * one, and a full map may see billions). */
__u64 edge_next = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct bpf_snap_key);
	__type(value, struct bpf_snap_hist);
} conn_lat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct bpf_snap_key);
	__type(value, struct bpf_snap_hist);
} tx_lat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, char[BPF_SNAP_COMM_LEN]);
	__type(value, struct bpf_snap_target);
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BPF_SNAP_MAP_NR);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_snap_info);
} info SEC(".maps");

/* Sockets in SYN_SENT, and sockets' send-to-receive timers: see struct
 * bpf_snap_pending.  Sized by attach (a power of two, pend_mask + 1).
 * Mappable, so a snapshot counts the slots in use by reading memory
 * rather than copying 16384 entries out through bpf(2). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bpf_snap_pending);
} pend_conn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct bpf_snap_pending);
} pend_tx SEC(".maps");

const volatile __u32 pend_mask = 16383;

/* The slot of a socket, by its cookie: a 64-bit number the kernel never
 * gives two sockets, so a slot left by a closed socket can never be taken
 * for a new one at the same address.  Cookies count up; Fibonacci
 * hashing spreads them over the slots. */
static __always_inline struct bpf_snap_pending *pend_slot(void *map,
							  __u64 cookie)
{
	__u32 i = (__u32)((cookie * 0x9E3779B97F4A7C15ULL) >> 40) & pend_mask;

	return bpf_map_lookup_elem(map, &i);
}

#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_	 2
#define TCP_CLOSE_	 7

static __always_inline void count_drop(__u32 map)
{
	__u64 *d = bpf_map_lookup_elem(&dropped, &map);

	if (d)
		__sync_fetch_and_add(d, 1);
}

/* Fill the process part of k; 0 if this process is not counted. */
static __always_inline int who(struct bpf_snap_key *k)
{
	struct bpf_snap_target *t;

	bpf_get_current_comm(k->comm, sizeof(k->comm));
	if (!filtered)
		return 1;
	t = bpf_map_lookup_elem(&targets, k->comm);
	if (!t)
		return 0;
	k->target = t->id;
	__builtin_memset(k->comm, 0, sizeof(k->comm));
	return 1;
}

/* Destination of a connected socket.  The tracepoints are BTF-typed
 * (tp_btf), so these are plain loads, relocated by CO-RE, rather than
 * bpf_probe_read calls: half the cost on the send path. */
static __always_inline int sk_dest(struct sock *sk, struct bpf_snap_key *k)
{
	__u16 family = sk->__sk_common.skc_family;

	k->dport = bpf_ntohs(sk->__sk_common.skc_dport);
	if (family == BPF_SNAP_AF_INET) {
		__u32 a = sk->__sk_common.skc_daddr;

		k->family = BPF_SNAP_AF_INET;
		__builtin_memcpy(k->daddr, &a, 4);
		return 1;
	}
	if (family == BPF_SNAP_AF_INET6) {
		k->family = BPF_SNAP_AF_INET6;
		__builtin_memcpy(
		    k->daddr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
		return 1;
	}
	return 0;
}

/* The counters of key k, inserting it if new (NULL, counted as a drop,
 * if the map is full); its slot goes to *slot. */
static __always_inline struct bpf_snap_count *
edge_get(const struct bpf_snap_key *k, __u32 *slot)
{
	struct bpf_snap_edge_slot *es;
	__u32 *v = bpf_map_lookup_elem(&edges, k);
	__u32 i;

	if (v) {
		i = *v;
	} else {
		__u64 n = __sync_fetch_and_add(&edge_next, 1);

		if (n >= edge_cap) {
			count_drop(BPF_SNAP_MAP_EDGES);
			return NULL;
		}
		i = (__u32)n;
		es = bpf_map_lookup_elem(&edge_counts, &i);
		if (!es) {
			count_drop(BPF_SNAP_MAP_EDGES);
			return NULL;
		}
		es->key = *k;
		/* -EEXIST: another CPU inserted the key first; its slot
		 * is the key's, and this one stays invalid and unused. */
		if (bpf_map_update_elem(&edges, k, &i, BPF_NOEXIST)) {
			v = bpf_map_lookup_elem(&edges, k);
			if (!v) {
				count_drop(BPF_SNAP_MAP_EDGES);
				return NULL;
			}
			i = *v;
		} else {
			/* Fully ordered: the key is seen before valid. */
			__sync_lock_test_and_set(&es->valid, 1);
		}
	}
	*slot = i;
	es = bpf_map_lookup_elem(&edge_counts, &i);
	return es ? &es->c : NULL;
}

/* The counters of the key cached in p, or of p->key looked up (and the
 * slot then cached). */
static __always_inline struct bpf_snap_count *
edge_of(struct bpf_snap_pending *p)
{
	struct bpf_snap_count *c;

	if (p->flags & BPF_SNAP_PENDING_EDGE) {
		struct bpf_snap_edge_slot *es =
		    bpf_map_lookup_elem(&edge_counts, &p->edge);

		return es ? &es->c : NULL;
	}
	c = edge_get(&p->key, &p->edge);
	if (c)
		p->flags |= BPF_SNAP_PENDING_EDGE;
	return c;
}

static __always_inline void hist_add(void *map, __u32 which,
				     struct bpf_snap_key *k, __u64 ns)
{
	struct bpf_snap_hist *h = bpf_map_lookup_elem(map, k);
	__u32 s;

	if (!h) {
		static const struct bpf_snap_hist zero;

		bpf_map_update_elem(map, k, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(map, k);
		if (!h) {
			count_drop(which);
			return;
		}
	}
	s = bpf_snap_slot(ns);
	__sync_fetch_and_add(&h->slots[s], 1);
	__sync_fetch_and_add(&h->sum_ns, ns);
}

/* TCP connect attempts, failures and latency.  CLOSE->SYN_SENT runs in
 * the connecting process; SYN_SENT->ESTABLISHED usually in softirq, so
 * the process is remembered per socket from the first transition. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(bs_sock_state, struct sock *sk, int oldstate, int newstate)
{
	struct bpf_snap_pending *p;
	__u64 cookie;

	if (noop)
		return 0;

	if (oldstate == TCP_CLOSE_ && newstate == TCP_SYN_SENT_) {
		struct bpf_snap_key k = {};

		if (sk->sk_protocol != BPF_SNAP_PROTO_TCP)
			return 0;
		struct bpf_snap_count *c;
		__u32 slot = 0;

		k.proto = BPF_SNAP_PROTO_TCP;
		if (!who(&k) || !sk_dest(sk, &k))
			return 0;
		c = edge_get(&k, &slot);
		if (c)
			__sync_fetch_and_add(&c->count, 1);
		cookie = bpf_get_socket_cookie(sk);
		p = pend_slot(&pend_conn, cookie);
		if (!p)
			return 0;
		if (p->start_ns && p->cookie != cookie)
			count_drop(BPF_SNAP_MAP_PEND_CONN);
		p->cookie = cookie;
		p->key = k;
		p->edge = slot;
		p->flags = c ? BPF_SNAP_PENDING_EDGE : 0;
		p->start_ns = bpf_ktime_get_ns();
		return 0;
	}
	if (oldstate != TCP_SYN_SENT_)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	p = pend_slot(&pend_conn, cookie);
	if (!p || p->cookie != cookie || !p->start_ns)
		return 0;
	if (newstate == TCP_ESTABLISHED_) {
		hist_add(&conn_lat, BPF_SNAP_MAP_CONN_LAT, &p->key,
			 bpf_ktime_get_ns() - p->start_ns);
	} else {
		struct bpf_snap_count *c = edge_of(p);

		if (c)
			__sync_fetch_and_add(&c->failures, 1);
	}
	p->start_ns = 0;
	return 0;
}

/* Take a socket's timer slot for a new owner.  A running timer of
 * another socket that this pushes out is not counted as dropped: the
 * timer of a socket that sent and never received stays in its slot after
 * the socket is gone, and most of what is pushed out is such. */
static __always_inline void pend_claim(struct bpf_snap_pending *p, __u64 cookie,
				       __u32 tgid, __u32 flags,
				       const struct bpf_snap_key *k)
{
	p->cookie = cookie;
	p->tgid = tgid;
	p->flags = flags;
	p->key = *k;
	p->start_ns = 0;
}

/* Remember that a socket's owner is not counted, unless the slot holds
 * another socket's running timer: an uncounted process must never cost
 * a counted one its sample (it only costs itself a lookup next time). */
static __always_inline void ignore_claim(struct bpf_snap_pending *p,
					 __u64 cookie, __u32 tgid,
					 const struct bpf_snap_key *k)
{
	if (!p->start_ns || p->cookie == cookie)
		pend_claim(p, cookie, tgid, BPF_SNAP_PENDING_IGNORE, k);
}

/* Whether p's key is a send of proto to family/daddr/dport (daddr as
 * four words; an IPv4 address fills the first, the others are 0, as in
 * a key). */
static __always_inline int same_dest(const struct bpf_snap_pending *p,
				     __u8 proto, __u8 family, __u16 dport,
				     const __u32 a[4])
{
	const __u32 *d = (const __u32 *)p->key.daddr;

	return p->key.proto == proto && p->key.family == family &&
	       p->key.dport == dport &&
	       ((d[0] ^ a[0]) | (d[1] ^ a[1]) | (d[2] ^ a[2]) |
		(d[3] ^ a[3])) == 0;
}

/*
 * Count a UDP send on the socket whose slot is p (cookie, tgid: the
 * socket's and the sender's), to family/a/dport, and start its timer
 * when start.  The slot doubles as a per-socket cache of who the sender
 * is and of where the last send went: a send by the same process skips
 * the comm and filter lookups, and one to the same place also the key's
 * lookup (together, nearly all of a send's cost); a process that is not
 * counted leaves an IGNORE entry so its sends cost one lookup.
 */
static __always_inline void udp_send(struct bpf_snap_pending *p, __u64 cookie,
				     __u32 tgid, __u8 family, const __u32 a[4],
				     __u16 dport, int start)
{
	struct bpf_snap_key k = {};
	struct bpf_snap_count *c;

	if (p->cookie == cookie && p->tgid == tgid &&
	    p->key.proto == BPF_SNAP_PROTO_UDP) {
		if (p->flags & BPF_SNAP_PENDING_IGNORE)
			return;
		if ((p->flags & BPF_SNAP_PENDING_EDGE) &&
		    same_dest(p, BPF_SNAP_PROTO_UDP, family, dport, a)) {
			struct bpf_snap_edge_slot *es =
			    bpf_map_lookup_elem(&edge_counts, &p->edge);

			if (es)
				__sync_fetch_and_add(&es->c.count, 1);
			if (start)
				p->start_ns = bpf_ktime_get_ns();
			return;
		}
		k.target = p->key.target;
		__builtin_memcpy(k.comm, p->key.comm, sizeof(k.comm));
	} else if (!who(&k)) {
		k.proto = BPF_SNAP_PROTO_UDP;
		ignore_claim(p, cookie, tgid, &k);
		return;
	}
	k.proto = BPF_SNAP_PROTO_UDP;
	k.family = family;
	k.dport = dport;
	__builtin_memcpy(k.daddr, a, 16);
	pend_claim(p, cookie, tgid, 0, &k);
	c = edge_get(&k, &p->edge);
	if (c) {
		p->flags = BPF_SNAP_PENDING_EDGE;
		__sync_fetch_and_add(&c->count, 1);
	}
	if (start)
		p->start_ns = bpf_ktime_get_ns();
}

/* Unconnected UDP sends.  Always returns 1: 0 would fail the
 * application's sendmsg with EPERM.  The hook runs before the send, in
 * the sending thread, and is the only place that sees the destination
 * of an unconnected send, so it also starts the send-to-receive timer,
 * in the socket's slot like the tracepoints' timers. */
static __always_inline void udp_unconnected(struct bpf_sock_addr *ctx,
					    __u8 family, const __u32 a[4])
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct bpf_snap_pending *p = pend_slot(&pend_tx, cookie);

	if (!p)
		return;
	udp_send(p, cookie, (__u32)(bpf_get_current_pid_tgid() >> 32), family,
		 a, bpf_ntohs((__u16)ctx->user_port), 1);
}

SEC("cgroup/sendmsg4")
int bs_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 a[4] = {};

	if (noop)
		return 1;

	if (!sk || ctx->protocol != BPF_SNAP_PROTO_UDP)
		return 1;
	/* A connected socket given an address anyway is counted by
	 * sock_send_length, once. */
	if (sk->state == TCP_ESTABLISHED_)
		return 1;
	a[0] = ctx->user_ip4;
	udp_unconnected(ctx, BPF_SNAP_AF_INET, a);
	return 1;
}

SEC("cgroup/sendmsg6")
int bs_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 a[4];

	if (noop)
		return 1;

	if (!sk || ctx->protocol != BPF_SNAP_PROTO_UDP)
		return 1;
	if (sk->state == TCP_ESTABLISHED_)
		return 1;
	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	udp_unconnected(ctx, BPF_SNAP_AF_INET6, a);
	return 1;
}

/* Connected UDP sends are counted here (the cgroup hook does not run for
 * them).  A counted TCP send starts the socket's send-to-receive timer
 * unless one runs; a UDP send restarts it. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(bs_send_len, struct sock *sk, int ret, int flags)
{
	struct bpf_snap_key k = {};
	struct bpf_snap_pending *p;
	__u64 cookie;
	__u32 tgid;
	__u16 proto;
	int mine;

	if (noop)
		return 0;

	if (!sk)
		return 0;
	proto = sk->sk_protocol;
	if (proto != BPF_SNAP_PROTO_TCP && proto != BPF_SNAP_PROTO_UDP)
		return 0;
	/* Unconnected UDP is counted and timed by the cgroup hook. */
	if (sk->__sk_common.skc_state != TCP_ESTABLISHED_)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	p = pend_slot(&pend_tx, cookie);
	if (!p)
		return 0;
	mine = p->cookie == cookie;
	if (proto == BPF_SNAP_PROTO_UDP) {
		__u32 a[4];

		if (!sk_dest(sk, &k))
			return 0;
		__builtin_memcpy(a, k.daddr, 16);
		/* UDP has no requests to tell apart: each send restarts
		 * the timer, so a receive times the last send before it. */
		udp_send(p, cookie, (__u32)(bpf_get_current_pid_tgid() >> 32),
			 k.family, a, k.dport, ret > 0);
		return 0;
	}
	/* TCP: the first send of a request starts the timer; a running
	 * timer (or an IGNORE entry) ends the work here. */
	if (ret <= 0 ||
	    (mine && (p->start_ns || (p->flags & BPF_SNAP_PENDING_IGNORE))))
		return 0;
	k.proto = (__u8)proto;
	if (!sk_dest(sk, &k))
		return 0;
	tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	if (mine && p->tgid == tgid && p->key.proto == proto) {
		k.target = p->key.target;
		__builtin_memcpy(k.comm, p->key.comm, sizeof(k.comm));
		p->key = k;
	} else if (!who(&k)) {
		ignore_claim(p, cookie, tgid, &k);
		return 0;
	} else {
		pend_claim(p, cookie, tgid, 0, &k);
	}
	p->start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(bs_recv_len, struct sock *sk, int ret, int flags)
{
	struct bpf_snap_pending *p;
	__u64 cookie, start;

	if (noop)
		return 0;

	if (ret <= 0 || !sk)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	p = pend_slot(&pend_tx, cookie);
	if (!p || p->cookie != cookie || !(start = p->start_ns))
		return 0;
	/* The timer stops, but the slot stays: it remembers who owns the
	 * socket, which spares the next send the comm and filter lookups. */
	p->start_ns = 0;
	/* Only the sender's own receive ends its timer. */
	if (p->tgid != (__u32)(bpf_get_current_pid_tgid() >> 32))
		return 0;
	hist_add(&tx_lat, BPF_SNAP_MAP_TX_LAT, &p->key,
		 bpf_ktime_get_ns() - start);
	return 0;
}
