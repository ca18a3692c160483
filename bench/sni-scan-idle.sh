#!/bin/sh
# SPDX-License-Identifier: MIT
# sni-scan: the cost of a run with nothing new (what most timer runs are),
# with 10,000 names in state and with one, against /bin/true.  Median of
# 20 runs each, on disk ($T) and on tmpfs (/dev/shm).  Prints only
# `bench ...` lines.
set -eu
: "${BIN:=build}"
: "${T:=$(mktemp -d)}"
S="$BIN/sni-scan"
SHM=$(mktemp -d /dev/shm/promsnap-bench.XXXXXX)
trap 'rm -rf "$SHM"' EXIT

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
runs() { # runs CMD...: median wall milliseconds of 20 runs
	"$BIN/bench-measure" 20 "$@" | awk '{ printf "%.2f", $1 }'
}

# 10,000 lines, one per name, in the bench's tcp-sni shape.
awk 'BEGIN {
	for (i = 0; i < 10000; i++)
		printf "127.0.%d.%d:%d [22/Nov/2026:00:00:00.000] fe_pass be_pool%d/s%d 0/1/%d %d %d -- 1/1/1/1/0 0/0 SNI=svc%d.example.com\n",
			int(i / 250) % 256, i % 250 + 1, 1024 + i, i % 4, i % 3, i % 7, i * 13 % 99991, i * 7 % 9973, i
}' >"$T/many.log"
head -n 1 "$T/many.log" >"$T/one.log"

for where in disk tmpfs; do
	if [ "$where" = disk ]; then D="$T/idle"; else D="$SHM"; fi
	mkdir -p "$D"
	"$S" -q -s "$D/st-many" -o "$D/many.prom" "$T/many.log"
	"$S" -q -s "$D/st-one" -o "$D/one.prom" "$T/one.log"
	many=$(runs "$S" -q -s "$D/st-many" -o "$D/many.prom" "$T/many.log")
	one=$(runs "$S" -q -s "$D/st-one" -o "$D/one.prom" "$T/one.log")
	tru=$(runs /bin/true)
	echo "bench sni-scan run with nothing new ($where), 10000 SNIs in state: $many ms  ref /bin/true: $tru ms  ratio $(ratio "$many" "$tru")"
	echo "bench sni-scan run with nothing new ($where), 1 SNI in state: $one ms  ref /bin/true: $tru ms  ratio $(ratio "$one" "$tru")"
done
