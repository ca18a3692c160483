#!/bin/bash
# SPDX-License-Identifier: MIT
# sni-scan as an operator runs it: options, exit codes, config errors,
# stdin, incremental reads (partial lines, --from-end, --reset,
# --max-bytes backlog, over-long lines), the rotation cases a test can make
# with plain files (file missing then back, rewritten in place), the lock,
# the series cap and expiry.  Whole outputs are compared where the input
# fixes them.
. "$TOP/tests/integration/lib.sh"
cd "$T" || exit 1
S="$BIN/sni-scan"

line() { # line PORT BYTES SNI [FRONTEND]
	printf '127.0.0.1:%s [22/Nov/2026:00:00:00.000] %s be/s1 1/0/5 %s 10 -- 1/1/0/0/0 0/0 SNI=%s\n' \
		"$1" "${4:-fe}" "$2" "$3"
}
sni_lines() { grep '^haproxy_sni_\|^sni_scan_series' "$1"; }
val() { awk -v k="$2" '$1 == k {print $2}' "$1"; }

# --- options and exit codes ----------------------------------------------
"$S" --help >help.txt 2>&1
assert_eq "--help exits 0" 0 $?
assert_match "--help lists --log-format" -- '--log-format STRING' "$(cat help.txt)"
"$S" --no-such-option >/dev/null 2>err.txt
assert_eq "unknown option exits 64" 64 $?
"$S" --max-series 0 -s st0 -o - /dev/null >/dev/null 2>err.txt
assert_eq "--max-series 0 exits 64" 64 $?
"$S" --format nosuch -s st0 -o out0.prom /dev/null 2>err.txt
assert_eq "unknown --format exits 78" 78 $?
assert_match "unknown --format names the presets" 'known: tcp-sni, tcp-sni-tls, http-sni, traffic-exporter' "$(cat err.txt)"
assert_eq "a failed run still writes its health" "promsnap_run_success{tool=\"sni-scan\"} 0" \
	"$(grep '^promsnap_run_success' out0.prom)"

# --- config errors name file, line and column ------------------------------
cat >bad1.yaml <<'EOF'
logs:
  - path: x.log
    log_format: "%ci:%cp %B %U"
EOF
"$S" -c bad1.yaml -s st1 -o - >/dev/null 2>err.txt
assert_eq "log_format without a name field exits 78" 78 $?
assert_match "config error says where and what to add" \
	'bad1.yaml:3:17: logs\[0\]: log format: no server name field: add SNI=%\[var\(sess.sni\)\]' "$(cat err.txt)"
cat >bad2.yaml <<'EOF'
logs:
  - path: x.log
max_serie: 5
EOF
"$S" -c bad2.yaml -s st1 -o - >/dev/null 2>err.txt
assert_eq "misspelt key exits 78" 78 $?
assert_match "misspelt key: nearest known key" 'bad2.yaml:3:1: .*max_serie.*max_series' "$(cat err.txt)"

# --- stdin, whole output ----------------------------------------------------
{ line 1 100 a.example.com; line 2 0 A.EXAMPLE.COM; line 3 7 -; line 4 5 'bad name'; } >in.log
"$S" -s st2 -o - - <in.log >stdin.prom
assert_eq "stdin: exit 0" 0 $?
cat >want.txt <<'EOF'
haproxy_sni_connections{sni="a.example.com"} 2
haproxy_sni_connections{sni="invalid"} 1
haproxy_sni_connections{sni="none"} 1
haproxy_sni_total_bytes{sni="a.example.com"} 100
haproxy_sni_total_bytes{sni="invalid"} 5
haproxy_sni_total_bytes{sni="none"} 7
haproxy_sni_uploaded_bytes_total{sni="a.example.com"} 20
haproxy_sni_uploaded_bytes_total{sni="invalid"} 10
haproxy_sni_uploaded_bytes_total{sni="none"} 10
haproxy_sni_zero_bytes{sni="a.example.com"} 1
haproxy_sni_zero_bytes{sni="invalid"} 0
haproxy_sni_zero_bytes{sni="none"} 0
sni_scan_series_dropped_total 0
EOF
assert_eq "stdin (journalctl pipeline): whole per-SNI output" "$(cat want.txt)" "$(sni_lines stdin.prom)"
"$S" -s st2i -o - --input in.log >input.prom
assert_eq "--input LOG reads like an operand" "$(cat want.txt)" "$(sni_lines input.prom)"
"$S" -s st2p -o - <(cat in.log) >pipe.prom
assert_eq "a pipe named as a log (<(...)) is read to its end" "$(cat want.txt)" "$(sni_lines pipe.prom)"
# A last line without newline counts on stdin: the input ends there.
printf '%s' "$(line 9 1 b.example.com)" | "$S" -s st2b -o - - >nonl.prom
assert_eq "stdin: last line without newline counts" 1 "$(val nonl.prom 'haproxy_sni_connections{sni="b.example.com"}')"

