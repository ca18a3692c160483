#!/bin/bash
# SPDX-License-Identifier: MIT
# sni-scan runs with nothing new in the log (most timer runs): the series
# of the last .prom are reused instead of formatted again from the
# counters (reuse.h).  Such a run must leave every counter as it was, write
# a fresh file with current health metrics, and notice a .prom or state
# that does not match: edited, deleted, stale after a lost write, foreign,
# or written with other settings.  Each case compares the whole series
# with what a run from scratch over the same log writes.
. "$TOP/tests/integration/lib.sh"
cd "$T" || exit 1
S="$BIN/sni-scan"

# gen FIRST LAST BYTES NAMES: log lines for connections FIRST..LAST, each
# sending BYTES * i bytes (BYTES 0: 7) to n<i % NAMES>.example.com, the
# frontend alternating fe0/fe1.
gen() {
	awk -v a="$1" -v b="$2" -v m="$3" -v n="$4" 'BEGIN {
		for (i = a; i <= b; i++)
			printf "127.0.0.1:%d [22/Nov/2026:00:00:00.000] fe%d be/s1 1/0/5 %d 10 -- 1/1/0/0/0 0/0 SNI=n%d.example.com\n",
				i, i % 2, m ? m * i : 7, i % n
	}'
}
# Everything but the health series, whose values change every run.
series() { grep -v '^promsnap_' "$1"; }
val() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
ts() { val "$1" 'promsnap_last_run_timestamp_seconds{tool="sni-scan"}'; }
# The series a run from empty state writes for a.log.
scratch() {
	rm -rf st-scratch
	"$S" -s st-scratch -o scratch.prom a.log && series scratch.prom
}
reused() { grep -c 'nothing new: the series of' "$1"; }

gen 1 400 3 120 >a.log
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "first run: exit 0, series formatted" "0 0" "$? $(reused err.txt)"
series a.prom >first.txt
assert_eq "first run: as a run from scratch" "$(scratch)" "$(cat first.txt)"

# --- nothing new ---------------------------------------------------------
ino1=$(stat -c %i a.prom)
t1=$(ts a.prom)
side1=$(stat -c '%n %i %Y' st/sni-counters.*)
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "nothing new: exit 0, series reused" "0 1" "$? $(reused err.txt)"
assert_eq "nothing new: every counter as it was" "$(cat first.txt)" "$(series a.prom)"
assert_eq "nothing new: a fresh file (new inode)" 1 "$([ "$(stat -c %i a.prom)" != "$ino1" ] && echo 1)"
assert_eq "nothing new: health metrics rewritten" 1 \
	"$(awk -v a="$t1" -v b="$(ts a.prom)" 'BEGIN { print (b > a) ? 1 : 0 }')"
assert_eq "nothing new: run success 1" 1 "$(val a.prom 'promsnap_run_success{tool="sni-scan"}')"
assert_eq "nothing new: counters file neither rewritten nor replaced" "$side1" \
	"$(stat -c '%n %i %Y' st/sni-counters.*)"
check_promfile "$T/a.prom"
rm -f "${TEXTFILE_DIR:-/nonexistent}/sni-scan.prom"
for _ in 1 2 3; do "$S" -q -s st -o a.prom a.log; done
assert_eq "three more runs with nothing new: still the same counters" "$(cat first.txt)" "$(series a.prom)"

# --- new lines after reused runs: counted once, as from scratch -------------
gen 401 450 0 130 >>a.log
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "new lines: exit 0, series formatted" "0 0" "$? $(reused err.txt)"
assert_eq "new lines: as a run from scratch" "$(scratch)" "$(series a.prom)"
series a.prom >second.txt

# --- a .prom that does not match the state is written anew -----------------
sed -i 's/^\(haproxy_sni_total_bytes{sni="n1.example.com"}\) .*/\1 999999/' a.prom
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "edited .prom: not reused" "0 0" "$? $(reused err.txt)"
assert_eq "edited .prom: the counters' value back" "$(cat second.txt)" "$(series a.prom)"

# The same size, edited in place (same inode): the record of the file last
# written no longer matches, the file is hashed and found different.
"$S" -q -s st -o a.prom a.log
printf 9 | dd of=a.prom bs=1 seek="$(grep -b -m1 '^haproxy_sni_connections' a.prom | cut -d: -f1 |
	awk '{ print $1 + length("haproxy_sni_connections{sni=\"n0.example.com\"} ") }')" conv=notrunc 2>/dev/null
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "edited in place, same size: not reused, the value back" "0 $(cat second.txt)" \
	"$(reused err.txt) $(series a.prom)"

