#!/bin/bash
# SPDX-License-Identifier: MIT
# promsnap-status against real state and .prom files written by a real run
# of the shared run cycle (promsnap-selftest): good, failing, stale and
# never-run tools, JSON, config handling, a reader without access to the
# state directory, and that it never takes a tool's lock.
. "$TOP/tests/integration/lib.sh"
need_cmd jq

ST=$BIN/promsnap-status
SELF=$BIN/promsnap-selftest
for b in "$ST" "$SELF"; do
	if [ ! -x "$b" ]; then
		not_ok "binaries" "$b not built (make san)"
		exit 1
	fi
done
TF=$T/textfile
ROOT=$T/state
mkdir -p "$TF" "$ROOT"
run_self() { "$SELF" -d "$TF" -s "$ROOT/promsnap-selftest" "$@"; }
# An empty config: the host's /etc/promsnap must not change the results.
: >"$T/empty.yaml"
status() { "$ST" -c "$T/empty.yaml" -d "$TF" -s "$ROOT" "$@"; }

# --- good ----------------------------------------------------------------------
run_self --series 4 >/dev/null 2>&1
out=$(status -t promsnap-selftest=1h)
rc=$?
assert_eq "healthy tool: exit 0" 0 "$rc"
assert_match "healthy tool: table row says ok, result ok, 11 series" \
	'^promsnap-selftest +ok +[0-9]+s +[0-9]+s +[0-9.]+s +ok +11 ' "$out"
json=$(status -t promsnap-selftest=1h --json)
assert_eq "JSON: healthy true, status ok" "true ok 3600" \
	"$(printf '%s' "$json" | jq -r '"\(.healthy) \(.tools[0].status) \(.tools[0].interval_seconds)"')"
state_ts=$(sed -n 's/^promsnap\.last_success //p' "$ROOT/promsnap-selftest/state")
assert_eq "JSON last_success equals the state's promsnap.last_success" \
	"$(awk -v v="$state_ts" 'BEGIN { printf "%.3f", v }')" \
	"$(printf '%s' "$json" | jq -r '.tools[0].last_success_timestamp_seconds' | awk '{ printf "%.3f", $1 }')"

# --- a failed run within 3 intervals of a success is still healthy -----------
run_self --fail 78 >/dev/null 2>&1
out=$(status -t promsnap-selftest=1h)
rc=$?
assert_eq "one failed run after a recent success: exit 0" 0 "$rc"
assert_match "one failed run: result failed, reason says so" \
	'ok +.* failed +.*last run failed; last success within 3h' "$out"

# --- failing: runs keep coming but the last success is old --------------------
old=$(($(date +%s) - 1000))
sed -i "s/^promsnap\.last_success .*/promsnap.last_success $old/" \
	"$ROOT/promsnap-selftest/state"
run_self --fail 78 >/dev/null 2>&1
out=$(status -t promsnap-selftest=1m)
rc=$?
assert_eq "failing tool: exit 1" 1 "$rc"
assert_match "failing tool: status failing, last success 16m ago" \
	'^promsnap-selftest +failing .*last success 16m ago \(limit 3m\)' "$out"

# --- stale: no run at all for longer than 3 intervals --------------------------
run_self >/dev/null 2>&1
assert_eq "fresh success: exit 0 again" 0 "$(status -q -t promsnap-selftest=1m; echo $?)"
touch -d "@$(($(date +%s) - 7200))" "$TF/promsnap-selftest.prom"
out=$(status -t promsnap-selftest=1m)
rc=$?
assert_eq "stale file: exit 1" 1 "$rc"
assert_match "stale file: status stale, written 2h ago" \
	'^promsnap-selftest +stale .*promsnap-selftest.prom last written 2h ago' "$out"
rm -f "$TF/promsnap-selftest.prom"
out=$(status -t promsnap-selftest=1m)
assert_match "missing file with state: stale, no .prom" \
	'stale .*no promsnap-selftest.prom in the textfile directory' "$out"

# --- never ran ---------------------------------------------------------------------
out=$(status -t sni-scan)
rc=$?
assert_eq "enabled tool that never ran: exit 1" 1 "$rc"
assert_match "never ran: status never" '^sni-scan +never ' "$out"
out=$(status 2>&1)
rc=$?
assert_eq "nothing enabled (auto, nothing installed): exit 1" 1 "$rc"
assert_match "nothing enabled: says so" 'no enabled tool' "$out"

# --- config: auto, enabled, intervals, errors -------------------------------------
run_self >/dev/null 2>&1
cat >"$T/status.yaml" <<EOF
tools:
  promsnap-selftest:
    interval: 2m
  qemu-netsnap:
    enabled: false
EOF
out=$("$ST" -c "$T/status.yaml" -d "$TF" -s "$ROOT" --json)
rc=$?
assert_eq "config: auto-detects an installed tool, skips the others: exit 0" 0 "$rc"
assert_eq "config: checked tools and intervals" "promsnap-selftest:120" \
	"$(printf '%s' "$out" | jq -r '[.tools[] | "\(.tool):\(.interval_seconds)"] | join(",")')"
