#!/bin/sh
# SPDX-License-Identifier: MIT
# Interoperability with an independent peer written in Python from the
# wire format alone (24 bytes: "TCPPING\0", LE uint64 sequence, LE uint64
# Unix-ns timestamp): our server answers the Python client, our client
# measures against the Python server.  Also --mode connect.
. "$TOP/tests/integration/lib.sh"
. "$TOP/cmd/tcpping-burst/testlib.sh"

cat >"$T/peer.py" <<'PY'
import os, socket, struct, sys, threading, time
MAGIC = b"TCPPING\x00"
def probe(seq, ts):
    return MAGIC + struct.pack("<QQ", seq, ts)
def client(port, n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok = 0
    for i in range(n):
        seq = int.from_bytes(os.urandom(8), "little")
        p = probe(seq, time.time_ns())
        s.sendall(p)
        got = b""
        while len(got) < 24:
            d = s.recv(24 - len(got))
            if not d:
                break
            got += d
        magic, = struct.unpack("<8s", got[:8])
        rseq, rts = struct.unpack("<QQ", got[8:])
        if got == p and magic == MAGIC and rseq == seq:
            ok += 1
    s.close()
    print("client-ok", ok, flush=True)
def server():
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    l.listen(8)
    print("server-port", l.getsockname()[1], flush=True)
    while True:
        c, _ = l.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()
def echo(c):
    buf = b""
    while True:
        d = c.recv(4096)
        if not d:
            return
        buf += d
        while len(buf) >= 24:
            rec, buf = buf[:24], buf[24:]
            if rec[:8] != MAGIC:
                c.close()
                return
            c.sendall(rec)
if sys.argv[1] == "client":
    client(int(sys.argv[2]), int(sys.argv[3]))
else:
    server()
PY

# Python client -> our server.
tp_serve srv
python3 "$T/peer.py" client "$TP_PORT" 50 >"$T/pc.out" 2>&1
assert_eq "python client: all 50 echoes exact" "client-ok 50" "$(cat "$T/pc.out")"
wait_until 5 sh -c "grep -q '^tcpping_echo_probes_total 50\$' '$T/srv.prom'"
assert_eq "our server counted 50" 50 "$(tp_metric "$T/srv.prom" tcpping_echo_probes_total)"

# Our client -> Python server.
python3 "$T/peer.py" server >"$T/ps.out" 2>&1 &
PS=$!
on_exit "kill $PS"
wait_until 20 grep -q '^server-port' "$T/ps.out" || { not_ok "python server starts" "$(cat "$T/ps.out")"; exit 1; }
PP=$(awk '{print $2}' "$T/ps.out")
"$TP" -s "$T/st" -o "$T/c.prom" -t "py=127.0.0.1:$PP" --count 8 --interval 10ms --min-timeout 1s 2>"$T/err"
L="target=\"py\",address=\"127.0.0.1:$PP\""
assert_eq "our client vs python server: received" 8 "$(tp_metric "$T/c.prom" "tcp_echo_received_total{$L}")"
assert_eq "our client vs python server: no garbage" 0 "$(tp_metric "$T/c.prom" "tcp_echo_garbage_total{$L}")"

# --mode connect: handshakes only, against any listener.
"$TP" -s "$T/st2" -o "$T/m.prom" --mode connect -t "py=127.0.0.1:$PP" --count 5 --interval 10ms 2>"$T/err"
assert_eq "connect mode: exit 0" 0 $?
assert_eq "connect mode: sent" 5 "$(tp_metric "$T/m.prom" "tcp_echo_sent_total{$L}")"
assert_eq "connect mode: received" 5 "$(tp_metric "$T/m.prom" "tcp_echo_received_total{$L}")"
assert_eq "connect mode: handshakes in the histogram" 5 "$(tp_metric "$T/m.prom" "tcp_connect_duration_seconds_count{$L}")"
assert_eq "connect mode: no echo RTT histogram" "" "$(tp_metric "$T/m.prom" "tcp_echo_rtt_seconds_count{$L}")"
assert_eq "connect mode: connected" 1 "$(tp_metric "$T/m.prom" "tcp_echo_connected{$L}")"
REF=$(tp_free_port)
"$TP" -s "$T/st3" -o "$T/r.prom" --mode connect -t "r=127.0.0.1:$REF" --count 4 --interval 10ms 2>"$T/err"
R="target=\"r\",address=\"127.0.0.1:$REF\""
assert_eq "connect mode, refused: dropped per attempt" 4 "$(tp_metric "$T/r.prom" "tcp_echo_dropped_total{$R}")"
assert_eq "connect mode, refused: not connected" 0 "$(tp_metric "$T/r.prom" "tcp_echo_connected{$R}")"
assert_eq "connect mode, refused: loss" 1 "$(tp_metric "$T/r.prom" "tcp_echo_burst_loss_ratio{$R}")"
# A listener whose backlog is full drops SYNs: handshakes time out.
cat >"$T/full.py" <<'PY'
import socket, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(0)
fill = []
for _ in range(4):
    s = socket.socket(); s.setblocking(False)
    s.connect_ex(l.getsockname()); fill.append(s)
time.sleep(0.3)
print("port", l.getsockname()[1], flush=True)
time.sleep(60)
PY
python3 "$T/full.py" >"$T/full.out" 2>&1 &
FP=$!
on_exit "kill $FP"
wait_until 20 grep -q '^port' "$T/full.out"
FPORT=$(awk '{print $2}' "$T/full.out")
"$TP" -s "$T/st4" -o "$T/f.prom" --mode connect -t "f=127.0.0.1:$FPORT" --count 3 --interval 10ms \
	--timeout 200ms --no-adaptive 2>"$T/err"
F="target=\"f\",address=\"127.0.0.1:$FPORT\""
assert_eq "connect mode, SYNs dropped: timeouts" 3 "$(tp_metric "$T/f.prom" "tcp_echo_timeouts_total{$F}")"
assert_eq "connect mode, SYNs dropped: received" 0 "$(tp_metric "$T/f.prom" "tcp_echo_received_total{$F}")"
tp_check_promfile "$T/m.prom"

# IPv6 both ways on ::1: our server on [::1], our client and the Python
# peer's client against it.
"$TP" --serve '[::1]:0' -v -o "$T/v6srv.prom" --stats-interval 0.05 2>"$T/v6srv.log" &
V6=$!
on_exit "kill $V6; wait $V6"
if wait_until 20 grep -q 'listening on \[::1\]:' "$T/v6srv.log"; then
	P6=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\).*/\1/p' "$T/v6srv.log")
	"$TP" -s "$T/st6" -o "$T/v6.prom" -t "six=[::1]:$P6" --count 4 --interval 5ms --min-timeout 1s 2>"$T/err"
	assert_eq "IPv6: received" 4 "$(tp_metric "$T/v6.prom" "tcp_echo_received_total{target=\"six\",address=\"[::1]:$P6\"}")"
	wait_until 5 sh -c "grep -q '^tcpping_echo_probes_total 4\$' '$T/v6srv.prom'"
	assert_eq "IPv6: server counted 4" 4 "$(tp_metric "$T/v6srv.prom" tcpping_echo_probes_total)"
else
	skip "IPv6" "no ::1 here: $(cat "$T/v6srv.log")"
fi