# --- partial lines wait for the next run ------------------------------------
{ line 1 10 p.example.com; line 2 10 p.example.com; printf '127.0.0.1:3 [22/Nov/2026:00:00:00.000] fe be/s1 1/0/5 10 10'; } >p.log
"$S" -s st3 -o p.prom p.log
assert_eq "partial last line: not counted yet" 2 "$(val p.prom 'haproxy_sni_connections{sni="p.example.com"}')"
printf ' -- 1/1/0/0/0 0/0 SNI=p.example.com\n' >>p.log
"$S" -s st3 -o p.prom p.log
assert_eq "partial line completed: counted once, whole" 3 "$(val p.prom 'haproxy_sni_connections{sni="p.example.com"}')"
assert_eq "partial line completed: nothing malformed" 0 "$(val p.prom 'sni_scan_lines_total{log="p.log",result="malformed"}')"
check_promfile "$T/p.prom"
rm -f "${TEXTFILE_DIR:-/nonexistent}/p.prom"

# --- --from-end, --reset --------------------------------------------------------
{ line 1 10 old.example.com; line 2 10 old.example.com; } >fe.log
"$S" -s st4 --from-end -o fe.prom fe.log
assert_eq "--from-end: existing lines skipped" "" "$(val fe.prom 'haproxy_sni_connections{sni="old.example.com"}')"
line 3 10 new.example.com >>fe.log
"$S" -s st4 --from-end -o fe.prom fe.log
assert_eq "--from-end: later lines counted" 1 "$(val fe.prom 'haproxy_sni_connections{sni="new.example.com"}')"
"$S" -s st4 --reset -o fe.prom fe.log
assert_eq "--reset: counters and position cleared, log read again" "2 1" \
	"$(val fe.prom 'haproxy_sni_connections{sni="old.example.com"}') $(val fe.prom 'haproxy_sni_connections{sni="new.example.com"}')"

# --- --max-bytes: a bounded run leaves a backlog, later runs catch up --------
for i in $(seq 1 400); do line "$i" "$i" "m$((i % 7)).example.com"; done >big.log
total=$(wc -c <big.log)
"$S" -s st5 --max-line 1KiB --max-bytes 4KiB -o mb.prom big.log
b1=$(val mb.prom 'sni_scan_backlog_bytes{log="big.log"}')
r1=$(val mb.prom 'sni_scan_read_bytes_total{log="big.log"}')
assert_eq "--max-bytes: read + backlog = file size" "$total" "$((b1 + r1))"
if [ "$b1" -gt 0 ] && [ "$r1" -lt "$total" ]; then ok "--max-bytes: the first run stops early"; else not_ok "--max-bytes: the first run stops early" "read $r1 backlog $b1"; fi
runs=1
while [ "$(val mb.prom 'sni_scan_backlog_bytes{log="big.log"}')" != 0 ] && [ $runs -lt 200 ]; do
	"$S" -s st5 --max-line 1KiB --max-bytes 4KiB -o mb.prom big.log
	runs=$((runs + 1))
done
"$S" -s st6 -o one.prom big.log
assert_eq "--max-bytes: after $runs runs, same totals as one unbounded run" \
	"$(sni_lines one.prom)" "$(sni_lines mb.prom)"

# --- over-long lines -----------------------------------------------------------
{ line 1 1 l.example.com; head -c 3000 /dev/zero | tr '\0' 'x'; echo; line 2 2 l.example.com; head -c 2000 /dev/zero | tr '\0' 'y'; } >long.log
"$S" -s st7 --max-line 1KiB -o long.prom long.log
assert_eq "over-long lines: counted as too_long, once each" 2 "$(val long.prom 'sni_scan_lines_total{log="long.log",result="too_long"}')"
printf 'yyyy\n' >>long.log
line 3 4 l.example.com >>long.log
"$S" -s st7 --max-line 1KiB -o long.prom long.log
assert_eq "over-long partial line: its tail is skipped, not parsed" \
	"3 2 0" "$(val long.prom 'haproxy_sni_connections{sni="l.example.com"}') $(val long.prom 'sni_scan_lines_total{log="long.log",result="too_long"}') $(val long.prom 'sni_scan_lines_total{log="long.log",result="malformed"}')"