printf 'tools:\n  sni-scan:\n    interval: 1m\n    enabeld: true\n' >"$T/bad.yaml"
err=$("$ST" -c "$T/bad.yaml" -d "$TF" -s "$ROOT" 2>&1)
rc=$?
assert_eq "config with an unknown key: exit 78" 78 "$rc"
assert_match "config error names file, line and the nearest key" \
	'bad.yaml:4:5: .*enabeld.*enabled' "$err"
assert_eq "missing -c file: exit 78" 78 \
	"$("$ST" -c "$T/nope.yaml" -d "$TF" -s "$ROOT" >/dev/null 2>&1; echo $?)"
assert_eq "usage error: exit 64" 64 "$("$ST" --bogus >/dev/null 2>&1; echo $?)"
assert_eq "bad --tool interval: exit 64" 64 "$("$ST" -t sni-scan=soon >/dev/null 2>&1; echo $?)"

# --- a reader that cannot open the 0750 state directory uses the file --------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0750 "$ROOT/promsnap-selftest"
	chmod 0755 "$T" "$TF" "$ROOT"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$ST" -c "$T/empty.yaml" -d "$TF" -s "$ROOT" -t promsnap-selftest=1m 2>&1)
	rc=$?
	assert_eq "unprivileged reader without state access: exit 0 from the .prom" 0 "$rc"
	assert_match "unprivileged reader: ok" '^promsnap-selftest +ok ' "$out"
else
	skip "unprivileged reader" "needs root and setpriv"
fi

# --- it never takes the tool's lock ------------------------------------------------
"$SELF" -d "$TF" -s "$ROOT/promsnap-selftest" --hold 5 >"$T/hold.out" 2>&1 &
holder=$!
on_exit "kill $holder 2>/dev/null"
# The holder has the lock once a second run is refused with 75.
if wait_until 10 sh -c '"$0" -d "$1" -s "$2" 2>/dev/null; [ $? = 75 ]' \
	"$SELF" "$T/tf2" "$ROOT/promsnap-selftest"; then
	start=$(date +%s%N)
	status -q -t promsnap-selftest=1h
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_eq "status while a run holds the lock: exit 0" 0 "$rc"
	assert_eq "status names the pid of the run in progress (from /proc/locks)" "$holder" \
		"$(status -t promsnap-selftest=1h --json | jq -r '.tools[0].running_pid')"
	assert_match "the table says a run is in progress" "run in progress \\(pid $holder\\)" \
		"$(status -t promsnap-selftest=1h)"
	if [ "$ms" -lt 2000 ]; then
		ok "status does not wait for the lock (${ms} ms)"
	else
		not_ok "status does not wait for the lock" "${ms} ms"
	fi
	wait "$holder"
	assert_eq "the run holding the lock finishes with exit 0" 0 "$?"
	assert_eq "no run in progress afterwards" null \
		"$(status -t promsnap-selftest=1h --json | jq -r '.tools[0].running_pid')"
else
	not_ok "lock held by a running tool" "the holder never took it"
fi

# --- a long-running writer: the echo server's file has no run cycle -------------
if [ -x "$BIN/tcpping-burst" ]; then
	port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$BIN/tcpping-burst" --serve "127.0.0.1:$port" --stats-interval 1s -c "$T/empty.yaml" \
		-d "$TF" >"$T/echo.log" 2>&1 &
	echo_pid=$!
	on_exit "kill $echo_pid 2>/dev/null; wait $echo_pid 2>/dev/null"
	if wait_until 20 test -s "$TF/tcpping-echo.prom"; then
		out=$(status -t tcpping-echo=15s)
		rc=$?
		assert_eq "echo server's file (no run health series): exit 0" 0 "$rc"
		assert_match "echo server judged by its file's age" \
			'^tcpping-echo +ok .*judged by the file.s age' "$out"
		kill "$echo_pid"
		wait "$echo_pid" 2>/dev/null
		touch -d "@$(($(date +%s) - 600))" "$TF/tcpping-echo.prom"
		assert_eq "echo server's file 10 minutes old: exit 1" 1 \
			"$(status -q -t tcpping-echo=15s; echo $?)"
	else
		not_ok "echo server writes tcpping-echo.prom" "$(tail -2 "$T/echo.log")"
	fi
else
	skip "echo server's file" "tcpping-burst not built"
fi

# --- the tools' real files, where the harness left them -----------------------------
n=0
for f in "$TEXTFILE_DIR"/*.prom; do
	[ -e "$f" ] || continue
	tool=$(basename "$f" .prom)
	case $tool in trace-once | tcpping-burst | qemu-netsnap | sni-scan | bpf-snap) ;; *) continue ;; esac
	grep -q "^promsnap_run_success{tool=\"$tool\"}" "$f" || continue
	n=$((n + 1))
	json=$("$ST" -c "$T/empty.yaml" -d "$TEXTFILE_DIR" -s "$T/none" -t "$tool=1d" --json)
	want=$(sed -n "s/^promsnap_run_success{tool=\"$tool\"} //p" "$f")
	got=$(printf '%s' "$json" | jq -r '.tools[0].result')
	[ "$want" = 1 ] && want=ok || want=failed
	assert_eq "$tool.prom from its own tests: result read back" "$want" "$got"
done
[ "$n" -gt 0 ] || skip "tools' real files" "no tool's .prom in the harness directory yet"
