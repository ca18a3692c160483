#!/bin/sh
# SPDX-License-Identifier: MIT
# tcpping-burst against peers that misbehave (loopback only): one that
# accepts and never answers (timeouts; the RTO grows and the next run
# starts from it), wrong magic, replayed and forged echoes (garbage, never
# an RTT sample), late echoes, a server killed mid-burst (dropped), and a
# name that cannot resolve (in a network namespace with no way out).
. "$TOP/tests/integration/lib.sh"
. "$TOP/cmd/tcpping-burst/testlib.sh"

# Misbehaving peers, each on its own ephemeral 127.0.0.1 port, printed as
# "MODE PORT" lines.  Written from the wire format alone.
cat >"$T/peers.py" <<'PY'
import socket, sys, threading, time, struct
def send_quietly(c, rec):
    try:
        c.sendall(rec)
    except OSError:
        pass
def handle(mode, c):
    buf = b""
    while True:
        try:
            d = c.recv(4096)
        except OSError:
            return
        if not d:
            return
        if mode == "silent":
            continue
        buf += d
        while len(buf) >= 24:
            rec, buf = buf[:24], buf[24:]
            if mode == "badmagic":
                c.sendall(b"TCPPONG\0" + rec[8:])
            elif mode == "replay":
                c.sendall(rec + rec)
            elif mode == "forged":
                seq, ts = struct.unpack("<QQ", rec[8:])
                c.sendall(rec[:8] + struct.pack("<QQ", seq, ts + 1))
            elif mode == "late":
                threading.Timer(0.15, send_quietly, args=(c, rec)).start()
def serve(mode, s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(mode, c), daemon=True).start()
for mode in sys.argv[1:]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    print(mode, s.getsockname()[1], flush=True)
    threading.Thread(target=serve, args=(mode, s), daemon=True).start()
while True:
    time.sleep(3600)
PY
python3 "$T/peers.py" silent badmagic replay forged late >"$T/peers" &
PEERS=$!
on_exit "kill $PEERS"
wait_until 20 sh -c "test \$(wc -l <'$T/peers') -ge 5" || { not_ok "peers start" "no ports"; exit 1; }
port() { awk -v m="$1" '$1 == m { print $2 }' "$T/peers"; }

# --- accepts and never answers --------------------------------------------
SP=$(port silent)
L="target=\"silent\",address=\"127.0.0.1:$SP\""
"$TP" -s "$T/s1" -o "$T/silent.prom" -t "silent=127.0.0.1:$SP" --count 5 \
	--interval 20ms --timeout 100ms --min-timeout 50ms --max-timeout 400ms 2>"$T/err"
assert_eq "silent: exit 0" 0 $?
assert_eq "silent: sent" 5 "$(tp_metric "$T/silent.prom" "tcp_echo_sent_total{$L}")"
assert_eq "silent: timeouts" 5 "$(tp_metric "$T/silent.prom" "tcp_echo_timeouts_total{$L}")"
assert_eq "silent: received" 0 "$(tp_metric "$T/silent.prom" "tcp_echo_received_total{$L}")"
assert_eq "silent: still connected" 1 "$(tp_metric "$T/silent.prom" "tcp_echo_connected{$L}")"
assert_eq "silent: loss" 1 "$(tp_metric "$T/silent.prom" "tcp_echo_burst_loss_ratio{$L}")"
# 0.1 doubled per timeout, clamped at --max-timeout.
assert_eq "silent: RTO backed off to max" 0.4 "$(tp_metric "$T/silent.prom" "tcp_echo_estimated_timeout_seconds{$L}")"
assert_eq "silent: RTO kept in state" "rto=0.40000000000000002" "$(grep '^t/silent/rto ' "$T/s1/state" | tr ',' '\n' | grep '^rto=')"
# The next run waits the remembered 400 ms for its one probe, not the
# initial 100 ms.
"$TP" -s "$T/s1" -o "$T/silent.prom" -t "silent=127.0.0.1:$SP" --count 1 \
	--timeout 100ms --min-timeout 50ms --max-timeout 400ms 2>"$T/err"
d=$(tp_metric "$T/silent.prom" 'promsnap_run_duration_seconds{tool="tcpping-burst"}')
if awk -v d="$d" 'BEGIN { exit !(d >= 0.4 && d < 1.5) }'; then
	ok "silent: next run starts from the remembered RTO (${d}s)"
else
	not_ok "silent: next run starts from the remembered RTO" "run took ${d}s"
fi
assert_eq "silent: counters grow across runs" 6 "$(tp_metric "$T/silent.prom" "tcp_echo_timeouts_total{$L}")"
# --no-adaptive: fixed timeout, never backed off.
"$TP" -s "$T/s1b" -o "$T/fixed.prom" -t "silent=127.0.0.1:$SP" --count 3 \
	--interval 10ms --timeout 60ms --no-adaptive 2>"$T/err"
assert_eq "--no-adaptive: RTO stays" 0.06 "$(tp_metric "$T/fixed.prom" "tcp_echo_estimated_timeout_seconds{$L}")"