# --- rotation cases with plain files ---------------------------------------------
line 1 10 r.example.com >r.log
"$S" -s st8 -o r.prom r.log
rm r.log
"$S" -s st8 -o r.prom r.log
assert_eq "log missing: exit 0, counters kept" "0 1" "$? $(val r.prom 'haproxy_sni_connections{sni="r.example.com"}')"
{ line 2 10 r.example.com; line 3 10 r.example.com; } >r.log
"$S" -s st8 -o r.prom r.log
assert_eq "log back: new file read from 0, one rotation" "3 1" \
	"$(val r.prom 'haproxy_sni_connections{sni="r.example.com"}') $(val r.prom 'sni_scan_rotations_total{log="r.log"}')"
# Rewritten in place (same inode), longer than before: the first line differs.
{ line 7 10 w.example.com; line 8 10 w.example.com; line 9 10 w.example.com; line 10 10 w.example.com; } >w.tmp
cat w.tmp >r.log
"$S" -s st8 -o r.prom r.log
assert_eq "rewritten in place: new content counted from 0, a rotation" "4 2" \
	"$(val r.prom 'haproxy_sni_connections{sni="w.example.com"}') $(val r.prom 'sni_scan_rotations_total{log="r.log"}')"

# --- the lock ----------------------------------------------------------------------
mkdir -p st9
"$S" -s st9 -o l.prom r.log
exec 9>st9/lock
flock -n 9
"$S" -s st9 -o l.prom r.log 2>err.txt
assert_eq "second concurrent run exits 75" 75 $?
exec 9>&-

# --- series cap, expiry, labels ------------------------------------------------------
for n in c1 c2 c3 c4; do line 1 10 "$n.example.com"; done >cap.log
"$S" -s st10 --max-series 2 -o cap.prom cap.log
assert_eq "cap: beyond --max-series, traffic goes to sni=\"other\"" "2 2" \
	"$(val cap.prom 'haproxy_sni_connections{sni="other"}') $(val cap.prom 'sni_scan_series_dropped_total')"
# Age every saved name (in the counters' side file): the next run, with
# nothing new in the log, sees the edit and forgets them.
sed -i 's/^\([^ ]* [0-9]*,[0-9]*,[0-9]*,[0-9]*\),[0-9]*$/\1,1000/' st10/sni-counters.*
"$S" -s st10 --max-series 2 --expire-after 30d -o cap.prom cap.log
assert_eq "expiry: names unseen for --expire-after leave the file" "" "$(grep '^haproxy_sni_connections' cap.prom)"
{ line 1 10 x.example.com fe_a; line 2 20 x.example.com fe_b; } >by.log
"$S" -s st11 --by frontend -o by.prom by.log
assert_eq "--by frontend adds the label" \
	'haproxy_sni_total_bytes{sni="x.example.com",frontend="fe_a"} 10
haproxy_sni_total_bytes{sni="x.example.com",frontend="fe_b"} 20' "$(grep '^haproxy_sni_total_bytes' by.prom)"
check_promfile "$T/by.prom"
rm -f "${TEXTFILE_DIR:-/nonexistent}/by.prom"

# --- a large log is read by two threads: same totals as slices read by one --
for i in $(seq 1 5000); do line "$i" "$i" "t$((i % 97)).example.com"; done >blk.log
: >huge.log
while [ "$(wc -c <huge.log)" -lt 70000000 ]; do cat blk.log blk.log blk.log blk.log >>huge.log; done
"$S" -s st12 -o huge1.prom huge.log
assert_eq "two-thread read: every line parsed once" "$(wc -l <huge.log | tr -d ' ')" \
	"$(val huge1.prom 'sni_scan_lines_total{log="huge.log",result="parsed"}')"
runs=0
while :; do
	"$S" -s st13 --max-bytes 30MiB -o huge2.prom huge.log
	runs=$((runs + 1))
	[ "$(val huge2.prom 'sni_scan_backlog_bytes{log="huge.log"}')" = 0 ] || [ $runs -ge 10 ] && break
done
assert_eq "two-thread read: same totals as $runs single-thread slices" \
	"$(sni_lines huge2.prom)" "$(sni_lines huge1.prom)"
rm -f huge.log blk.log
