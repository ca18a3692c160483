#!/bin/sh
# SPDX-License-Identifier: MIT
# bpf-snap against this kernel: attach the real programs, make an exact
# number of TCP connects and UDP sends from a client with a unique comm
# (to loopback listeners over IPv4 and IPv6, a refused port, a listener
# with a full accept queue, and across a veth pair between two network
# namespaces created here), snapshot, and compare the counts, the
# failure and the latency buckets exactly.  A comm outside `targets` is
# not counted.  Then detach and check with bpftool that nothing of ours
# is loaded or attached; the whole cycle runs twice (targets, then --all).
. "$TOP/tests/integration/lib.sh"
BS_TAG=cli
. "$TOP/tests/integration/bpf-snap_common.inc"
need_cmd ip

OTHER="bsoth$$"
NSA="bs-a-$$"
NSB="bs-b-$$"
pids=""
# Cleanup, last registered first: servers, namespaces, then (from
# bpf-snap_common.inc) detach and bpffs.
on_exit "ip netns del $NSA 2>/dev/null; ip netns del $NSB 2>/dev/null"
on_exit 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null'

ready() { grep -q ready "$1"; }
port() { sed -n 's/^ready //p' "$T/$1.out"; }
serve() { # serve NAME ARGS...: start a listener on a port the kernel picks
	_n=$1
	shift
	"$TR" -n bs-srv "$@" >"$T/$_n.out" 2>&1 &
	pids="$pids $!"
	wait_until 10 ready "$T/$_n.out" || not_ok "server $_n" "not ready"
}
client() { "$TR" -n "$CLI" "$@" >/dev/null || not_ok "client $*" "exit $?"; }
other() { "$TR" -n "$OTHER" "$@" >/dev/null || not_ok "other $*" "exit $?"; }

serve echo4 serve-echo 127.0.0.1 0 0
serve echo6 serve-echo ::1 0 0
serve uecho serve-uecho 127.0.0.1 0 0
serve hold serve-hold 127.0.0.1 0 300
serve uslow serve-uecho 127.0.0.1 0 100
P1=$(port echo4) P6=$(port echo6) P2=$(port uecho) P3=$(port hold) P4=$(port uslow)
PC=$("$TR" freeport 127.0.0.1 0 0)

# Two namespaces joined by a veth pair: traffic to 198.18.0.2 (RFC 2544
# benchmark range) never leaves them.
ip netns add $NSA && ip netns add $NSB &&
	ip -n $NSA link set lo up && ip -n $NSB link set lo up &&
	ip link add bsa$$ netns $NSA type veth peer name bsb$$ netns $NSB &&
	ip -n $NSA addr add 198.18.0.1/30 dev bsa$$ &&
	ip -n $NSB addr add 198.18.0.2/30 dev bsb$$ &&
	ip -n $NSA link set bsa$$ up && ip -n $NSB link set bsb$$ up ||
	not_ok "netns setup" "ip failed"
ip netns exec $NSB "$TR" -n bs-srv serve-echo 198.18.0.2 0 0 >"$T/ns.out" 2>&1 &
pids="$pids $!"
wait_until 10 ready "$T/ns.out" || not_ok "netns server" "not ready"
P5=$(port ns)

cat >"$T/bpf-snap.yaml" <<EOC
interfaces: []
targets:
  - name: client
    match_comm: $CLI
EOC

