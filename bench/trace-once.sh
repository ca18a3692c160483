#!/bin/sh
# SPDX-License-Identifier: MIT
# trace-once with 16 targets in a routed namespace network (see
# cmd/trace-once/testnet.sh; traffic stays inside namespaces made here):
#  - wall time of one run over all 16 targets against the slowest of the
#    same targets run alone, in this invocation (goal: ratio <= 1.1);
#  - trace-once's own CPU time in that run, without its mtr children
#    (goal: under 5 ms), read from the scheduler by tests/tools/
#    trace_cputime.c, against the CPU time of those mtr children; once with
#    state and file on the disk under $T, once on tmpfs; and on tmpfs
#    against a floor: a program that starts the same 16 mtr runs, reads
#    and reaps them and does nothing else (tests/tools/trace_spawn_floor.c).
# Each figure is a median (3 runs alone, 5 together) on warm state, as a
# timer's runs see it; about a minute in all.
set -eu
if [ "$(id -u)" != 0 ] || ! command -v mtr >/dev/null; then
	echo "bench trace-once: skipped (needs root and mtr)" >&2
	exit 0
fi
cc -O2 -Wall -Wextra -Werror -o "$T/cputime" "$TOP/tests/tools/trace_cputime.c"
cc -O2 -Wall -Wextra -Werror -o "$T/floor" "$TOP/tests/tools/trace_spawn_floor.c"
. "$TOP/cmd/trace-once/testnet.sh"
NS="trb$$-"
trap 'testnet_down "$NS"' EXIT INT TERM
testnet_up "$NS" >"$T/net.log" 2>&1
N=16
i=0
targets=""
while [ $i -lt $N ]; do
	a="89.160.20.$((112 + i))"
	[ $i -gt 0 ] && ip netns exec "${NS}server" ip addr add "$a/24" dev s0
	targets="$targets $a"
	i=$((i + 1))
done
DB="$TOP/tests/fixtures/trace-once/GeoLite2-ASN-Test.mmdb"
opts="--db-path $DB --count 3 --interval 0.2 --grace 0.5 -o $T/out.prom"
now_ms() { date +%s%N | awk '{ printf "%.3f", $1 / 1e6 }'; }
run() { # run STATE-DIR HOST...: prints wall ms; CPU line in $T/log
	_s=$1
	shift
	_t0=$(now_ms)
	ip netns exec "${NS}client" "$T/cputime" "$BIN/trace-once" -s "$_s" \
		$opts "$@" 2>"$T/log"
	_t1=$(now_ms)
	awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run "$T/st-all" $targets >/dev/null # warm state
# Each target alone, three times; the slowest target's median is the
# reference.
slowest=0
for a in $targets; do
	ws=""
	for k in 1 2 3; do ws="$ws $(run "$T/st-$a" "$a")"; done
	w=$(median $ws)
	slowest=$(awk -v a="$w" -v b="$slowest" 'BEGIN { print (a > b) ? a : b }')
done
walls=""
cpus=""
kids=""
for k in 1 2 3 4 5; do
	w=$(run "$T/st-all" $targets)
	grep -q 'mtr_report_reached{target="89.160.20.127"} 1' "$T/out.prom" || {
		echo "bench trace-once: run $k did not reach every target" >&2
		exit 1
	}
	walls="$walls $w"
	cpus="$cpus $(sed -n 's/^cputime: \([0-9.]*\) ms self.*/\1/p' "$T/log")"
	kids="$kids $(sed -n 's/^cputime: .* ms self, \([0-9.]*\) ms children.*/\1/p' "$T/log")"
done
w=$(median $walls)
c=$(median $cpus)
kc=$(median $kids)
# The same with state and file on tmpfs: the process's own cost without
# the filesystem's (file creation and fsync on the disk under $T).
shm_c=""
if [ -d /dev/shm ]; then
	d=$(mktemp -d /dev/shm/trace-once-bench.XXXXXX)
	opts="--db-path $DB --count 3 --interval 0.2 --grace 0.5 -o $d/out.prom"
	run "$d/st" $targets >/dev/null
	cs=""
	fs=""
	for k in 1 2 3 4 5; do
		run "$d/st" $targets >/dev/null
		cs="$cs $(sed -n 's/^cputime: \([0-9.]*\) ms self.*/\1/p' "$T/log")"
		# The floor, taking turns with it: the same 16 mtr runs
		# started, read and reaped by a program that does nothing
		# else (tests/tools/trace_spawn_floor.c).
		ip netns exec "${NS}client" "$T/cputime" "$T/floor" $targets \
			-- mtr --json -n -c 3 -i 0.2 -G 0.5 -m 30 -- 2>"$T/log" \
			>/dev/null
		fs="$fs $(sed -n 's/^cputime: \([0-9.]*\) ms self.*/\1/p' "$T/log")"
	done
	shm_c=$(median $cs)
	floor_c=$(median $fs)
	rm -rf "$d"
fi
echo "bench trace-once 16 targets wall: $w ms  ref slowest single target alone: $slowest ms  ratio $(ratio "$w" "$slowest")"
echo "bench trace-once 16 targets own CPU (disk): $c ms  ref their mtr children's CPU: $kc ms  ratio $(ratio "$c" "$kc")"
if [ -n "$shm_c" ]; then
	echo "bench trace-once 16 targets own CPU (tmpfs): $shm_c ms  ref their mtr children's CPU: $kc ms  ratio $(ratio "$shm_c" "$kc")"
	echo "bench trace-once 16 targets own CPU (tmpfs): $shm_c ms  ref floor, a program that only starts, reads and reaps the same mtr runs: $floor_c ms  ratio $(ratio "$shm_c" "$floor_c")"
fi
