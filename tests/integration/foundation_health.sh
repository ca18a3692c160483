#!/bin/bash
# SPDX-License-Identifier: MIT
# What every tool shares, driven through promsnap-selftest: health metrics,
# exit codes, state kept across runs, state reset, locking, -o -, and the
# file as node_exporter and Prometheus see it.
. "$TOP/tests/integration/lib.sh"
need_stack

tool="$BIN/promsnap-selftest"
tf="$T/textfile"
st="$T/state"
mkdir -p "$tf"

# 1. A successful run: exit 0, a valid file, counters from state.
"$tool" -d "$tf" -s "$st" --series 3
assert_eq "first run exits 0" 0 $?
check_promfile "$tf/promsnap-selftest.prom"
assert_eq "run_success is 1" 1 "$(grep -c '^promsnap_run_success{tool="promsnap-selftest"} 1$' "$tf/promsnap-selftest.prom")"
"$tool" -d "$tf" -s "$st" --series 3
"$tool" -d "$tf" -s "$st" --series 3
assert_eq "counter kept in state grows across runs" "promsnap_selftest_runs_total 3" \
	"$(grep '^promsnap_selftest_runs_total ' "$tf/promsnap-selftest.prom")"
last_ok=$(sed -n 's/^promsnap_last_success_timestamp_seconds{tool="promsnap-selftest"} //p' "$tf/promsnap-selftest.prom")
assert_match "last success timestamp is a recent Unix time" '^1[0-9]{9}' "$last_ok"
for m in promsnap_run_duration_seconds promsnap_last_run_timestamp_seconds promsnap_build_info promsnap_state_reset; do
	assert_match "$m written" "^$m\{" "$(grep "^$m{" "$tf/promsnap-selftest.prom")"
done

# 2. A run that fails as a whole: its exit code, success 0, the last
#    success time kept, no measurement series, state not advanced.
"$tool" -d "$tf" -s "$st" --series 3 --fail 78
assert_eq "failed run exits with its code" 78 $?
assert_eq "failed run writes success 0" 1 "$(grep -c '^promsnap_run_success{tool="promsnap-selftest"} 0$' "$tf/promsnap-selftest.prom")"
assert_eq "failed run writes no measurement series" 0 "$(grep -c '^promsnap_selftest' "$tf/promsnap-selftest.prom")"
assert_eq "failed run keeps the last success time" "$last_ok" \
	"$(sed -n 's/^promsnap_last_success_timestamp_seconds{tool="promsnap-selftest"} //p' "$tf/promsnap-selftest.prom")"
check_promfile "$tf/promsnap-selftest.prom"
"$tool" -d "$tf" -s "$st" --series 3
assert_eq "failed run did not advance the state" "promsnap_selftest_runs_total 4" \
	"$(grep '^promsnap_selftest_runs_total ' "$tf/promsnap-selftest.prom")"

# 3. A corrupt state file is moved aside, reported, and the run goes on.
echo "not a state file" >"$st/state"
err=$("$tool" -d "$tf" -s "$st" 2>&1)
assert_eq "run on corrupt state exits 0" 0 $?
assert_match "corrupt state reported on stderr" '^promsnap-selftest: state: .*/state: line 1: .*moved to .*state\.corrupt\.[0-9]+' "$err"
assert_eq "state_reset is 1" 1 "$(grep -c '^promsnap_state_reset{tool="promsnap-selftest"} 1$' "$tf/promsnap-selftest.prom")"
assert_eq "corrupt file kept for the operator" "not a state file" "$(cat "$st"/state.corrupt.*)"
assert_eq "counter restarts from fresh state" "promsnap_selftest_runs_total 1" \
	"$(grep '^promsnap_selftest_runs_total ' "$tf/promsnap-selftest.prom")"
"$tool" -d "$tf" -s "$st"
assert_eq "next run loads the fresh state" 1 "$(grep -c '^promsnap_state_reset{tool="promsnap-selftest"} 0$' "$tf/promsnap-selftest.prom")"

# 4. Locking: a second run exits 75 at once; --lock-wait waits.
"$tool" -d "$tf" -s "$st" --hold 3 &
holder=$!
on_exit "kill $holder 2>/dev/null"
# Poll /proc/locks (a probing run would take the lock itself).
lock_inode=$(stat -c %i "$st/lock")
wait_until 10 grep -q "FLOCK .*:$lock_inode " /proc/locks
start=$(date +%s%N)
err=$("$tool" -d "$tf" -s "$st" 2>&1)
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
assert_eq "second run exits 75 while the lock is held" 75 "$rc"
assert_match "lock message names the lock file" "$st/lock: another run holds the lock" "$err"
if [ "$took" -lt 2000 ]; then ok "second run exits at once (${took} ms)"; else not_ok "second run exits at once" "took ${took} ms"; fi
"$tool" -d "$tf" -s "$st" --lock-wait 20
assert_eq "--lock-wait waits for the holder" 0 $?
wait "$holder"
assert_eq "holder finished normally" 0 $?

# 5. -o - writes to stdout and leaves the textfile alone.
before=$(md5sum <"$tf/promsnap-selftest.prom")
out=$("$tool" -d "$tf" -s "$st" -o - --series 2)
assert_match "-o - prints the exposition" '^promsnap_selftest_value\{series="1"\} 1$' "$out"
assert_eq "-o - does not touch the textfile" "$before" "$(md5sum <"$tf/promsnap-selftest.prom")"

# 6. Cannot write: exit 73, old file intact, no temp files left.
"$tool" -d "$T/no/such/dir" -s "$st" 2>"$T/err"
assert_eq "missing textfile dir exits 73" 73 $?
assert_match "write error names the file" "$T/no/such/dir/promsnap-selftest.prom" "$(cat "$T/err")"
"$tool" -s "$T/not-a-dir-parent/x" -d "$tf" 2>/dev/null
touch "$T/file"
"$tool" -s "$T/file/state" -d "$tf" 2>"$T/err"
assert_eq "uncreatable state dir exits 73" 73 $?
assert_eq "no temp files left in the textfile dir" "" "$(ls -A "$tf" | grep -v '^promsnap-selftest.prom$')"
"$tool" --no-such-option 2>/dev/null
assert_eq "usage error exits 64" 64 $?

# 7. Through the real node_exporter into the real Prometheus.
cp "$tf/promsnap-selftest.prom" "$TEXTFILE_DIR/promsnap-selftest.prom"
if prom_wait 'promsnap_run_success{tool="promsnap-selftest"} == 1' 30 >/dev/null; then
	ok "Prometheus has promsnap_run_success for the tool"
else
	not_ok "Prometheus has promsnap_run_success for the tool" "not queryable within 30 s"
fi
r=$(prom_query 'node_textfile_scrape_error')
assert_match "node_textfile_scrape_error is 0 in Prometheus" '"value":\[[0-9.]+,"0"\]' "$r"

# 8. Messages: --log-file gets them (timestamped) instead of stderr; -q
#    keeps warnings out, never errors.
echo "garbage" >"$st/state"
err=$("$tool" -d "$tf" -s "$st" --log-file "$T/tool.log" 2>&1)
assert_eq "with --log-file nothing goes to stderr" "" "$err"
assert_match "--log-file has the message in the tool: what: why form" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z promsnap-selftest: state: .*line 1' "$(cat "$T/tool.log")"
err=$("$tool" -q -d "$T/no/such" -s "$st" 2>&1)
assert_match "-q still reports errors" 'cannot create a temporary file' "$err"