# --- wrong magic, replayed, forged ------------------------------------------
for m in badmagic forged; do
	P=$(port $m)
	L="target=\"$m\",address=\"127.0.0.1:$P\""
	"$TP" -s "$T/s-$m" -o "$T/$m.prom" -t "$m=127.0.0.1:$P" --count 4 \
		--interval 10ms --timeout 50ms --max-timeout 200ms 2>"$T/err"
	assert_eq "$m: garbage" 4 "$(tp_metric "$T/$m.prom" "tcp_echo_garbage_total{$L}")"
	assert_eq "$m: received" 0 "$(tp_metric "$T/$m.prom" "tcp_echo_received_total{$L}")"
	assert_eq "$m: timed out" 4 "$(tp_metric "$T/$m.prom" "tcp_echo_timeouts_total{$L}")"
	assert_eq "$m: no RTT sample" 0 "$(tp_metric "$T/$m.prom" "tcp_echo_rtt_seconds_count{$L}")"
	assert_eq "$m: no last RTT" "" "$(tp_metric "$T/$m.prom" "tcp_echo_last_rtt_seconds{$L}")"
done
P=$(port replay)
L="target=\"replay\",address=\"127.0.0.1:$P\""
"$TP" -s "$T/s-replay" -o "$T/replay.prom" -t "replay=127.0.0.1:$P" --count 4 --interval 10ms --min-timeout 1s 2>"$T/err"
assert_eq "replay: each probe counted once" 4 "$(tp_metric "$T/replay.prom" "tcp_echo_received_total{$L}")"
assert_eq "replay: copies are garbage" 4 "$(tp_metric "$T/replay.prom" "tcp_echo_garbage_total{$L}")"
assert_eq "replay: rtt count" 4 "$(tp_metric "$T/replay.prom" "tcp_echo_rtt_seconds_count{$L}")"

# --- late echoes (150 ms) against a fixed 50 ms timeout ---------------------
P=$(port late)
L="target=\"late\",address=\"127.0.0.1:$P\""
"$TP" -s "$T/s-late" -o "$T/late.prom" -t "late=127.0.0.1:$P" --count 4 \
	--interval 200ms --timeout 50ms --no-adaptive 2>"$T/err"
assert_eq "late: timed out" 4 "$(tp_metric "$T/late.prom" "tcp_echo_timeouts_total{$L}")"
assert_eq "late: never received" 0 "$(tp_metric "$T/late.prom" "tcp_echo_received_total{$L}")"
late=$(tp_metric "$T/late.prom" "tcp_echo_late_total{$L}")
# Probes go out at 0, 200, 400, 600 ms and time out 50 ms later; echoes
# come back at 150, 350, 550 ms (late, counted) and 750 ms (after the
# burst ended at 650 ms): 100 ms of margin either way.
assert_eq "late: counted late" 3 "$late"
assert_eq "late: not garbage" 0 "$(tp_metric "$T/late.prom" "tcp_echo_garbage_total{$L}")"

# --- server killed mid-burst --------------------------------------------------
tp_serve kill --stats-interval 0.02
L="target=\"k\",address=\"127.0.0.1:$TP_PORT\""
"$TP" -s "$T/s-kill" -o "$T/kill.prom" -t "k=127.0.0.1:$TP_PORT" --count 40 \
	--interval 25ms --timeout 200ms 2>"$T/err" &
CL=$!
wait_until 20 sh -c "awk '\$1==\"tcpping_echo_probes_total\" && \$2>=3 {f=1} END{exit !f}' '$T/kill.prom'" ||
	not_ok "kill: server saw probes" "none"
kill -KILL "$TP_SRV_PID"
wait "$CL"
assert_eq "kill: client exits 0" 0 $?
# The server's stats file is $T/kill.prom (tp_serve); the client's is
# written to the same path afterwards, so read the client's numbers now.
sent=$(tp_metric "$T/kill.prom" "tcp_echo_sent_total{$L}")
recv=$(tp_metric "$T/kill.prom" "tcp_echo_received_total{$L}")
tmo=$(tp_metric "$T/kill.prom" "tcp_echo_timeouts_total{$L}")
assert_eq "kill: dropped" 1 "$(tp_metric "$T/kill.prom" "tcp_echo_dropped_total{$L}")"
assert_eq "kill: not connected" 0 "$(tp_metric "$T/kill.prom" "tcp_echo_connected{$L}")"
if [ "$recv" -ge 3 ] && [ "$sent" -lt 40 ] && [ $((recv + tmo)) -eq "$sent" ]; then
	ok "kill: burst cut short, every probe sent accounted ($sent = $recv + $tmo)"
else
	not_ok "kill: burst cut short" "sent=$sent received=$recv timeouts=$tmo"
fi
tp_check_promfile "$T/kill.prom"

# --- a name that cannot resolve ---------------------------------------------
# In a namespace of our own with only lo up, a DNS lookup cannot leave.
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null 2>&1; then
	NS=tpdns$$
	ip netns add "$NS" && on_exit "ip netns del $NS"
	ip netns exec "$NS" ip link set lo up
	ip netns exec "$NS" "$TP" -s "$T/s-dns" -o "$T/dns.prom" \
		-t "nx=no-such-host.invalid:4000" --count 2 2>"$T/err"
	assert_eq "unresolvable: exit 0" 0 $?
	L='target="nx",address="no-such-host.invalid:4000"'
	assert_eq "unresolvable: not connected" 0 "$(tp_metric "$T/dns.prom" "tcp_echo_connected{$L}")"
	assert_eq "unresolvable: dropped" 1 "$(tp_metric "$T/dns.prom" "tcp_echo_dropped_total{$L}")"
	assert_eq "unresolvable: nothing sent" 0 "$(tp_metric "$T/dns.prom" "tcp_echo_sent_total{$L}")"
else
	skip "unresolvable name" "needs root and ip(8) for a network namespace"
fi
