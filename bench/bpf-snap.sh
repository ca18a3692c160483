#!/bin/sh
# SPDX-License-Identifier: MIT
# bpf-snap's overhead and snapshot cost, loopback only:
#  - 10,000 TCP connects (closed with a reset) and 100,000 UDP sendto()
#    from a counted process,
#    with the programs attached against the same loops detached (added
#    time per operation; goals: < 1 us per connect, < 0.3 us per send),
#    and against no-op programs on the same hooks (BPF_SNAP_NOOP=1): the
#    floor, what the hooks cost before the programs do anything;
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
ROUNDS=${BPF_SNAP_BENCH_ROUNDS:-9}
was_mounted=0
[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && was_mounted=1
pids=""
cleanup() {
	[ -z "${stats_was:-}" ] || sysctl -qw kernel.bpf_stats_enabled="$stats_was" 2>/dev/null || :
	"$BS" -q -s "$ST" --pin-dir "$PIN" detach >/dev/null 2>&1 || :
	rmdir "$(dirname "$PIN")" 2>/dev/null || :
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	[ "$was_mounted" = 1 ] || umount /sys/fs/bpf 2>/dev/null || :
	[ -z "${SHM:-}" ] || rm -rf "$SHM"
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
attach_noop() { BPF_SNAP_NOOP=1 attach; }
detach() { "$BS" -q -s "$ST" --pin-dir "$PIN" detach; }
# CPU time of the sending process (user + system: the programs run in
# its syscalls), which other load on the machine disturbs far less than
# wall time.
secs() { "$TR" -n bsbench "$@" | awk '{ print $4 }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# Connects close with a reset: 140,000 connects in a minute would
# otherwise fill the port range with TIME_WAIT and slow every later
# round's port search, whichever side it measures.  The order of the
# two sides alternates between rounds for the same reason.
tcp_off="" tcp_on="" udp_off="" udp_on="" tcp_nop="" udp_nop=""
measure_off() {
	tcp_off=$(min "$(secs tcprst 127.0.0.1 $PT 10000)" "$tcp_off")
	udp_off=$(min "$(secs udp 127.0.0.1 $PU 100000)" "$udp_off")
}
measure_on() {
	attach
	tcp_on=$(min "$(secs tcprst 127.0.0.1 $PT 10000)" "$tcp_on")
	udp_on=$(min "$(secs udp 127.0.0.1 $PU 100000)" "$udp_on")
	detach
}
measure_nop() {
	attach_noop
	tcp_nop=$(min "$(secs tcprst 127.0.0.1 $PT 10000)" "$tcp_nop")
	udp_nop=$(min "$(secs udp 127.0.0.1 $PU 100000)" "$udp_nop")
	detach
}
r=0
while [ $r -lt "$ROUNDS" ]; do
	case $((r % 3)) in
	0) measure_off; measure_on; measure_nop ;;
	1) measure_on; measure_nop; measure_off ;;
	2) measure_nop; measure_off; measure_on ;;
	esac
	r=$((r + 1))
done
# Kernel instructions per send, which other load on the machine does not
# change (perf, where the machine has the counter): detached, attached,
# no-op programs.
kinstr() { # kinstr ARGS...: instructions:k of the client's run, or empty
	command -v perf >/dev/null 2>&1 || return 0
	perf stat -x, -e instructions:k -- "$TR" -n bsbench "$@" 2>&1 >/dev/null |
		awk -F, '$3 ~ /instructions/ && $1 ~ /^[0-9]+$/ { print $1 }'
}
# Connects vary more (softirq work lands on whichever side runs it):
# fewest of three.
kinstr3() { min "$(kinstr "$@")" "$(min "$(kinstr "$@")" "$(kinstr "$@")")"; }
ki_off=$(kinstr udp 127.0.0.1 $PU 100000)
kt_off=$(kinstr3 tcprst 127.0.0.1 $PT 10000)
attach
ki_on=$(kinstr udp 127.0.0.1 $PU 100000)
kt_on=$(kinstr3 tcprst 127.0.0.1 $PT 10000)
detach
attach_noop
ki_nop=$(kinstr udp 127.0.0.1 $PU 100000)
kt_nop=$(kinstr3 tcprst 127.0.0.1 $PT 10000)
detach
# The programs' own run time per operation, from the kernel's BPF
# statistics (kernel.bpf_stats_enabled, restored afterwards): what the
# difference above should mostly be, without the noise of two runs.
prog_ns() { # prog_ns OP ARGS...: total run time of our programs, in ns
	attach
	_ids=$("$BS" -s "$ST" --pin-dir "$PIN" status | sed -n 's/.*prog id \([0-9]*\) (bs_.*/\1/p')
	"$TR" -n bsbench "$@" >/dev/null
	_t=0
	for _id in $_ids; do
		# bpftool leaves run_time_ns out for a program that never ran.
		_r=$(bpftool prog show id "$_id" | sed -n 's/.*run_time_ns \([0-9]*\).*/\1/p' | head -1)
		_t=$((_t + ${_r:-0}))
	done
	detach
	echo "$_t"
}
stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1
tcp_prog=$(prog_ns tcprst 127.0.0.1 $PT 10000)
udp_prog=$(prog_ns udp 127.0.0.1 $PU 100000)
sysctl -qw kernel.bpf_stats_enabled="$stats_was"

