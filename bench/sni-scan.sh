#!/bin/sh
# SPDX-License-Identifier: MIT
# sni-scan benchmarks (make bench): one run over a large HAProxy log of
# realistic tcp-sni lines with 10,000 names, page cache warm, against
# `LC_ALL=C grep -c 'SNI='`, `wc -l`, an equivalent mawk program and an
# equivalent mtail program, measured in this invocation; then max RSS (a run
# with nothing new is bench/sni-scan-idle.sh).  Prints only `bench ...` lines.
#
# SNI_BENCH_MB sets the log size (default 1024).  mtail reads a 64 MiB
# slice (at its speed the whole log would take minutes); its figure is a
# rate, like the others.
set -eu
: "${BIN:=build}"
: "${T:=$(mktemp -d)}"
S="$BIN/sni-scan"
MB=${SNI_BENCH_MB:-1024}
LOG="$T/sni-bench.log"
trap 'rm -f "$LOG" "$T/block.log" "$T/slice.log"' EXIT

# 16 MB of lines over 10,000 names (the first 10,000 lines use each name
# once), repeated to the wanted size.  Client addresses are loopback
# text: nothing is sent anywhere.
python3 - "$T/block.log" <<'EOF'
import random, sys
random.seed(1)
names = ["svc%d.%s.example.%s" % (i, random.choice(["eu", "us", "ap"]),
         random.choice(["com", "net", "org"])) for i in range(10000)]
out, size, i = [], 0, 0
while size < 16000000:
    n = names[i] if i < 10000 else random.choice(names)
    b = random.choice([0, random.randint(100, 5000000)])
    l = ("127.%d.%d.%d:%d [22/Nov/2026:00:%02d:%02d.%03d] fe_pass be_pool%d/s%d "
         "%d/%d/%d %d %d -- %d/%d/%d/%d/0 0/0 SNI=%s\n") % (
        random.randint(0, 255), random.randint(0, 255), random.randint(1, 254),
        random.randint(1024, 65535), random.randint(0, 59), random.randint(0, 59),
        random.randint(0, 999), i % 4, i % 3, random.randint(0, 3),
        random.randint(0, 5), random.randint(1, 900000), b,
        random.randint(200, 900000), random.randint(1, 999), random.randint(1, 999),
        random.randint(0, 99), random.randint(0, 99), n)
    out.append(l)
    size += len(l)
    i += 1
open(sys.argv[1], "w").write("".join(out))
EOF
n=$((MB * 1000000 / 16000000))
[ "$n" -ge 1 ] || n=1
i=0
: >"$LOG"
while [ $i -lt $n ]; do
	cat "$T/block.log" >>"$LOG"
	i=$((i + 1))
done
bytes=$(wc -c <"$LOG")
# Written data must be on disk before timing: sni-scan's fsync of its
# state would otherwise wait for the whole log to be flushed.
sync
cat "$LOG" >/dev/null

# tm FILE CMD...: wall seconds and max RSS (KiB) of CMD into FILE.
# Output goes to a file: GNU grep stops at the first match when its
# output is /dev/null.
tm() {
	_f=$1
	shift
	/usr/bin/time -f "%e %M %U %S" -o "$_f" "$@" >"$T/out.tmp" 2>&1 || true
}
wall() { awk '{print $1}' "$1"; }
rss() { awk '{print $2}' "$1"; }
cpu() { awk '{print $3 + $4}' "$1"; }
# best of two: the machine is shared, take the less disturbed run
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / (s > 0 ? s : 1e-3) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

rm -rf "$T/st1" "$T/st2"
tm "$T/s1" "$S" -q -s "$T/st1" -o "$T/o1.prom" "$LOG"
tm "$T/s2" "$S" -q -s "$T/st2" -o "$T/o2.prom" "$LOG"
s_wall=$(best "$(wall "$T/s1")" "$(wall "$T/s2")")
s_rate=$(rate "$s_wall")
s_rss=$(rss "$T/s1")

LC_ALL=C
export LC_ALL
tm "$T/g1" grep -c 'SNI=' "$LOG"
tm "$T/g2" grep -c 'SNI=' "$LOG"
g_rate=$(rate "$(best "$(wall "$T/g1")" "$(wall "$T/g2")")")
tm "$T/w1" wc -l "$LOG"
tm "$T/w2" wc -l "$LOG"
w_rate=$(rate "$(best "$(wall "$T/w1")" "$(wall "$T/w2")")")
MAWK='{ i = index($0, "SNI="); if (!i) next; s = substr($0, i + 4)
	b[s] += $6; n[s]++; if ($6 == 0) z[s]++ }
	END { for (k in n) print k, b[k], n[k], z[k] + 0 }'
