/* SPDX-License-Identifier: MIT */
/*
 * bpf_snap.h: the records the kernel side (bpf_snap.bpf.c) writes into its
 * maps and the user side reads back from the pins.  Both sides include
 * this file, so every field has a fixed width and the structs have no
 * implicit padding: a map value read by bpf_map_lookup_elem() is these
 * bytes exactly, and the unit tests build the same bytes from fixtures.
 *
 * Layout contract (changing it needs a detach and a new attach, since the
 * pinned maps keep the old sizes; user space checks key and value sizes
 * of every pinned map before reading it):
 *   edges     HASH  struct bpf_snap_key -> __u32 slot in edge_counts
 *   edge_counts ARRAY __u32 slot        -> struct bpf_snap_edge_slot
 *   conn_lat  HASH  struct bpf_snap_key -> struct bpf_snap_hist
 *   tx_lat    HASH  struct bpf_snap_key -> struct bpf_snap_hist
 *   targets   HASH  char comm[16]       -> struct bpf_snap_target
 *   dropped   ARRAY __u32 (enum bpf_snap_map) -> __u64 keys not inserted
 *   info      ARRAY __u32 0             -> struct bpf_snap_info
 *   pend_conn, pend_tx ARRAY  slot (hash of the socket's cookie)
 *                             -> struct bpf_snap_pending
 */
#ifndef BPF_SNAP_H
#define BPF_SNAP_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define BPF_SNAP_COMM_LEN 16
#define BPF_SNAP_NAME_LEN 64
/* Histogram slot i counts durations d with 2^(i-1) < d <= 2^i ns (slot 0:
 * d <= 1 ns); the last slot also takes everything longer. */
#define BPF_SNAP_SLOTS 40

#define BPF_SNAP_AF_INET   2
#define BPF_SNAP_AF_INET6  10
#define BPF_SNAP_PROTO_TCP 6
#define BPF_SNAP_PROTO_UDP 17

/* Who sent where.  target is 0 when every process is counted (comm then
 * names the process) and the 1-based id of the matching targets entry
 * otherwise (comm is then all zero, so one target is one row).  daddr
 * holds an IPv4 address in its first 4 bytes (network order) when
 * family is AF_INET; an IPv6 socket talking to ::ffff:a.b.c.d keeps the
 * mapped form here and user space folds it into a.b.c.d. */
struct bpf_snap_key {
	__u8 daddr[16];
	__u32 target;
	__u16 dport; /* host byte order */
	__u8 proto;  /* BPF_SNAP_PROTO_* */
	__u8 family; /* BPF_SNAP_AF_* */
	char comm[BPF_SNAP_COMM_LEN];
};

/* A key's counters, in edge_counts at the slot that edges gives for the
 * key.  Slots are handed out in order and never reused while attached. */
struct bpf_snap_count {
	__u64 count;	/* TCP connect attempts (CLOSE->SYN_SENT), UDP sends */
	__u64 failures; /* TCP SYN_SENT -> anything but ESTABLISHED */
};

/* A slot of edge_counts: the counters and, so that a snapshot reads
 * everything from one mapping of this array rather than walking the
 * edges hash through bpf(2), the key they count.  The key is written
 * when the slot is handed out and valid set (after it, with a fully
 * ordered exchange) once the key is in edges; a slot whose key lost a
 * race to another CPU's insert stays invalid and unused. */
struct bpf_snap_edge_slot {
	struct bpf_snap_count c;
	struct bpf_snap_key key;
	__u32 valid;
	__u32 reserved;
};

struct bpf_snap_hist {
	__u64 slots[BPF_SNAP_SLOTS];
	__u64 sum_ns;
	__u64 reserved; /* the count is the sum of the slots: one atomic
			 * add fewer per event */
};

struct bpf_snap_target {
	__u32 id; /* 1-based, as in bpf_snap_key.target */
	__u32 reserved;
	char name[BPF_SNAP_NAME_LEN]; /* NUL-terminated process label */
};

/*
 * A socket's slot in pend_conn / pend_tx, direct-mapped tables indexed by
 * a hash of the socket's cookie: when its connect or its send-to-receive
 * timer started (0: none runs), and who owns it, which spares later sends
 * the comm and filter lookups.  An array slot is reached without a hash
 * table's locks and allocation (measured: a hash or LRU insert and delete
 * cost more than all the rest of a connect's work); the price is that two
 * sockets on one slot share it, and the first one's sample is lost
 * (counted in dropped[BPF_SNAP_MAP_PEND_CONN] for connects in flight).
 */
#define BPF_SNAP_PENDING_IGNORE 1 /* socket of a process not counted */
#define BPF_SNAP_PENDING_EDGE	2 /* edge holds key's slot in edge_counts */
struct bpf_snap_pending {
	__u64 cookie; /* the socket's cookie (never reused); 0: free */
	__u64 start_ns;
	__u32 tgid;  /* the owner: a receive by another process (a fork
		      * sharing the socket) discards the timer */
	__u32 flags; /* BPF_SNAP_PENDING_* */
	struct bpf_snap_key key;
	__u32 edge; /* key's slot in edge_counts, if flags has EDGE: the
		     * next send to the same place counts there without
		     * looking the key up */
	__u32 reserved;
};

enum bpf_snap_map {
	BPF_SNAP_MAP_EDGES,
	BPF_SNAP_MAP_CONN_LAT,
	BPF_SNAP_MAP_TX_LAT,
	BPF_SNAP_MAP_PEND_CONN, /* connects whose slot another took */
	BPF_SNAP_MAP_NR,
};

#define BPF_SNAP_INFO_VERSION 3
struct bpf_snap_info {
	__u32 version;		/* BPF_SNAP_INFO_VERSION */
	__u32 filtered;		/* 1: only targets are counted */
	__u64 attached_unix_ns; /* wall clock at attach, written by attach */
};

/*
 * Slot of a duration: ceil(log2(ns)), so slot i's bound 2^i ns is an
 * inclusive upper bound, exactly as Prometheus' le.  Branch-free binary
 * search (no loops for the verifier); shared so user space tests it.
 */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
static __always_inline __u32 bpf_snap_slot(__u64 ns)
{
	__u64 v;
	__u32 r = 0, shift;

	if (ns <= 1)
		return 0;
	v = ns - 1;
	shift = (__u32)(v > 0xffffffffULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (__u32)(v > 0xffff) << 4;
	v >>= shift;
	r |= shift;
	shift = (__u32)(v > 0xff) << 3;
	v >>= shift;
	r |= shift;
	shift = (__u32)(v > 0xf) << 2;
	v >>= shift;
	r |= shift;
	shift = (__u32)(v > 0x3) << 1;
	v >>= shift;
	r |= shift;
	r |= (__u32)(v >> 1);
	r += 1;
	return r < BPF_SNAP_SLOTS ? r : BPF_SNAP_SLOTS - 1;
}

#endif
