#!/bin/sh
# SPDX-License-Identifier: MIT
# tcpping-burst against its own echo server on loopback: exact counts,
# counters and histogram growing over three runs, a refused port, the Go
# daemon's -targets file, the human summary, exit codes, the server's stats
# and clean SIGTERM; the .prom through the real node_exporter/Prometheus.
. "$TOP/tests/integration/lib.sh"
. "$TOP/cmd/tcpping-burst/testlib.sh"

tp_serve srv
REFUSED=$(tp_free_port)
OUT="$T/tcpping-burst.prom"
# A generous timeout floor: these runs count probes, and a loaded machine
# must not turn a slow echo into a timeout.
run() {
	"$TP" -s "$T/state" -o "$OUT" --count 5 --interval 10ms --min-timeout 1s \
		-t "basic=127.0.0.1:$TP_PORT" -t "refused=127.0.0.1:$REFUSED" "$@"
}

prev_hist=""
for i in 1 2 3; do
	run 2>"$T/err"
	assert_eq "run $i exits 0" 0 $?
	L="target=\"basic\",address=\"127.0.0.1:$TP_PORT\""
	assert_eq "run $i: sent" $((5 * i)) "$(tp_metric "$OUT" "tcp_echo_sent_total{$L}")"
	assert_eq "run $i: received" $((5 * i)) "$(tp_metric "$OUT" "tcp_echo_received_total{$L}")"
	assert_eq "run $i: timeouts" 0 "$(tp_metric "$OUT" "tcp_echo_timeouts_total{$L}")"
	assert_eq "run $i: rtt count" $((5 * i)) "$(tp_metric "$OUT" "tcp_echo_rtt_seconds_count{$L}")"
	assert_eq "run $i: no handshake histogram in echo mode" "" "$(tp_metric "$OUT" "tcp_connect_duration_seconds_count{$L}")"
	assert_eq "run $i: connected" 1 "$(tp_metric "$OUT" "tcp_echo_connected{$L}")"
	assert_eq "run $i: loss" 0 "$(tp_metric "$OUT" "tcp_echo_burst_loss_ratio{$L}")"
	# Every bucket (cumulative) never goes down from run to run.
	hist=$(grep "^tcp_echo_rtt_seconds_bucket{$L" "$OUT" | awk '{print $2}' | tr '\n' ' ')
	if [ -n "$prev_hist" ]; then
		bad=$(printf '%s\n%s\n' "$prev_hist" "$hist" | awk 'NR==1{n=split($0,a," ")} NR==2{split($0,b," "); for(k=1;k<=n;k++) if (b[k]+0 < a[k]+0) print k}')
		assert_eq "run $i: no bucket went down" "" "$bad"
	fi
	prev_hist=$hist
	R="target=\"refused\",address=\"127.0.0.1:$REFUSED\""
	assert_eq "run $i: refused port dropped" "$i" "$(tp_metric "$OUT" "tcp_echo_dropped_total{$R}")"
	assert_eq "run $i: refused port not connected" 0 "$(tp_metric "$OUT" "tcp_echo_connected{$R}")"
	assert_eq "run $i: refused port sent nothing" 0 "$(tp_metric "$OUT" "tcp_echo_sent_total{$R}")"
	assert_eq "run $i: refused port loss" 1 "$(tp_metric "$OUT" "tcp_echo_burst_loss_ratio{$R}")"
done
# Loopback RTTs must not all land in the first bucket.
first=$(grep "^tcp_echo_rtt_seconds_bucket{$L" "$OUT" | head -1 | awk '{print $2}')
if [ "$first" -lt 15 ]; then ok "loopback RTTs spread beyond the first bucket"; else not_ok "loopback RTTs spread beyond the first bucket" "all 15 in le=1e-05"; fi
tp_check_promfile "$OUT"