tm "$T/m1" mawk "$MAWK" "$LOG"
m_rate=$(rate "$(wall "$T/m1")")
m_rss=$(rss "$T/m1")

# CPU time (user + system, both threads) as well: the machine may be
# shared, and wall time then measures the neighbours too.
s_crate=$(rate "$(best "$(cpu "$T/s1")" "$(cpu "$T/s2")")")
g_crate=$(rate "$(best "$(cpu "$T/g1")" "$(cpu "$T/g2")")")
m_crate=$(rate "$(cpu "$T/m1")")
echo "bench sni-scan 1 run over ${MB} MB log, 10000 SNIs: $s_rate MB/s  ref grep -c SNI=: $g_rate MB/s  ratio $(ratio "$s_rate" "$g_rate")"
echo "bench sni-scan 1 run over ${MB} MB log, 10000 SNIs, per CPU second: $s_crate MB/s  ref grep -c SNI=: $g_crate MB/s  ratio $(ratio "$s_crate" "$g_crate")"
echo "bench sni-scan 1 run over ${MB} MB log, 10000 SNIs, per CPU second: $s_crate MB/s  ref mawk sum per SNI: $m_crate MB/s  ratio $(ratio "$s_crate" "$m_crate")"
echo "bench sni-scan 1 run over ${MB} MB log, 10000 SNIs: $s_rate MB/s  ref wc -l: $w_rate MB/s  ratio $(ratio "$s_rate" "$w_rate")"
echo "bench sni-scan 1 run over ${MB} MB log, 10000 SNIs: $s_rate MB/s  ref mawk sum per SNI: $m_rate MB/s  ratio $(ratio "$s_rate" "$m_rate")"

# Instructions retired in user space, where perf can count them: unlike
# wall or CPU time, not disturbed by other work on a shared machine.
pinstr() { # pinstr FILE CMD...: user instructions of CMD into FILE
	_f=$1
	shift
	perf stat -x, -e instructions:u -o "$_f" "$@" >"$T/out.tmp" 2>/dev/null || true
	awk -F, '/instructions/ && $1 ~ /^[0-9]+$/ { print $1 }' "$_f"
}
if command -v perf >/dev/null 2>&1; then
	rm -rf "$T/st4"
	s_in=$(pinstr "$T/pi1" "$S" -q -s "$T/st4" -o "$T/o4.prom" "$LOG")
	g_in=$(pinstr "$T/pi2" grep -c 'SNI=' "$LOG")
	if [ -n "$s_in" ] && [ -n "$g_in" ]; then
		ipb() { awk -v i="$1" -v b="$bytes" 'BEGIN { printf "%.1f", i / b }'; }
		echo "bench sni-scan 1 run over ${MB} MB log, 10000 SNIs, user instructions per byte: $(ipb "$s_in") instr/B  ref grep -c SNI=: $(ipb "$g_in") instr/B  ratio $(ratio "$s_in" "$g_in")"
	fi
fi

if command -v mtail >/dev/null 2>&1; then
	head -c 64000000 "$LOG" >"$T/slice.log"
	cat >"$T/p.mtail" <<'EOF'
counter haproxy_sni_total_bytes by sni
counter haproxy_sni_connections by sni
counter haproxy_sni_zero_bytes by sni
/^\S+ \[[^\]]*\] \S+ \S+ \S+ (?P<bytes>\d+) \d+ .* SNI=(?P<sni>\S+)$/ {
  haproxy_sni_total_bytes[$sni] += $bytes
  haproxy_sni_connections[$sni]++
  $bytes == 0 {
    haproxy_sni_zero_bytes[$sni]++
  }
}
EOF
	tm "$T/t1" mtail -one_shot -one_shot_format prometheus \
		-progs "$T/p.mtail" -logs "$T/slice.log"
	t_rate=$(awk -v s="$(wall "$T/t1")" 'BEGIN { printf "%.0f", 64 / (s > 0 ? s : 1e-3) }')
	echo "bench sni-scan 1 run over ${MB} MB log, 10000 SNIs: $s_rate MB/s  ref mtail one_shot (64 MB slice): $t_rate MB/s  ratio $(ratio "$s_rate" "$t_rate")"
fi
echo "bench sni-scan max RSS, ${MB} MB log, 10000 SNIs: $((s_rss / 1024)) MiB  ref mawk: $((m_rss / 1024)) MiB  ratio $(ratio "$s_rss" "$m_rss")"