rm a.prom
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "deleted .prom: exit 0, recreated" "0 0" "$? $(reused err.txt)"
assert_eq "deleted .prom: same series" "$(cat second.txt)" "$(series a.prom)"

head -c 1000 a.prom >cut.prom && mv cut.prom a.prom
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "truncated .prom: written anew" "0 $(cat second.txt)" "$(reused err.txt) $(series a.prom)"

printf '# HELP x_total Another tool.\n# TYPE x_total counter\nx_total 1\n' >a.prom
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "foreign .prom: written anew" "0 $(cat second.txt)" "$(reused err.txt) $(series a.prom)"

# A lost write: the state was committed, the .prom of that run never
# replaced the one before (crash between the two).  The older file's
# series no longer match the state.
cp a.prom old.prom
gen 451 460 0 1 | sed 's/SNI=n0/SNI=late/' >>a.log
"$S" -q -s st -o a.prom a.log
series a.prom >third.txt
cp old.prom a.prom
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "stale .prom after a lost write: not reused" 0 "$(reused err.txt)"
assert_eq "stale .prom after a lost write: the committed counters" "$(cat third.txt)" "$(series a.prom)"
assert_eq "stale .prom: late.example.com counted once" 10 \
	"$(val a.prom 'haproxy_sni_connections{sni="late.example.com"}')"

# A failed run writes only its health; the next run restores the series.
"$S" -s st --format nosuch -o a.prom a.log 2>/dev/null
assert_eq "failed run: exit 78, no series in the file" "78 0" "$? $(grep -c '^haproxy_sni' a.prom)"
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "after a failed run: series back, not reused" "0 $(cat third.txt)" "$(reused err.txt) $(series a.prom)"

# --- other settings: another block ------------------------------------------
"$S" -v -s st --by frontend -o a.prom a.log 2>err.txt
series a.prom >by.txt
assert_eq "--by frontend after reused runs: formatted, with the label" "0 1" \
	"$(reused err.txt) $(grep -c '^haproxy_sni_connections{sni="late.example.com",frontend=' by.txt)"
"$S" -v -s st --by frontend -o a.prom a.log 2>err.txt
assert_eq "--by frontend again: reused" "1 $(cat by.txt)" "$(reused err.txt) $(series a.prom)"
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "back without --by: formatted" "0 $(cat third.txt)" "$(reused err.txt) $(series a.prom)"
"$S" -q -s st -o - a.log >stdout.prom
assert_eq "-o - after reused runs: every series on stdout" "$(cat third.txt)" "$(series stdout.prom)"

# --- expiry due: the block changes although the log did not ----------------
"$S" -q -s st -o a.prom a.log
sleep 2 # names were last seen at the first runs' whole second
"$S" -v -s st --expire-after 1s -o a.prom a.log 2>err.txt
assert_eq "expiry due: not reused, every name forgotten" "0 0" \
	"$(reused err.txt) $(grep -c '^haproxy_sni_connections' a.prom)"
assert_eq "expiry due: run counters kept" "$(grep '^sni_scan_lines' third.txt)" "$(grep '^sni_scan_lines' a.prom)"

# --- the state: deleted or damaged ----------------------------------------
rm -rf st
"$S" -q -s st -o a.prom a.log
"$S" -q -s st -o a.prom a.log
series a.prom >fourth.txt
assert_eq "state rebuilt from the log, then reused: as from scratch" "$(scratch)" "$(cat fourth.txt)"
rm st/state
"$S" -v -s st -o a.prom a.log 2>err.txt
assert_eq "deleted state: the log read again, nothing counted twice" "0 $(cat fourth.txt)" \
	"$(reused err.txt) $(series a.prom)"
set -- st/sni-counters.*
assert_eq "deleted state: one counters file left" 1 "$#"
rm st/sni-counters.*
"$S" -s st -o a.prom a.log 2>err.txt
assert_eq "deleted counters file: exit 0, reported" 0 $?
assert_match "deleted counters file: says which and what it did" \
	'state: .*sni-counters\.[0-9]+: cannot read: No such file or directory; starting fresh' "$(cat err.txt)"
assert_eq "deleted counters file: promsnap_state_reset 1" 1 \
	"$(val a.prom 'promsnap_state_reset{tool="sni-scan"}')"
assert_eq "deleted counters file: the log read again, nothing counted twice" "$(cat fourth.txt)" "$(series a.prom)"
sed -i 's/^promsnap.*//' st/state # damaged: the state file moves aside
"$S" -s st -o a.prom a.log 2>err.txt
assert_match "damaged state: moved aside" 'moved to .*state.corrupt' "$(cat err.txt)"
assert_eq "damaged state: the log read again, nothing counted twice" "$(cat fourth.txt)" "$(series a.prom)"
