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
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "bpf_snap.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by attach before load: 1 counts only processes in targets. */
const volatile __u32 filtered = 0;

/* Sizes are defaults; attach sets them from the configuration. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct bpf_snap_key);
	__type(value, struct bpf_snap_count);
} edges SEC(".maps");

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

/* Connects in SYN_SENT, keyed by socket address.  LRU: a socket that
 * vanishes without a state change must not leak an entry forever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct bpf_snap_pending);
} pend_conn SEC(".maps");

/* Sends waiting for a receive on the same socket. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct bpf_snap_pending);
} pend_tx SEC(".maps");

#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_ 2
#define TCP_CLOSE_ 7

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
		__builtin_memcpy(k->daddr,
				 sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8,
				 16);
		return 1;
	}
	return 0;
}

static __always_inline void edge_add(struct bpf_snap_key *k, __u64 count,
				     __u64 failures)
{
	struct bpf_snap_count *v = bpf_map_lookup_elem(&edges, k);

	if (!v) {
		struct bpf_snap_count zero = {};

		/* -EEXIST from a racing insert is fine: look up again. */
		bpf_map_update_elem(&edges, k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&edges, k);
		if (!v) {
			count_drop(BPF_SNAP_MAP_EDGES);
			return;
		}
	}
	if (count)
		__sync_fetch_and_add(&v->count, count);
	if (failures)
		__sync_fetch_and_add(&v->failures, failures);
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
	__sync_fetch_and_add(&h->count, 1);
}

/* TCP connect attempts, failures and latency.  CLOSE->SYN_SENT runs in
 * the connecting process; SYN_SENT->ESTABLISHED usually in softirq, so
 * the process is remembered per socket from the first transition. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(bs_sock_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 skaddr = (__u64)sk;
	struct bpf_snap_pending *p;

	if (oldstate == TCP_CLOSE_ && newstate == TCP_SYN_SENT_) {
		struct bpf_snap_pending np = {};

		if (sk->sk_protocol != BPF_SNAP_PROTO_TCP)
			return 0;
		np.key.proto = BPF_SNAP_PROTO_TCP;
		if (!who(&np.key) || !sk_dest(sk, &np.key))
			return 0;
		np.start_ns = bpf_ktime_get_ns();
		edge_add(&np.key, 1, 0);
		bpf_map_update_elem(&pend_conn, &skaddr, &np, BPF_ANY);
		return 0;
	}
	/* A send-to-receive timer must not outlive its socket: the next
	 * socket at this address would inherit it.  Look before deleting:
	 * a lookup takes no lock, a delete takes the bucket's. */
	if (newstate == TCP_CLOSE_ && bpf_map_lookup_elem(&pend_tx, &skaddr))
		bpf_map_delete_elem(&pend_tx, &skaddr);
	if (oldstate != TCP_SYN_SENT_)
		return 0;
	p = bpf_map_lookup_elem(&pend_conn, &skaddr);
	if (!p || !p->start_ns)
		return 0;
	if (newstate == TCP_ESTABLISHED_)
		hist_add(&conn_lat, BPF_SNAP_MAP_CONN_LAT, &p->key,
			 bpf_ktime_get_ns() - p->start_ns);
	else
		edge_add(&p->key, 0, 1);
	/* Marked done rather than deleted: a delete takes the bucket's
	 * lock, and the LRU recycles the entry anyway.  A later socket at
	 * this address overwrites it at its own CLOSE->SYN_SENT, or, when
	 * not counted, finds it done. */
	p->start_ns = 0;
	return 0;
}

/* Unconnected UDP sends.  Always returns 1: 0 would fail the
 * application's sendmsg with EPERM.  The hook runs before the send, in
 * the sending thread, and is the only place that sees the destination
 * of an unconnected send, so it also starts the send-to-receive timer,
 * keyed by the socket's address like the tracepoints' timers.
 *
 * The timer entry doubles as a per-socket cache of who the sender is: a
 * later send on the same socket by the same process skips the comm and
 * filter lookups (half the cost of a send), and a process that is not
 * counted leaves an IGNORE entry so its sends cost one lookup. */
static __always_inline void udp_unconnected(struct bpf_sock_addr *ctx,
					    struct bpf_snap_pending *np)
{
	__u64 skaddr = (__u64)ctx->sk;
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	struct bpf_snap_pending *p = bpf_map_lookup_elem(&pend_tx, &skaddr);
	int known = p && p->tgid == tgid && p->key.proto == BPF_SNAP_PROTO_UDP;

	np->key.proto = BPF_SNAP_PROTO_UDP;
	np->key.dport = bpf_ntohs((__u16)ctx->user_port);
	np->tgid = tgid;
	if (known) {
		if (p->flags & BPF_SNAP_PENDING_IGNORE)
			return;
		np->key.target = p->key.target;
		__builtin_memcpy(np->key.comm, p->key.comm,
				 sizeof(np->key.comm));
	} else if (!who(&np->key)) {
		np->flags = BPF_SNAP_PENDING_IGNORE;
		bpf_map_update_elem(&pend_tx, &skaddr, np, BPF_ANY);
		return;
	}
	edge_add(&np->key, 1, 0);
	np->start_ns = bpf_ktime_get_ns();
	if (known) {
		p->key = np->key;
		p->start_ns = np->start_ns;
		return;
	}
	bpf_map_update_elem(&pend_tx, &skaddr, np, BPF_ANY);
}