awk -v on="$tcp_on" -v off="$tcp_off" -v pr="$tcp_prog" 'BEGIN {
	a = on / 10000 * 1e6; b = off / 10000 * 1e6; p = pr / 10000 / 1000
	printf "bench bpf-snap TCP connect, programs attached: %.2f us CPU/connect  ref detached: %.2f us CPU/connect  ratio %.3f\n", a, b, a / b
	printf "bench bpf-snap TCP connect, added by the programs (goal < 1 us): %.3f us/connect  ref programs run time (bpf_stats): %.3f us/connect  ratio %.2f\n", a - b, p, (a - b) / p }'
awk -v on="$tcp_on" -v off="$tcp_off" -v nop="$tcp_nop" 'BEGIN {
	a = (on - off) / 10000 * 1e6; f = (nop - off) / 10000 * 1e6
	printf "bench bpf-snap TCP connect, added by the programs: %.3f us/connect  ref added by no-op programs on the same hooks (floor): %.3f us/connect  ratio %.2f\n", a, f, (f > 0 ? a / f : 0) }'
awk -v on="$udp_on" -v off="$udp_off" -v pr="$udp_prog" 'BEGIN {
	a = on / 100000 * 1e6; b = off / 100000 * 1e6; p = pr / 100000 / 1000
	printf "bench bpf-snap UDP sendto, programs attached: %.3f us CPU/send  ref detached: %.3f us CPU/send  ratio %.3f\n", a, b, a / b
	printf "bench bpf-snap UDP sendto, added by the programs (goal < 0.3 us): %.3f us/send  ref programs run time (bpf_stats): %.3f us/send  ratio %.2f\n", a - b, p, (a - b) / p }'
awk -v on="$udp_on" -v off="$udp_off" -v nop="$udp_nop" 'BEGIN {
	a = (on - off) / 100000 * 1e6; f = (nop - off) / 100000 * 1e6
	printf "bench bpf-snap UDP sendto, added by the programs: %.3f us/send  ref added by no-op programs on the same hooks (floor): %.3f us/send  ratio %.2f\n", a, f, (f > 0 ? a / f : 0) }'
if [ -n "$kt_off" ] && [ -n "$kt_on" ] && [ -n "$kt_nop" ]; then
	awk -v on="$kt_on" -v off="$kt_off" -v nop="$kt_nop" 'BEGIN {
	a = (on - off) / 10000; f = (nop - off) / 10000
	printf "bench bpf-snap TCP connect, kernel instructions added by the programs: %.0f instr/connect  ref added by no-op programs (floor): %.0f instr/connect  ratio %.2f\n", a, f, (f > 0 ? a / f : 0) }'
fi
if [ -n "$ki_off" ] && [ -n "$ki_on" ] && [ -n "$ki_nop" ]; then
	awk -v on="$ki_on" -v off="$ki_off" -v nop="$ki_nop" 'BEGIN {
	a = (on - off) / 100000; f = (nop - off) / 100000
	printf "bench bpf-snap UDP sendto, kernel instructions added by the programs: %.0f instr/send  ref added by no-op programs (floor): %.0f instr/send  ratio %.2f\n", a, f, (f > 0 ? a / f : 0) }'
fi

