#!/bin/sh
# SPDX-License-Identifier: MIT
# 200 targets (200 listeners on loopback ports) finish in about one
# burst's time.  The listeners belong to one echo server started the way
# systemd does it: the sockets are bound by a parent and passed with
# LISTEN_FDS/LISTEN_PID, which also tests socket activation.  All come
# from 127.0.0.1, so the per-IP cap is raised above 200.
. "$TOP/tests/integration/lib.sh"
. "$TOP/cmd/tcpping-burst/testlib.sh"

N=200
# Bind N loopback sockets, print their ports, exec the server with them
# as fds 3..N+2 (the pid stays the same across exec, as LISTEN_PID wants).
cat >"$T/activate.py" <<'PY'
import os, socket, sys
n, ports, tp, stats = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    socks.append(s)
with open(ports, "w") as f:
    for s in socks:
        f.write("%d\n" % s.getsockname()[1])
for i, s in enumerate(socks):
    os.dup2(s.fileno(), 3 + i)
    os.set_inheritable(3 + i, True)
env = dict(os.environ, LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(n))
os.execve(tp, [tp, "--serve", "127.0.0.1:9", "-o", stats,
               "--stats-interval", "0.1", "--max-per-ip", "256", "-v"], env)
PY
python3 "$T/activate.py" "$N" "$T/ports" "$TP" "$T/srv.prom" 2>"$T/srv.log" &
SRV=$!
on_exit "kill $SRV; wait $SRV"
wait_until 20 test -s "$T/srv.prom" || { not_ok "activated server starts" "$(cat "$T/srv.log")"; exit 1; }
if grep -q 'listening on' "$T/srv.log"; then
	not_ok "socket activation: no bind of its own" "$(cat "$T/srv.log")"
else
	ok "socket activation: serves the passed sockets, binds nothing"
fi

i=0
set --
while read -r p; do
	i=$((i + 1))
	set -- "$@" -t "s$i=127.0.0.1:$p"
done <"$T/ports"
assert_eq "$N ports" "$N" "$i"

# One target first, then all 200, same burst shape: 10 probes, 50 ms.
"$TP" -s "$T/one" -o "$T/one.prom" --count 10 --interval 50ms --min-timeout 1s "$1" "$2" 2>"$T/err"
"$TP" -s "$T/all" -o "$T/all.prom" --count 10 --interval 50ms --min-timeout 1s "$@" 2>"$T/err"
assert_eq "200 targets: exit 0" 0 $?
recv=$(awk '/^tcp_echo_received_total/ { s += $2 } END { print s }' "$T/all.prom")
assert_eq "200 targets: every probe answered" 2000 "$recv"
conn=$(awk '/^tcp_echo_connected/ { s += $2 } END { print s }' "$T/all.prom")
assert_eq "200 targets: all connected" 200 "$conn"
d1=$(tp_metric "$T/one.prom" 'promsnap_run_duration_seconds{tool="tcpping-burst"}')
dn=$(tp_metric "$T/all.prom" 'promsnap_run_duration_seconds{tool="tcpping-burst"}')
# A burst is 9 intervals (450 ms); one after the other, 200 would take
# 90 s.  Set-up and state work for 200 may add to one burst, on a loaded
# machine even much, but not a second burst's worth on top of it.
if awk -v a="$d1" -v b="$dn" 'BEGIN { exit !(b < 2 * a + 0.3) }'; then
	ok "200 targets take about one burst (1: ${d1}s, 200: ${dn}s)"
else
	not_ok "200 targets take about one burst" "1: ${d1}s, 200: ${dn}s"
fi
wait_until 10 sh -c "grep -q '^tcpping_echo_probes_total 2010\$' '$T/srv.prom'"
assert_eq "server counted every probe" 2010 "$(tp_metric "$T/srv.prom" tcpping_echo_probes_total)"
tp_check_promfile "$T/all.prom"
