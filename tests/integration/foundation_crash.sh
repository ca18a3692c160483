#!/bin/bash
# SPDX-License-Identifier: MIT
# Crash safety of the shared write path: a reader scrapes node_exporter in
# a loop while a writer rewrites a 5,000-series file 1,000 times; then a
# writer is killed with SIGKILL at 200 random points.
. "$TOP/tests/integration/lib.sh"
need_stack

tool="$BIN/promsnap-selftest"
st="$T/state"
series=5000

# 1. 1,000 rewrites under a scraping reader: no failed or partial scrape.
python3 "$TOP/tests/integration/scrape_loop.py" "$NE_URL" "$series" "$T/stop" >"$T/reader.out" 2>&1 &
reader=$!
on_exit "kill $reader 2>/dev/null"
"$tool" -d "$TEXTFILE_DIR" -s "$st" --series "$series" --repeat 1000
rc=$?
touch "$T/stop"
wait "$reader"
rrc=$?
assert_eq "writer rewrote the file 1000 times" 0 "$rc"
assert_eq "every scrape saw one complete file ($(head -1 "$T/reader.out"))" 0 "$rrc"
scrapes=$(sed -n 's/^scrapes=\([0-9]*\).*/\1/p' "$T/reader.out")
if [ "${scrapes:-0}" -ge 20 ]; then ok "reader overlapped the writes ($scrapes scrapes)"; else not_ok "reader overlapped the writes" "only ${scrapes:-0} scrapes"; fi
rm -f "$TEXTFILE_DIR/promsnap-selftest.prom"

# 2. SIGKILL at 200 random points: the file is always a complete version
#    and the state always loads.
tf="$T/tf"
mkdir -p "$tf"
"$tool" -d "$tf" -s "$st" --series "$series"
torn=0
badstate=0
for i in $(seq 1 200); do
	"$tool" -d "$tf" -s "$st" --series "$series" --repeat 1000000 2>/dev/null &
	pid=$!
	# A random point from start-up through many rewrites (0-60 ms).
	sleep "0.0$(printf '%02d' $((RANDOM % 60)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if ! python3 - "$tf/promsnap-selftest.prom" "$series" <<'PY'; then
import re, sys
text = open(sys.argv[1]).read()
vals = re.findall(r'^promsnap_selftest_value\{series="\d+"\} (\S+)$', text, re.M)
ok = (text.endswith("\n") and len(vals) == int(sys.argv[2])
      and len(set(vals)) == 1)
sys.exit(0 if ok else 1)
PY
		torn=$((torn + 1))
	fi
	if ! head -1 "$st/state" | grep -q '^# promsnap-state tool=promsnap-selftest version=1$'; then
		badstate=$((badstate + 1))
	fi
done
assert_eq "200 kills: the .prom was always one complete version" 0 "$torn"
assert_eq "200 kills: the state file was always complete" 0 "$badstate"
"$tool" -d "$tf" -s "$st" --series 1
assert_eq "after the kills the next run succeeds" 0 $?
assert_eq "after the kills the state loads without reset" 1 \
	"$(grep -c '^promsnap_state_reset{tool="promsnap-selftest"} 0$' "$tf/promsnap-selftest.prom")"
assert_eq "no temp file left behind that node_exporter would read" "" \
	"$(ls "$tf" | grep '\.prom$' | grep -v '^promsnap-selftest\.prom$')"