# The Go daemon's targets file and single-dash flags.
cat >"$T/targets.json" <<JSON
[
  {"name": "json1", "address": "127.0.0.1:$TP_PORT"},
  {"name": "json6", "address": "[::1]:$TP_PORT"}
]
JSON
"$TP" -s "$T/state2" -o "$T/json.prom" -targets "$T/targets.json" -interval 5ms --count 3 --min-timeout 1s 2>"$T/err"
assert_eq "-targets FILE exits 0" 0 $?
assert_eq "-targets: json1 received" 3 "$(tp_metric "$T/json.prom" "tcp_echo_received_total{target=\"json1\",address=\"127.0.0.1:$TP_PORT\"}")"
# The server listens on 127.0.0.1 only, so [::1] is refused: dropped.
assert_eq "-targets: [::1] parsed, refused" 1 "$(tp_metric "$T/json.prom" "tcp_echo_dropped_total{target=\"json6\",address=\"[::1]:$TP_PORT\"}")"

# Host names are resolved each run (localhost comes from /etc/hosts).
"$TP" -s "$T/state3" -o "$T/name.prom" -t "byname=localhost:$TP_PORT" --count 2 --interval 5ms --min-timeout 1s 2>"$T/err"
got=$(tp_metric "$T/name.prom" "tcp_echo_received_total{target=\"byname\",address=\"localhost:$TP_PORT\"}")
if [ "$got" = 2 ] || [ "$got" = 0 ]; then
	# localhost may resolve to ::1 first, where nothing listens.
	ok "host name target resolved and probed (received $got)"
else
	not_ok "host name target resolved and probed" "received '$got'"
fi

# Human summary on a terminal (script gives the tool a pty).
if command -v script >/dev/null 2>&1; then
	script -qec "$TP -s $T/state4 -d $T -t tty=127.0.0.1:$TP_PORT --count 4 --interval 5ms --min-timeout 1s" /dev/null >"$T/tty.out" 2>&1
	assert_match "summary on a terminal" '^4 probes sent, 4 received, 0\.0% loss' "$(tr -d '\r' <"$T/tty.out")"
	assert_match "summary rtt line" '^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms' "$(tr -d '\r' <"$T/tty.out")"
	script -qec "$TP -s $T/state4 -o - -t tty=127.0.0.1:$TP_PORT --count 1" /dev/null >"$T/tty2.out" 2>&1
	if grep -q '^1 probes sent, ' "$T/tty2.out"; then not_ok "no summary with -o -" "$(head -3 "$T/tty2.out")"; else ok "no summary with -o -"; fi
else
	skip "summary on a terminal" "needs script(1)"
fi

# Exit codes and messages.
"$TP" -s "$T/st5" -o "$T/x.prom" -c /nonexistent/tp.yaml 2>"$T/err"
assert_eq "missing -c config exits 78" 78 $?
printf 'count: 3\n' >"$T/notargets.yaml"
"$TP" -s "$T/st5" -o "$T/x.prom" -c "$T/notargets.yaml" 2>"$T/err"
assert_eq "no targets exits 78" 78 $?
assert_match "no targets message" '^tcpping-burst: no targets' "$(cat "$T/err")"
assert_eq "failed run still writes health" 0 "$(tp_metric "$T/x.prom" 'promsnap_run_success{tool="tcpping-burst"}')"
printf 'targets:\n  - name: a\n    address: "127.0.0.1:http"\n' >"$T/bad.yaml"
"$TP" -s "$T/st5" -o "$T/x.prom" -c "$T/bad.yaml" 2>"$T/err"
assert_eq "bad config exits 78" 78 $?
assert_eq "bad config message" "tcpping-burst: $T/bad.yaml:3:14: targets[0].address: port: expected an integer 1..65535, got \"http\"" "$(cat "$T/err")"
"$TP" -s "$T/st5" -o "$T/x.prom" -t 'a=127.0.0.1' 2>"$T/err"
assert_eq "bad -t exits 64" 64 $?
"$TP" -s "$T/st5" -o "$T/x.prom" --count 0 -t "a=127.0.0.1:1" 2>"$T/err"
assert_eq "--count 0 exits 64" 64 $?

