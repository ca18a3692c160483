#!/bin/sh
# SPDX-License-Identifier: MIT
# The cost every tool pays: a run with nothing to measure (start, load empty
# state, write a valid file, exit), against /bin/true in the same run.
# Measured twice: with state and textfile on the disk that holds $T (two
# fsync+rename pairs, what production pays), and on tmpfs (/dev/shm), which
# isolates the process's own cost from the filesystem's.
set -eu
M="$BIN/bench-measure"
tool="$BIN/promsnap-selftest"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
set -- $($M 300 /bin/true)
true_ms=$1 true_kb=$2
for where in disk tmpfs; do
	if [ "$where" = tmpfs ]; then
		[ -d /dev/shm ] || continue
		d=$(mktemp -d /dev/shm/promsnap-bench.XXXXXX)
	else
		d="$T/disk"
	fi
	mkdir -p "$d/tf" "$d/st"
	"$tool" -d "$d/tf" -s "$d/st" --series 0 # create the state once
	set -- $($M 300 "$tool" -d "$d/tf" -s "$d/st" --series 0)
	echo "bench empty-run wall ($where): $1 ms  ref /bin/true: $true_ms ms  ratio $(ratio "$1" "$true_ms")"
	echo "bench empty-run max RSS ($where): $2 KB  ref /bin/true: $true_kb KB  ratio $(ratio "$2" "$true_kb")"
	[ "$where" = tmpfs ] && rm -rf "$d"
done
