#!/bin/bash
# SPDX-License-Identifier: MIT
# The progress line: on a terminal, a log that takes more than a second
# to read shows "sni-scan: LOG: N of M MiB" on stderr, redrawn in place and
# ended by a newline; never when stderr is not a terminal, never with -q,
# never for a read under a second.  script(1) gives sni-scan a terminal.
. "$TOP/tests/integration/lib.sh"
cd "$T" || exit 1
S="$BIN/sni-scan"

if ! command -v script >/dev/null; then
	skip "progress line" "no script(1)"
	exit 0
fi
progress_re='sni-scan: big\.log: [0-9]+ of [0-9]+ MiB'
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# 9,000 lines, 0.9 MB; the log is that block repeated.
awk 'BEGIN {
	for (i = 0; i < 9000; i++)
		printf "127.0.0.1:%d [22/Nov/2026:00:00:00.000] fe be/s1 1/0/5 %d 10 -- 1/1/0/0/0 0/0 SNI=n%d.example.com\n", i, i, i % 50
}' >blk.log

# A log that takes this machine (and this build) more than 1.5 s to
# read: start at 64 blocks and double until one does.
blocks=64
while :; do
	for _ in $(seq "$blocks"); do cat blk.log; done >big.log
	rm -rf st-tty
	t0=$(ms_now)
	script -qec "$S -s st-tty -o tty.prom big.log" /dev/null >tty.out 2>&1
	rc=$?
	ms=$(($(ms_now) - t0))
	if [ "$ms" -ge 1500 ] || [ "$blocks" -ge 512 ]; then
		break
	fi
	blocks=$((blocks * 2))
done
if [ "$ms" -lt 1500 ]; then
	skip "progress line" "reading $blocks MiB took only $ms ms"
	exit 0
fi
tr '\r' '\n' <tty.out >tty.txt
echo "# $blocks MiB log read in $ms ms"
assert_eq "terminal, a read over a second: exit 0" 0 "$rc"
assert_match "terminal, a read over a second: the progress line on stderr" "^$progress_re\$" "$(cat tty.txt)"
assert_eq "terminal: the progress line is ended by a newline" " M i B \n" \
	"$(tr -d '\r' <tty.out | tail -c 4 | od -An -c | tr -s ' ')"
assert_eq "terminal: every line counted" "$((9000 * blocks))" \
	"$(awk '$1 == "sni_scan_lines_total{log=\"big.log\",result=\"parsed\"}" { print $2 }' tty.prom)"

# stderr not a terminal (stdout still one), then no terminal at all.
rm -rf st-a st-b st-q
script -qec "$S -s st-a -o a.prom big.log 2>a.err" /dev/null >a.out 2>&1
assert_eq "stderr not a terminal: exit 0, no progress line" "0 0" \
	"$? $(grep -Ec "$progress_re" a.err a.out | awk -F: '{ n += $2 } END { print n }')"
"$S" -s st-b -o b.prom big.log 2>b.err </dev/null
assert_eq "no terminal: exit 0, nothing on stderr" "0 " "$? $(cat b.err)"
script -qec "$S -q -s st-q -o q.prom big.log" /dev/null >q.out 2>&1
assert_eq "terminal with -q: no progress line" 0 "$(grep -Ec "$progress_re" q.out)"
# A read under a second on a terminal: nothing.
head -c 100000 blk.log | sed '$d' >small.log
script -qec "$S -s st-s -o s.prom small.log" /dev/null >s.out 2>&1
assert_eq "terminal, a short read: exit 0, nothing on stderr" "0 " "$? $(cat s.out)"
rm -f big.log