# Through the real node_exporter into Prometheus (a fourth run, written
# straight into the textfile directory).
if [ -n "${TEXTFILE_DIR:-}" ]; then
	run -d "$TEXTFILE_DIR" -o "$TEXTFILE_DIR/tcpping-burst.prom" 2>/dev/null
	if prom_wait 'tcp_echo_sent_total{target="basic"} == 20' 30 >/dev/null; then
		ok "Prometheus sees tcp_echo_sent_total == 20"
	else
		not_ok "Prometheus sees tcp_echo_sent_total == 20" "$(prom_query 'tcp_echo_sent_total')"
	fi
	# The man page's p99, on the cumulative buckets: every answer came within
	# the 1 s timeout, so the p99 must be below it.
	if prom_wait 'histogram_quantile(0.99, tcp_echo_rtt_seconds_bucket{target="basic"}) < 1' 30 >/dev/null; then
		ok "Prometheus computes the p99 RTT from the histogram"
	else
		not_ok "Prometheus computes the p99 RTT from the histogram" "$(prom_query 'histogram_quantile(0.99, tcp_echo_rtt_seconds_bucket)')"
	fi
	# One more run, so rate() has two points: the man page's average RTT
	# and loss rate evaluate.
	run -d "$TEXTFILE_DIR" -o "$TEXTFILE_DIR/tcpping-burst.prom" 2>/dev/null
	prom_wait 'tcp_echo_sent_total{target="basic"} == 25' 30 >/dev/null
	if prom_wait 'rate(tcp_echo_rtt_seconds_sum{target="basic"}[1m]) / rate(tcp_echo_rtt_seconds_count{target="basic"}[1m]) > 0' 30 >/dev/null &&
		prom_wait 'rate(tcp_echo_timeouts_total{target="basic"}[1m]) / rate(tcp_echo_sent_total{target="basic"}[1m]) * 100 == 0' 30 >/dev/null; then
		ok "Prometheus: average RTT and loss rate from the man page evaluate"
	else
		not_ok "Prometheus: average RTT and loss rate from the man page evaluate" "$(prom_query 'rate(tcp_echo_sent_total[1m])')"
	fi
	rm -f "$TEXTFILE_DIR/tcpping-burst.prom"
else
	skip "Prometheus" "no stack"
fi

# Server exit codes: the address in use (69); a privileged port for a user
# without the privilege (77), as the shipped unit runs it.
"$TP" --serve "127.0.0.1:$TP_PORT" -o "$T/dup.prom" 2>"$T/err"
assert_eq "server: address in use exits 69" 69 $?
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$TP" --serve 127.0.0.1:80 -o /nonexistent/x.prom 2>"$T/err"
	assert_eq "server: privileged port as nobody exits 77" 77 $?
	assert_match "server: says why" 'cannot listen: Permission denied' "$(cat "$T/err")"
else
	skip "server: privileged port as nobody" "needs root and setpriv(1)"
fi

# Server side: stats counted every probe, SIGTERM ends it cleanly.
kill -TERM "$TP_SRV_PID"
wait "$TP_SRV_PID"
assert_eq "server exits 0 on SIGTERM" 0 $?
S="$T/srv.prom"
# 3 bursts x 5 + 3 (json) + tty 4 + 1 (+ 2 if localhost hit IPv4), and
# 2 x 5 more with the stack.
p=$(tp_metric "$S" tcpping_echo_probes_total)
[ -n "${TEXTFILE_DIR:-}" ] && p=$((p - 10))
if [ "$p" = 23 ] || [ "$p" = 25 ]; then ok "server echoed every probe ($p)"; else not_ok "server echoed every probe" "$p"; fi
assert_eq "server: nothing open after SIGTERM" 0 "$(tp_metric "$S" tcpping_echo_open_connections)"
assert_eq "server: no invalid connections" 0 "$(tp_metric "$S" 'tcpping_echo_connections_closed_total{reason="invalid"}')"
tp_check_promfile "$S"