# --- cycle 1: with targets -------------------------------------------
out=$("$BS" -c "$T/bpf-snap.yaml" -s "$ST" --pin-dir "$PIN" attach 2>&1)
assert_eq "attach exit status" 0 $?
assert_match "attach says what it did" "attached, counting 1 targets" "$out"
out=$("$BS" -c "$T/bpf-snap.yaml" -s "$ST" --pin-dir "$PIN" attach 2>&1)
assert_eq "second attach exit status" 0 $?
assert_match "second attach is a no-op" "already attached.*nothing changed" "$out"
status=$("$BS" -s "$ST" --pin-dir "$PIN" status)
assert_eq "status exit status" 0 $?
ids=$(printf '%s\n' "$status" | sed -n 's/.*prog id \([0-9]*\) (bs_.*/\1/p' | sort -u | tr '\n' ' ')
assert_eq "five programs loaded once" 5 "$(echo $ids | wc -w)"
assert_match "status names the target" "target 1: client" "$status"
assert_match "status says since when" "since $(date -u +%Y-%m-%d) [0-9:]{8} UTC|since $(date -u -d '1 minute ago' +%Y-%m-%d) " "$status"
cg=$(sed -n 's/^[0-9]* [0-9]* [0-9:]* \/ \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo | head -1)
ours_in_cgroup() { # how many of our programs bpftool sees on the cgroup2 root
	# Only our ids: a production attach of bpf-snap may be there too.
	_n=0
	for _id in $(bpftool cgroup show "$cg" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ { print $1 }'); do
		for _our in $ids; do [ "$_id" = "$_our" ] && _n=$((_n + 1)); done
	done
	echo $_n
}
assert_eq "bpftool cgroup show: both sendmsg hooks attached" 2 "$(ours_in_cgroup)"

client tcp 127.0.0.1 $P1 5
client tcp ::1 $P6 3
# An IPv6 socket to ::ffff:127.0.0.1 reaches the IPv4 listener: same row.
client tcp ::ffff:127.0.0.1 $P1 1
client refused 127.0.0.1 $PC 1
client udp 127.0.0.1 $P2 7
client udp ::ffff:127.0.0.1 $P2 2
client udpc 127.0.0.1 $P2 4
client urr 127.0.0.1 $P4 2
client ucrr 127.0.0.1 $P4 2
client rr 127.0.0.1 $P1 3
client tcp 127.0.0.1 $P3 2
ip netns exec $NSA "$TR" -n "$CLI" tcp 198.18.0.2 $P5 4 >/dev/null || not_ok "netns tcp" "exit $?"
ip netns exec $NSA "$TR" -n "$CLI" udp 198.18.0.2 $P5 3 >/dev/null || not_ok "netns udp" "exit $?"
other tcp 127.0.0.1 $P1 2
other udp 127.0.0.1 $P2 2

"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/bpf-snap.prom"
assert_eq "snapshot exit status" 0 $?
check_prom "$T/bpf-snap.prom"

# The whole set of counters of the client (the order within a family is
# the unit tests' business: ports here are whatever the kernel gave).
sort >"$T/want" <<EOW
netagent_connect_failures_total{process="client",dport="$P1"} 0
netagent_connect_failures_total{process="client",dport="$P3"} 0
netagent_connect_failures_total{process="client",dport="$PC"} 1
netagent_connect_failures_total{process="client",dport="$P5"} 0
netagent_connect_failures_total{process="client",dport="$P6"} 0
netagent_connect_total{process="client",proto="tcp",dport="$P1"} 7
netagent_connect_total{process="client",proto="tcp",dport="$P6"} 3
netagent_connect_total{process="client",proto="tcp",dport="$P3"} 2
netagent_connect_total{process="client",proto="tcp",dport="$PC"} 1
netagent_connect_total{process="client",proto="tcp",dport="$P5"} 4
netagent_connect_total{process="client",proto="udp",dport="$P2"} 13
netagent_connect_total{process="client",proto="udp",dport="$P4"} 4
netagent_connect_total{process="client",proto="udp",dport="$P5"} 3
netagent_edge_total{process="client",proto="tcp",dport="$P1",dst_ip="127.0.0.1"} 7
netagent_edge_total{process="client",proto="tcp",dport="$P6",dst_ip="::1"} 3
netagent_edge_total{process="client",proto="tcp",dport="$P3",dst_ip="127.0.0.1"} 2
netagent_edge_total{process="client",proto="tcp",dport="$PC",dst_ip="127.0.0.1"} 1
netagent_edge_total{process="client",proto="tcp",dport="$P5",dst_ip="198.18.0.2"} 4
netagent_edge_total{process="client",proto="udp",dport="$P2",dst_ip="127.0.0.1"} 13
netagent_edge_total{process="client",proto="udp",dport="$P4",dst_ip="127.0.0.1"} 4
netagent_edge_total{process="client",proto="udp",dport="$P5",dst_ip="198.18.0.2"} 3
EOW
grep -E '^netagent_(connect_total|edge_total|connect_failures_total)\{' "$T/bpf-snap.prom" | sort >"$T/got"
if cmp -s "$T/want" "$T/got"; then
	ok "exact counts per process, protocol, port and destination"
else
	not_ok "exact counts per process, protocol, port and destination" \
		"$(diff "$T/want" "$T/got" | head -20 | tr '\n' '|')"
fi
assert_eq "comm outside targets not counted" 0 \
	"$(grep -c -e "$OTHER" -e 'process="bs-srv"' "$T/bpf-snap.prom")"

h() { # h FAMILY LABELS LE: a bucket's value (or _count with LE=count)
	if [ "$3" = count ]; then
		sed -n "s/^$1_count{$2} //p" "$T/bpf-snap.prom"
	else
		sed -n "s/^$1_bucket{$2,le=\"$3\"} //p" "$T/bpf-snap.prom"
	fi
}
CD=netagent_connect_duration_seconds
TX=netagent_tx_duration_seconds
# A full accept queue drops the second SYN; it is retransmitted after
# the initial RTO of 1 s, so that connect takes about 1 s.
assert_eq "held listener: one fast connect" 1 "$(h $CD "process=\"client\",dport=\"$P3\"" 0.536870912)"
assert_eq "held listener: the delayed one is within 2.1 s" 2 "$(h $CD "process=\"client\",dport=\"$P3\"" 2.147483648)"
assert_eq "loopback connects are fast" 7 "$(h $CD "process=\"client\",dport=\"$P1\"" 0.536870912)"
assert_eq "IPv6 loopback connects are fast" 3 "$(h $CD "process=\"client\",dport=\"$P6\"" 0.536870912)"
assert_eq "refused connect has no latency" "" "$(h $CD "process=\"client\",dport=\"$PC\"" count)"
assert_eq "netns connects measured" 4 "$(h $CD "process=\"client\",dport=\"$P5\"" count)"
# The UDP echo answers after 100 ms: (67 ms, 134 ms], for the two sends
# on an unconnected socket and the two on a connected one.
L="process=\"client\",proto=\"udp\",dport=\"$P4\",dst_ip=\"127.0.0.1\""
assert_eq "tx duration: none under 67 ms" 0 "$(h $TX "$L" 0.067108864)"
assert_eq "tx duration: all four within 134 ms" 4 "$(h $TX "$L" 0.134217728)"
L="process=\"client\",proto=\"tcp\",dport=\"$P1\",dst_ip=\"127.0.0.1\""
assert_eq "tx duration of TCP request/response" 3 "$(h $TX "$L" count)"
# Nine kernel keys: the v4-mapped connect is its own key until user space
# folds it.
assert_eq "no connect lost to a shared slot" 0 "$(sed -n 's/^bpf_snap_dropped_keys_total{map="pend_conn"} //p' "$T/bpf-snap.prom")"
assert_match "map fill level reported" '^bpf_snap_map_entries\{map="edges"\} 9$' "$(grep 'map_entries{map="edges"}' "$T/bpf-snap.prom")"

