#!/bin/sh
# SPDX-License-Identifier: MIT
# A known delay shows up in the RTT histogram at the right bucket.  The
# kernel has no netem, so tcpping-delay-relay (tests/tools) holds every
# client-to-server segment for DELAY ms on loopback; the measured RTT must
# be the injected delay plus the loopback base measured in the same run.
. "$TOP/tests/integration/lib.sh"
. "$TOP/cmd/tcpping-burst/testlib.sh"

DELAY=30
tp_serve srv
"$BIN/tcpping-delay-relay" "$TP_PORT" "$DELAY" >"$T/relay.out" 2>"$T/relay.err" &
RELAY=$!
on_exit "kill $RELAY"
wait_until 20 grep -q '^port ' "$T/relay.out" || { not_ok "relay starts" "$(cat "$T/relay.err")"; exit 1; }
RP=$(awk '{print $2}' "$T/relay.out")

"$TP" -s "$T/st" -o "$T/out.prom" --count 10 --interval 50ms --min-timeout 40ms \
	-t "direct=127.0.0.1:$TP_PORT" -t "delayed=127.0.0.1:$RP" 2>"$T/err"
assert_eq "exit 0" 0 $?
D="target=\"direct\",address=\"127.0.0.1:$TP_PORT\""
R="target=\"delayed\",address=\"127.0.0.1:$RP\""
assert_eq "delayed: all received" 10 "$(tp_metric "$T/out.prom" "tcp_echo_received_total{$R}")"
# 30 ms lands in (0.02, 0.05]: nothing at or below 20 ms, all 10 by 50 ms.
assert_eq "delayed: none at le=0.02" 0 "$(tp_metric "$T/out.prom" "tcp_echo_rtt_seconds_bucket{$R,le=\"0.02\"}")"
assert_eq "delayed: all at le=0.05" 10 "$(tp_metric "$T/out.prom" "tcp_echo_rtt_seconds_bucket{$R,le=\"0.05\"}")"
assert_eq "direct: all at le=0.002" 10 "$(tp_metric "$T/out.prom" "tcp_echo_rtt_seconds_bucket{$D,le=\"0.002\"}")"
# mean(delayed) - DELAY - mean(direct): only the relay's own overhead and
# timer slack remain; allow 5 ms (ASan build, 2 cores shared with others).
ds=$(tp_metric "$T/out.prom" "tcp_echo_rtt_seconds_sum{$D}")
dc=$(tp_metric "$T/out.prom" "tcp_echo_rtt_seconds_count{$D}")
rs=$(tp_metric "$T/out.prom" "tcp_echo_rtt_seconds_sum{$R}")
rc=$(tp_metric "$T/out.prom" "tcp_echo_rtt_seconds_count{$R}")
ex=$(awk -v d="$ds" -v dc="$dc" -v r="$rs" -v rc="$rc" -v k="$DELAY" 'BEGIN { printf "%.6f", r/rc - k/1000 - d/dc }')
if awk -v e="$ex" 'BEGIN { exit !(e >= 0 && e < 0.005) }'; then
	ok "delayed RTT = ${DELAY} ms + loopback base (+${ex}s)"
else
	not_ok "delayed RTT = ${DELAY} ms + loopback base" "excess ${ex}s"
fi
# The adaptive timeout learnt the longer RTT: SRTT in state is the 30 ms
# delay plus the base, and the RTO is at least SRTT (the direct target sits
# at the 40 ms floor given).
srtt=$(awk '$1 == "t/delayed/srtt" { print $2 }' "$T/st/state")
rto=$(tp_metric "$T/out.prom" "tcp_echo_estimated_timeout_seconds{$R}")
if awk -v s="$srtt" -v r="$rto" 'BEGIN { exit !(s >= 0.03 && s < 0.036 && r >= s) }'; then
	ok "delayed: SRTT $srtt learnt, RTO $rto"
else
	not_ok "delayed: SRTT learnt" "srtt=$srtt rto=$rto"
fi
assert_eq "direct: RTO at the floor" 0.04 "$(tp_metric "$T/out.prom" "tcp_echo_estimated_timeout_seconds{$D}")"
check_promfile "$T/out.prom"