SEC("cgroup/sendmsg4")
int bs_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct bpf_snap_pending np = {};
	struct bpf_sock *sk = ctx->sk;
	__u32 a;

	if (!sk || ctx->protocol != BPF_SNAP_PROTO_UDP)
		return 1;
	/* A connected socket given an address anyway is counted by
	 * sock_send_length, once. */
	if (sk->state == TCP_ESTABLISHED_)
		return 1;
	np.key.family = BPF_SNAP_AF_INET;
	a = ctx->user_ip4;
	__builtin_memcpy(np.key.daddr, &a, 4);
	udp_unconnected(ctx, &np);
	return 1;
}

SEC("cgroup/sendmsg6")
int bs_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct bpf_snap_pending np = {};
	struct bpf_sock *sk = ctx->sk;
	__u32 a[4];

	if (!sk || ctx->protocol != BPF_SNAP_PROTO_UDP)
		return 1;
	if (sk->state == TCP_ESTABLISHED_)
		return 1;
	np.key.family = BPF_SNAP_AF_INET6;
	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	__builtin_memcpy(np.key.daddr, a, 16);
	udp_unconnected(ctx, &np);
	return 1;
}

/* Connected UDP sends are counted here (the cgroup hook does not run for
 * them).  A counted TCP send starts the socket's send-to-receive timer
 * unless one runs; a UDP send restarts it. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(bs_send_len, struct sock *sk, int ret, int flags)
{
	__u64 skaddr = (__u64)sk;
	struct bpf_snap_pending np = {}, *p;
	__u32 tgid;
	__u16 proto;
	int known;

	if (!sk)
		return 0;
	proto = sk->sk_protocol;
	if (proto != BPF_SNAP_PROTO_TCP && proto != BPF_SNAP_PROTO_UDP)
		return 0;
	/* Unconnected UDP is counted and timed by the cgroup hook. */
	if (sk->__sk_common.skc_state != TCP_ESTABLISHED_)
		return 0;
	p = bpf_map_lookup_elem(&pend_tx, &skaddr);
	/* TCP: the first send of a request starts the timer; a running
	 * timer (or an IGNORE entry) ends the work here. */
	if (proto == BPF_SNAP_PROTO_TCP &&
	    (ret <= 0 ||
	     (p && (p->start_ns || (p->flags & BPF_SNAP_PENDING_IGNORE)))))
		return 0;
	np.key.proto = (__u8)proto;
	if (!sk_dest(sk, &np.key))
		return 0;
	tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	np.tgid = tgid;
	/* As in the cgroup hook, the entry caches who owns the socket. */
	known = p && p->tgid == tgid && p->key.proto == proto;
	if (known) {
		if (p->flags & BPF_SNAP_PENDING_IGNORE)
			return 0;
		np.key.target = p->key.target;
		__builtin_memcpy(np.key.comm, p->key.comm, sizeof(np.key.comm));
	} else if (!who(&np.key)) {
		np.flags = BPF_SNAP_PENDING_IGNORE;
		bpf_map_update_elem(&pend_tx, &skaddr, &np, BPF_ANY);
		return 0;
	}
	/* Connected UDP sends are counted here: the cgroup hook does not
	 * run for them. */
	if (proto == BPF_SNAP_PROTO_UDP)
		edge_add(&np.key, 1, 0);
	if (ret <= 0)
		return 0;
	/* UDP sockets never pass through a close state change, so each
	 * send restarts the timer: a stale timer of a freed socket is
	 * overwritten, not inherited. */
	np.start_ns = bpf_ktime_get_ns();
	if (known) {
		p->key = np.key;
		p->start_ns = np.start_ns;
		return 0;
	}
	bpf_map_update_elem(&pend_tx, &skaddr, &np, BPF_ANY);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(bs_recv_len, struct sock *sk, int ret, int flags)
{
	__u64 skaddr = (__u64)sk;
	struct bpf_snap_pending *p;
	__u64 start;

	if (ret <= 0)
		return 0;
	p = bpf_map_lookup_elem(&pend_tx, &skaddr);
	if (!p || !(start = p->start_ns))
		return 0;
	/* The timer stops, but the entry stays: it remembers who owns the
	 * socket, which spares the next send the comm and filter lookups
	 * (TCP_CLOSE removes it with the socket). */
	p->start_ns = 0;
	/* Only the sender's own receive ends its timer. */
	if (p->tgid != (__u32)(bpf_get_current_pid_tgid() >> 32))
		return 0;
	hist_add(&tx_lat, BPF_SNAP_MAP_TX_LAT, &p->key,
		 bpf_ktime_get_ns() - start);
	return 0;
}