if [ -n "${PROM_URL:-}" ]; then
	cp "$T/bpf-snap.prom" "$TEXTFILE_DIR/bpf-snap.prom"
	r=$(prom_wait "netagent_connect_total{process=\"client\",dport=\"$P2\"}" 20)
	assert_match "Prometheus scraped the counts" '"13"' "$r"
	rm -f "$TEXTFILE_DIR/bpf-snap.prom"
fi

out=$("$BS" -s "$ST" --pin-dir "$PIN" detach)
assert_eq "detach exit status" 0 $?
assert_match "detach reports" "detached: removed 14 pins" "$out"
gone=1
for id in $ids; do
	bpftool prog show id "$id" >/dev/null 2>&1 && gone=0
	bpftool link list 2>/dev/null | grep -q "prog $id\$" && gone=0
done
assert_eq "bpftool prog/link list: none of ours" 1 "$gone"
left=$(ours_in_cgroup)
assert_eq "bpftool cgroup show: none of ours" 0 "$left"
assert_eq "pin directory removed" 1 "$([ -e "$PIN" ] && echo 0 || echo 1)"
"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/after.prom" 2>"$T/after.err"
assert_eq "snapshot with nothing attached exits 69" 69 $?
assert_match "and says so" "nothing attached: run bpf-snap attach" "$(cat "$T/after.err")"
assert_match "health says the run failed" '^promsnap_run_success\{tool="bpf-snap"\} 0$' "$(cat "$T/after.prom")"
assert_match "the file says nothing is attached" '^bpf_snap_attached 0$' "$(cat "$T/after.prom")"
assert_eq "and holds no measurement series" 0 "$(grep -c '^netagent_' "$T/after.prom")"

# --- cycle 2: every process, under its comm ------------------------------
out=$("$BS" -c /nonexistent -s "$ST" --pin-dir "$PIN" attach 2>&1)
assert_eq "attach with a missing -c file is a config error" 78 $?
out=$("$BS" -s "$ST" --pin-dir "$PIN" --all attach 2>&1)
assert_eq "attach --all exit status" 0 $?
client tcp 127.0.0.1 $P1 2
client udp ::1 $P2 3
"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/all.prom"
assert_eq "second snapshot exit status" 0 $?
sort >"$T/want" <<EOW
netagent_edge_total{process="$CLI",proto="tcp",dport="$P1",dst_ip="127.0.0.1"} 2
netagent_edge_total{process="$CLI",proto="udp",dport="$P2",dst_ip="::1"} 3
EOW
grep "^netagent_edge_total{process=\"$CLI\"" "$T/all.prom" | sort >"$T/got"
if cmp -s "$T/want" "$T/got"; then
	ok "--all counts under the comm, from zero after re-attach"
else
	not_ok "--all counts under the comm" "$(diff "$T/want" "$T/got" | tr '\n' '|')"
fi
check_prom "$T/all.prom"
ids=$("$BS" -s "$ST" --pin-dir "$PIN" status | sed -n 's/.*prog id \([0-9]*\) (bs_.*/\1/p' | tr '\n' ' ')
"$BS" -q -s "$ST" --pin-dir "$PIN" detach
assert_eq "second detach exit status" 0 $?
gone=1
for id in $ids; do bpftool prog show id "$id" >/dev/null 2>&1 && gone=0; done
assert_eq "second detach leaves no program" 1 "$gone"
out=$("$BS" -s "$ST" --pin-dir "$PIN" detach)
assert_match "detach with nothing attached is a no-op" "nothing attached" "$out"
