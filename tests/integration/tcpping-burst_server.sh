#!/bin/sh
# SPDX-License-Identifier: MIT
# The echo server's bounds, on loopback: a flood of 5,000 connection
# attempts (bounded loop) against --max-conns 300 / --max-per-ip 128, the
# read and write deadlines, no reflection of anything but probes.
. "$TOP/tests/integration/lib.sh"
. "$TOP/cmd/tcpping-burst/testlib.sh"

tp_serve srv --max-conns 300 --max-per-ip 128 --read-timeout 60s \
	--write-timeout 1s --stats-interval 0.05
S="$T/srv.prom"
m() { tp_metric "$S" "$1"; }

# The flood: 1,000 attempts from 127.0.0.2, then 4,000 from 127.0.0.3-12
# (400 each), in waves of 500 that wait for their handshakes.  Then report
# how many connections the server left open, per source address, and hold
# them until told to stop (stdin closes).
cat >"$T/flood.py" <<'PY'
import resource, select, socket, sys, time, collections
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
port = int(sys.argv[1])
plan = [("127.0.0.2", 1000)] + [("127.0.0.%d" % i, 400) for i in range(3, 13)]
socks = []
def wave(batch):
    p = select.poll()
    for s in batch:
        p.register(s, select.POLLOUT)
    left, end = len(batch), time.time() + 10
    while left and time.time() < end:
        for fd, ev in p.poll(100):
            p.unregister(fd)
            left -= 1
for src, n in plan:
    todo = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.bind((src, 0))
        s.connect_ex(("127.0.0.1", port))
        todo.append((src, s))
        if len(todo) == 500:
            wave([t[1] for t in todo]); socks += todo; todo = []
    wave([t[1] for t in todo]); socks += todo
print("attempts", len(socks), flush=True)
sys.stdin.readline()  # the test says the server has handled them all
per = collections.Counter()
for src, s in socks:
    try:
        if s.recv(1, socket.MSG_PEEK) == b"":
            continue  # closed by the server
    except BlockingIOError:
        per[src] += 1  # open, nothing to read
    except OSError:
        continue      # reset
print("open", sum(per.values()), flush=True)
print("max_per_ip", max(per.values() or [0]), flush=True)
sys.stdin.readline()
PY
mkfifo "$T/ctl"
python3 "$T/flood.py" "$TP_PORT" <"$T/ctl" >"$T/flood.out" 2>"$T/flood.err" &
FL=$!
exec 9>"$T/ctl"
on_exit "exec 9>&-; kill $FL"
wait_until 120 grep -q '^attempts' "$T/flood.out" || { not_ok "flood ran" "$(cat "$T/flood.err")"; exit 1; }
assert_eq "flood: 5000 attempts" "attempts 5000" "$(grep '^attempts' "$T/flood.out")"
handled() {
	a=$(m tcpping_echo_connections_accepted_total)
	r1=$(m 'tcpping_echo_connections_rejected_total{reason="max_conns"}')
	r2=$(m 'tcpping_echo_connections_rejected_total{reason="per_ip"}')
	[ $((a + r1 + r2)) -eq 5000 ]
}
wait_until 30 handled || not_ok "server handled all 5000" "$(grep -v '^#' "$S" | tr '\n' ' ')"
assert_eq "flood: accepted up to the cap" 300 "$(m tcpping_echo_connections_accepted_total)"
# In arrival order: .2 gets 128 (872 turned away per IP), .3 gets 128
# (272 per IP), .4 gets the last 44 slots; everything after (356 from .4,
# 8 x 400 from .5-.12) meets the max-conns cap.
assert_eq "flood: rejected per IP" 1144 "$(m 'tcpping_echo_connections_rejected_total{reason="per_ip"}')"
assert_eq "flood: rejected at max-conns" 3556 "$(m 'tcpping_echo_connections_rejected_total{reason="max_conns"}')"
assert_eq "flood: open connections" 300 "$(m tcpping_echo_open_connections)"
echo go >&9
wait_until 20 grep -q '^max_per_ip' "$T/flood.out"
assert_eq "flood: client sees 300 open" "open 300" "$(grep '^open' "$T/flood.out")"
assert_eq "flood: 128 at most per IP" "max_per_ip 128" "$(grep '^max_per_ip' "$T/flood.out")"

# While full, a burst is turned away (accepted by the kernel, closed at
# once by the server): dropped, not connected.
"$TP" -s "$T/c1" -o "$T/full.prom" -t "full=127.0.0.1:$TP_PORT" --count 3 --interval 10ms 2>"$T/err"
L="target=\"full\",address=\"127.0.0.1:$TP_PORT\""
assert_eq "server full: burst dropped" 1 "$(tp_metric "$T/full.prom" "tcp_echo_dropped_total{$L}")"
assert_eq "server full: not connected" 0 "$(tp_metric "$T/full.prom" "tcp_echo_connected{$L}")"

