#!/bin/sh
# SPDX-License-Identifier: MIT
# `make bench`: every bench/*.sh, each printing lines of the form
#   bench <name>: <value> <unit>  ref <name>: <value>  ratio <r>
# with the reference measured in the same invocation.  Tools are the
# optimised build in build/ (no sanitizers).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN="$TOP/build"
export TOP BIN
make -C "$TOP" --no-print-directory -s build/promsnap-selftest >/dev/null
# A small C launcher measures whole processes (see bench/measure.c).
cc -O2 -Wall -Wextra -Werror -o "$BIN/bench-measure" "$TOP/bench/measure.c"
rc=0
for b in "$TOP"/bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	T=$(mktemp -d "${TMPDIR:-/tmp}/promsnap-bench.XXXXXX")
	export T
	if ! timeout -k 5 600 sh "$b"; then
		echo "bench $(basename "$b" .sh): FAILED" >&2
		rc=1
	fi
	rm -rf "$T"
done
exit $rc