# Snapshot: empty maps, then 16,384 distinct keys (one datagram to each
# of 16,384 ports; loopback answers with ICMP, never leaves the host).
# On the disk of $T (what production pays, fsync included) and on tmpfs,
# which isolates the tool's own cost from the filesystem's.
snap() { # snap DIR NAME: median ms and max RSS KB of 20 snapshots
	mkdir -p "$1/st"
	"$M" 20 "$BS" -q -s "$1/st" --pin-dir "$PIN" -o "$1/$2.prom"
}
# CPU time (user + system) of a snapshot, best of 10, from the children's
# rusage (the kernel's precise runtime): wall time on a loaded 2-CPU
# machine mostly measures the other processes.
snap_cpu() { # snap_cpu DIR NAME: ms
	python3 - "$BS" -q -s "$1/st" --pin-dir "$PIN" -o "$1/$2.prom" <<'PY'
import resource, subprocess, sys
best = None
for _ in range(10):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(sys.argv[1:], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best = cpu if best is None else min(best, cpu)
print("%.2f" % (best * 1000))
PY
}
# Instructions (user + kernel) of one snapshot, which other load on the
# machine does not change, where perf has the counters.
snap_instr() { # snap_instr NAME: millions of instructions, or empty
	command -v perf >/dev/null 2>&1 || return 0
	perf stat -x, -e instructions:u,instructions:k -- "$BS" -q -s "$T/st" --pin-dir "$PIN" -o "$T/$1.prom" 2>&1 >/dev/null |
		awk -F, '$3 ~ /instructions/ && $1 ~ /^[0-9]+$/ { t += $1; n++ } END { if (n == 2) printf "%.1f\n", t / 1e6 }'
}
SHM=""
[ -d /dev/shm ] && SHM=$(mktemp -d /dev/shm/bpf-snap-bench.XXXXXX)
attach
set -- $(snap "$T" empty)
e_ms=$1 e_kb=$2
e_mi=$(snap_instr empty)
[ -z "$SHM" ] || { set -- $(snap "$SHM" empty); es_ms=$1; }
e_cpu=$(snap_cpu "$T" empty)
"$TR" -n bsfill udpn 127.0.0.1 1 16384 >/dev/null
set -- $(snap "$T" full)
f_ms=$1 f_kb=$2
[ -z "$SHM" ] || { set -- $(snap "$SHM" full); fs_ms=$1; }
f_cpu=$(snap_cpu "$T" full)
[ -z "$SHM" ] || rm -rf "$SHM"
# What the disk costs on its own: the same bytes written and synced (the
# tool also syncs them before its rename), by dd.
set -- $("$M" 20 "$(command -v dd)" if="$T/full.prom" of="$T/fsync-floor" bs=1M conv=fsync status=none)
d_ms=$1
d_bytes=$(wc -c <"$T/full.prom")
f_mi=$(snap_instr full)
n=$(sed -n 's/^bpf_snap_map_entries{map="edges"} //p' "$T/full.prom")
if [ "$n" != 16384 ]; then
	echo "bench bpf-snap: edges map holds $n keys, expected 16384" >&2
	exit 1
fi
awk -v a="$f_ms" -v b="$e_ms" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, wall (disk): %s ms  ref empty maps: %s ms  ratio %.2f\n", a, b, a / b }'
[ -z "$SHM" ] || awk -v a="$fs_ms" -v b="$es_ms" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, wall (tmpfs): %s ms  ref empty maps: %s ms  ratio %.2f\n", a, b, a / b }'
awk -v a="$f_ms" -v b="$d_ms" -v n="$d_bytes" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, wall (disk): %s ms  ref writing its %d bytes with fsync (dd, the disk alone): %s ms  ratio %.2f\n", a, n, b, a / b }'
awk -v a="$f_cpu" -v b="$e_cpu" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, CPU time: %s ms  ref empty maps: %s ms  ratio %.2f\n", a, b, (b > 0 ? a / b : 0) }'
if [ -n "$f_mi" ] && [ -n "$e_mi" ]; then
	awk -v a="$f_mi" -v b="$e_mi" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, instructions (user + kernel): %s M  ref empty maps: %s M  ratio %.2f\n", a, b, a / b }'
fi
awk -v a="$f_kb" -v b="$e_kb" 'BEGIN { printf "bench bpf-snap snapshot of 16384 keys, max RSS: %s KB  ref empty maps: %s KB  ratio %.2f\n", a, b, a / b }'