echo done >&9
wait "$FL"
wait_until 20 sh -c "grep -q '^tcpping_echo_open_connections 0\$' '$S'"
assert_eq "flood gone: closed on EOF" 300 "$(m 'tcpping_echo_connections_closed_total{reason="eof"}')"
"$TP" -s "$T/c2" -o "$T/after.prom" -t "after=127.0.0.1:$TP_PORT" --count 5 --interval 10ms --min-timeout 1s 2>"$T/err"
assert_eq "after the flood: burst answered" 5 "$(tp_metric "$T/after.prom" "tcp_echo_received_total{target=\"after\",address=\"127.0.0.1:$TP_PORT\"}")"

# No reflection: arbitrary bytes close the connection without a byte back;
# a probe is echoed exactly, and the garbage after it closes.
cat >"$T/refl.py" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
def talk(data):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    got = b""
    while True:
        try:
            d = s.recv(4096)
        except ConnectionResetError:
            break
        if not d:
            break
        got += d
    s.close()
    return got
probe = b"TCPPING\0" + struct.pack("<QQ", 7, 123456789)
print("http", len(talk(b"GET / HTTP/1.0\r\n\r\n")))
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(probe)
echo = b""
while len(echo) < 24:
    echo += s.recv(24 - len(echo))
s.sendall(b"junk" * 6)
try:
    rest = s.recv(4096)
except ConnectionResetError:
    rest = b""
print("probe+junk", echo == probe and rest == b"")
print("partial-magic", len(talk(b"TCPPINX" + b"\0" * 17)))
PY
python3 "$T/refl.py" "$TP_PORT" >"$T/refl.out" 2>&1
assert_eq "HTTP request: closed, nothing echoed" "http 0" "$(sed -n 1p "$T/refl.out")"
assert_eq "probe echoed exactly, then closed on junk" "probe+junk True" "$(sed -n 2p "$T/refl.out")"
assert_eq "wrong magic byte: closed, nothing echoed" "partial-magic 0" "$(sed -n 3p "$T/refl.out")"
wait_until 5 sh -c "grep -q '^tcpping_echo_connections_closed_total{reason=\"invalid\"} 3\$' '$S'"
assert_eq "closed as invalid" 3 "$(m 'tcpping_echo_connections_closed_total{reason="invalid"}')"

# Write deadline: a peer that sends probes and never reads.  The server
# stops reading once its 64-probe buffer is full and closes the
# connection when the write has not progressed for 1 s.
cat >"$T/noread.py" <<'PY'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setblocking(False)
probe = b"TCPPING\0" + struct.pack("<QQ", 1, 2)
sent, t0, closed = 0, time.time(), False
# Until the server gives up on us (bounded: 20 s).
while time.time() < t0 + 20:
    try:
        sent += s.send(probe * 100)
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        closed = True
        break
print("closed" if closed else "still-open", sent)
PY
python3 "$T/noread.py" "$TP_PORT" >"$T/noread.out" 2>&1 &
NR=$!
on_exit "kill $NR"
if wait_until 20 sh -c "grep -q '^tcpping_echo_connections_closed_total{reason=\"write_timeout\"} 1\$' '$S'"; then
	ok "write deadline closes a peer that does not read"
else
	not_ok "write deadline closes a peer that does not read" "$(grep closed_total "$S" | tr '\n' ' ')"
fi
wait "$NR"
assert_match "the non-reading peer saw the close" '^closed [0-9]+$' "$(cat "$T/noread.out")"
tp_check_promfile "$S"

# Read deadline, on a second server: three idle connections are closed
# after 1 s of silence.
tp_serve idle --read-timeout 1s --stats-interval 0.05
cat >"$T/idle.py" <<'PY'
import socket, sys, time
t0 = time.time()
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) for _ in range(3)]
print("eof" if all(s.recv(1) == b"" for s in socks) else "data", round(time.time() - t0, 1))
PY
python3 "$T/idle.py" "$TP_PORT" >"$T/idle.out" 2>&1
assert_match "idle connections closed after the read deadline" '^eof (1\.[0-9]|2\.[0-9])$' "$(cat "$T/idle.out")"
wait_until 5 sh -c "grep -q 'reason=\"read_timeout\"} 3\$' '$T/idle.prom'"
assert_eq "counted as read_timeout" 3 "$(tp_metric "$T/idle.prom" 'tcpping_echo_connections_closed_total{reason="read_timeout"}')"

# --stats-interval bounds how often the file is rewritten, however busy
# the server is (a burst keeps it waking every 10 ms): sampled for 3 s at
# 0.5 s, at most 7 versions (one at start, one per interval); allow 8.
tp_serve rate --stats-interval 0.5s
"$TP" -s "$T/c3" -o "$T/rate-client.prom" -t "r=127.0.0.1:$TP_PORT" --count 200 --interval 10ms 2>"$T/err" &
RC=$!
: >"$T/mtimes"
end=$(($(date +%s) + 3))
while [ "$(date +%s)" -lt "$end" ]; do
	stat -c %.9Y "$T/rate.prom" >>"$T/mtimes" 2>/dev/null
	sleep 0.02
done
wait "$RC"
v=$(sort -u "$T/mtimes" | wc -l)
if [ "$v" -ge 3 ] && [ "$v" -le 8 ]; then
	ok "stats rewritten at most every --stats-interval ($v versions in ~3 s)"
else
	not_ok "stats rewritten at most every --stats-interval" "$v versions in ~3 s"
fi
