# SPDX-License-Identifier: MIT
# A routed test network for trace-once, built from network namespaces and
# veth pairs; sourced by tests/integration/trace-once_*.sh and
# bench/trace-once.sh.  Nothing here touches the host namespace's routes:
# every address lives inside namespaces this file creates, and
# testnet_down deletes them all.
#
#   client --- r1 --- r2 --- r3 --- server        primary path
#                \                /
#                 `---- r4 ------'                testnet_switch_alt
#
# Link addresses come from ranges the GeoLite2-ASN test database maps, so
# hops get real-looking ASN labels (IPv4; IPv6 hops use ULAs except the
# server):
#   client 1.0.0.2      r1 1.0.0.1 (AS15169)   on client-r1
#   r1 18.0.0.1         r2 18.0.0.2 (AS3)      on r1-r2
#   r2 12.81.92.1       r3 12.81.92.10 (AS7018) on r2-r3
#   r3 89.160.20.1      server 89.160.20.112 (AS29518) on r3-server
#   r1 214.78.120.1     r4 214.78.120.2 (AS721) on r1-r4
#   r4 15.0.0.1         r3 15.0.0.2 (AS71)     on r4-r3
#   IPv6: link N is fd00:N::/64 (.1 left side, .2 right side), the server
#   also has 2001:1700::1 (AS6730) on its link.
# r3 drops 89.160.21.0/24 silently (an unreachable destination).  Routers
# answer from the address of the interface a probe came in on
# (icmp_errors_use_inbound_ifaddr) and have ICMP rate limits off, so runs
# repeat exactly.
#
# Usage: testnet_up PREFIX; ... ip netns exec "${PREFIX}client" ...;
#        testnet_silent r2 (r2 stops sending ICMP of its own);
#        testnet_switch_alt / testnet_switch_primary; testnet_down PREFIX.

_tn() {
	_tn_ns=$1
	shift
	ip netns exec "$TN$_tn_ns" "$@"
}

_tn_link() { # _tn_link NS1 IF1 NS2 IF2 V4A V4B/LEN V6NET
	ip link add "$2" netns "$TN$1" type veth peer name "$4" netns "$TN$3"
	_tn "$1" ip addr add "$5" dev "$2"
	_tn "$3" ip addr add "$6" dev "$4"
	_tn "$1" ip -6 addr add "$7::1/64" dev "$2" nodad
	_tn "$3" ip -6 addr add "$7::2/64" dev "$4" nodad
	_tn "$1" ip link set "$2" up
	_tn "$3" ip link set "$4" up
}

testnet_up() {
	TN=$1
	for n in client r1 r2 r3 r4 server; do
		ip netns add "$TN$n" || return 1
		_tn $n ip link set lo up
		_tn $n sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	for n in r1 r2 r3 r4; do
		_tn $n sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv6.conf.all.forwarding=1 \
			net.ipv4.icmp_ratelimit=0 \
			net.ipv4.icmp_msgs_per_sec=100000 \
			net.ipv4.icmp_msgs_burst=100000 \
			net.ipv6.icmp.ratelimit=0 \
			net.ipv4.icmp_errors_use_inbound_ifaddr=1
	done
	_tn server sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	_tn client sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	_tn_link client c0 r1 a0 1.0.0.2/24 1.0.0.1/24 fd00:1
	_tn_link r1 a1 r2 b0 18.0.0.1/24 18.0.0.2/24 fd00:2
	_tn_link r2 b1 r3 d0 12.81.92.1/24 12.81.92.10/24 fd00:3
	_tn_link r3 d1 server s0 89.160.20.1/24 89.160.20.112/24 fd00:4
	_tn_link r1 a2 r4 e0 214.78.120.1/24 214.78.120.2/24 fd00:5
	_tn_link r4 e1 r3 d2 15.0.0.1/24 15.0.0.2/24 fd00:6
	_tn server ip -6 addr add 2001:1700::1/128 dev s0 nodad
	_tn client ip route add default via 1.0.0.1
	_tn client ip -6 route add default via fd00:1::2
	_tn server ip route add default via 89.160.20.1
	_tn server ip -6 route add default via fd00:4::1
	# r1: towards the far side via r2; r4 only for the alternate path.
	_tn r1 ip route add default via 18.0.0.2
	_tn r1 ip -6 route add default via fd00:2::2
	_tn r2 ip route add 1.0.0.0/24 via 18.0.0.1
	_tn r2 ip route add default via 12.81.92.10
	_tn r2 ip -6 route add fd00:1::/64 via fd00:2::1
	_tn r2 ip -6 route add default via fd00:3::2
	_tn r3 ip route add default via 12.81.92.1
	_tn r3 ip -6 route add default via fd00:3::1
	_tn r3 ip -6 route add 2001:1700::1/128 via fd00:4::2
	_tn r3 ip route add blackhole 89.160.21.0/24
	_tn r4 ip route add 1.0.0.0/24 via 214.78.120.1
	_tn r4 ip route add default via 15.0.0.2
	_tn r4 ip -6 route add fd00:1::/64 via fd00:5::1
	_tn r4 ip -6 route add default via fd00:6::2
	# On fresh links the first IPv6 probes wait most of a second for
	# neighbour discovery: one probe round along the primary path first,
	# so a first trace measures the path, not the resolution.
	_tn client mtr --report -n -c 1 -G 0.5 2001:1700::1 >/dev/null 2>&1
	return 0
}

# Send r1's traffic for the server through r4 (and back to primary).
testnet_switch_alt() {
	_tn r1 ip route replace default via 214.78.120.2
	_tn r1 ip -6 route replace default via fd00:5::2
}
testnet_switch_primary() {
	_tn r1 ip route replace default via 18.0.0.2
	_tn r1 ip -6 route replace default via fd00:2::2
}

# The router sends no ICMP of its own (it still forwards).
testnet_silent() {
	_tn "$1" ip rule add iif lo ipproto icmp blackhole
	_tn "$1" ip -6 rule add iif lo ipproto ipv6-icmp blackhole
}

testnet_down() {
	for n in client r1 r2 r3 r4 server; do
		ip netns del "$1$n" 2>/dev/null
	done
	return 0
}
