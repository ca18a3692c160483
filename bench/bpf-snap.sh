#!/bin/sh
# SPDX-License-Identifier: MIT
# bpf-snap's overhead and snapshot cost, loopback only:
#  - 10,000 TCP connects and 100,000 UDP sendto() from a counted process,
#    with the programs attached against the same loops detached (added
#    time per operation; goals: < 1 us per connect, < 0.3 us per send);
#  - a snapshot of an edges map holding 16,384 keys against a snapshot of
#    empty maps (goals: < 20 ms wall, < 8 MB max RSS).
# Alternating detached/attached rounds, best of each, so a busy moment of
# the machine does not land on one side only.
set -eu
if [ "$(id -u)" != 0 ]; then
	echo "bench bpf-snap: skipped: needs root to attach" >&2
	exit 0
fi
make -C "$TOP" --no-print-directory -s build/bpf-snap build/bpf-traffic >/dev/null
BS="$BIN/bpf-snap"
TR="$BIN/bpf-traffic"
M="$BIN/bench-measure"
PIN=/sys/fs/bpf/promsnap-bench-$$/bpf-snap
ST="$T/state"
ROUNDS=${BPF_SNAP_BENCH_ROUNDS:-5}
was_mounted=0
[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && was_mounted=1
pids=""
cleanup() {
	"$BS" -q -s "$ST" --pin-dir "$PIN" detach >/dev/null 2>&1 || :
	rmdir "$(dirname "$PIN")" 2>/dev/null || :
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	[ "$was_mounted" = 1 ] || umount /sys/fs/bpf 2>/dev/null || :
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$TR" -n bs-srv serve-echo 127.0.0.1 0 0 >"$T/tcp.out" &
pids="$pids $!"
"$TR" -n bs-srv serve-sink 127.0.0.1 0 0 >"$T/udp.out" &
pids="$pids $!"
i=0
until grep -q ready "$T/tcp.out" 2>/dev/null && grep -q ready "$T/udp.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "bench bpf-snap: servers not ready" >&2; exit 1; }
	sleep 0.05
done
PT=$(sed -n 's/^ready //p' "$T/tcp.out")
PU=$(sed -n 's/^ready //p' "$T/udp.out")
cat >"$T/bpf-snap.yaml" <<EOC
targets:
  - {name: bench, match_comm: bsbench}
  - {name: fill, match_comm: bsfill}
EOC
attach() { "$BS" -q -c "$T/bpf-snap.yaml" -s "$ST" --pin-dir "$PIN" attach; }
detach() { "$BS" -q -s "$ST" --pin-dir "$PIN" detach; }
# CPU time of the sending process (user + system: the programs run in
# its syscalls), which other load on the machine disturbs far less than
# wall time.
secs() { "$TR" -n bsbench "$@" | awk '{ print $4 }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

tcp_off="" tcp_on="" udp_off="" udp_on=""
r=0
while [ $r -lt "$ROUNDS" ]; do
	tcp_off=$(min "$(secs tcp 127.0.0.1 $PT 10000)" "$tcp_off")
	udp_off=$(min "$(secs udp 127.0.0.1 $PU 100000)" "$udp_off")
	attach
	tcp_on=$(min "$(secs tcp 127.0.0.1 $PT 10000)" "$tcp_on")
	udp_on=$(min "$(secs udp 127.0.0.1 $PU 100000)" "$udp_on")
	detach
	r=$((r + 1))
done
awk -v on="$tcp_on" -v off="$tcp_off" 'BEGIN {
	a = on / 10000 * 1e6; b = off / 10000 * 1e6
	printf "bench bpf-snap TCP connect, programs attached: %.2f us CPU/connect  ref detached: %.2f us CPU/connect  ratio %.3f\n", a, b, a / b
	printf "bench bpf-snap TCP connect, added by the programs: %.3f us/connect  ref goal: 1 us/connect  ratio %.3f\n", a - b, (a - b) / 1 }'
awk -v on="$udp_on" -v off="$udp_off" 'BEGIN {
	a = on / 100000 * 1e6; b = off / 100000 * 1e6
	printf "bench bpf-snap UDP sendto, programs attached: %.3f us CPU/send  ref detached: %.3f us CPU/send  ratio %.3f\n", a, b, a / b
	printf "bench bpf-snap UDP sendto, added by the programs: %.3f us/send  ref goal: 0.3 us/send  ratio %.3f\n", a - b, (a - b) / 0.3 }'

# Snapshot: empty maps, then 16,384 distinct keys (one datagram to each
# of 16,384 ports; loopback answers with ICMP, never leaves the host).
attach
set -- $("$M" 20 "$BS" -q -s "$ST" --pin-dir "$PIN" -o "$T/empty.prom")
e_ms=$1 e_kb=$2
"$TR" -n bsfill udpn 127.0.0.1 1 16384 >/dev/null
set -- $("$M" 20 "$BS" -q -s "$ST" --pin-dir "$PIN" -o "$T/full.prom")
f_ms=$1 f_kb=$2
n=$(sed -n 's/^bpf_snap_map_entries{map="edges"} //p' "$T/full.prom")
if [ "$n" != 16384 ]; then
	echo "bench bpf-snap: edges map holds $n keys, expected 16384" >&2
	exit 1
fi
awk -v a="$f_ms" -v b="$e_ms" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, wall: %s ms  ref empty maps: %s ms  ratio %.2f\n", a, b, a / b }'
awk -v a="$f_kb" -v b="$e_kb" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, max RSS: %s KB  ref empty maps: %s KB  ratio %.2f\n", a, b, a / b }'
