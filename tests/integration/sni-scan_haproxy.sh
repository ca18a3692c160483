#!/bin/bash
# SPDX-License-Identifier: MIT
# sni-scan against a real HAProxy on loopback: a TLS passthrough frontend
# (set-var(sess.sni) req.ssl_sni) and a TLS termination frontend
# (ssl_fc_sni), both with the log formats the man page recommends, an
# `openssl s_server` backend, and clients that count every byte they send
# and receive.  HAProxy logs each connection twice: raw to its stdout
# (`log stdout format raw`) and RFC 3164-framed over UDP to a local
# receiver.  sni-scan's per-SNI counts must equal what the clients
# measured, from both logs, across a rename rotation (run while the new
# file does not exist yet) and a copytruncate rotation.
. "$TOP/tests/integration/lib.sh"
need_cmd haproxy
need_cmd openssl
need_cmd python3

. "$TOP/cmd/sni-scan/haproxy-lab.sh"
P_PASS=$(hl_port tcp)
P_TERM=$(hl_port tcp)
P_BACK=$(hl_port tcp)
P_SYSLOG=$(hl_port udp)
P_HTTP=$(hl_port tcp)
P_WEB=$(hl_port tcp)
P_HTTPLOG=$(hl_port udp)
P_SHORT=$(hl_port udp)
P_ASAP=$(hl_port tcp)
P_ASAPLOG=$(hl_port udp)

cd "$T" || exit 1
hl_cert "$T"

# A UDP syslog receiver: one datagram per line; reopens its file on SIGHUP
# as rsyslog does after logrotate.
cat >rx.py <<'EOF'
import signal, socket, sys
path = sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
f = open(path, "ab", buffering=0)
def hup(*a):
    global f
    f.close()
    f = open(path, "ab", buffering=0)
signal.signal(signal.SIGHUP, hup)
open(sys.argv[3], "w").write("ready\n")
while True:
    try:
        d, _ = s.recvfrom(65536)
    except InterruptedError:
        continue
    f.write(d.rstrip(b"\n") + b"\n")
EOF

# A TLS client that counts bytes on the wire (what HAProxy's %B/%U count in
# passthrough) and application bytes (what they count when HAProxy ends
# TLS).  Prints one JSON line.
cat >cl.py <<'EOF'
import json, os, socket, ssl, sys
mode, port, sni, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname=None if sni == "-" else sni)
s = socket.create_connection((os.environ.get("CL_HOST", "127.0.0.1"), port), timeout=10)
c = {"raw_in": 0, "raw_out": 0, "app_in": 0, "app_out": 0}
def flush():
    d = out.read()
    if d:
        s.sendall(d)
        c["raw_out"] += len(d)
def pump():
    d = s.recv(65536)
    if d:
        c["raw_in"] += len(d)
        inc.write(d)
    return bool(d)
while True:
    try:
        obj.do_handshake()
        flush()
        break
    except ssl.SSLWantReadError:
        flush()
        if not pump():
            sys.exit("eof during handshake")
payload = b"x" * (n - 1) + b"\n"
obj.write(payload)
c["app_out"] += len(payload)
flush()
got = b""
while not got.endswith(b"\n"):
    try:
        got += obj.read(65536)
    except ssl.SSLWantReadError:
        flush()
        if not pump():
            break
c["app_in"] += len(got)
try:
    obj.unwrap()
except (ssl.SSLWantReadError, ssl.SSLError):
    pass
flush()
s.shutdown(socket.SHUT_WR)
while True:
    try:
        if not pump():
            break
    except OSError:
        break
    try:
        c["app_in"] += len(obj.read(65536))
    except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLError):
        pass
s.close()
b_out, b_in = (c["raw_in"], c["raw_out"]) if mode == "pass" else (c["app_in"], c["app_out"])
print(json.dumps({"sni": sni, "out": b_out, "in": b_in}))
EOF

# What the .prom must say, from the clients' own counts: sni-scan's
# lowercasing and "none" applied to the names the clients sent.
cat >expect.py <<'EOF'
import json, sys
tot = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    sni = "none" if r["sni"] == "-" else r["sni"].lower()
    t = tot.setdefault(sni, [0, 0, 0, 0])
    t[0] += 1; t[1] += r["out"]; t[2] += r["in"]; t[3] += r["out"] == 0
out = []
for sni, (n, b, u, z) in tot.items():
    out.append('haproxy_sni_connections{sni="%s"} %d' % (sni, n))
    out.append('haproxy_sni_total_bytes{sni="%s"} %d' % (sni, b))
    out.append('haproxy_sni_uploaded_bytes_total{sni="%s"} %d' % (sni, u))
    out.append('haproxy_sni_zero_bytes{sni="%s"} %d' % (sni, z))
print("\n".join(sorted(out)))
EOF

LF_PASS=$HL_LF_PASS
LF_TERM=$HL_LF_TERM
LF_HTTP='%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %U %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r SNI=%[ssl_fc_sni]'
# The two frontends the man page recommends, as they appear there.
{
hl_cfg_head
cat <<EOF

frontend fe_pass
    bind 127.0.0.1:$P_PASS
    bind [::1]:$P_PASS
    log 127.0.0.1:$P_SYSLOG local0
    # HAProxy cuts these lines at 160 bytes (its len).
    log 127.0.0.1:$P_SHORT len 160 local0
$(hl_cfg_sni)
    default_backend be_pass

frontend fe_term
    bind 127.0.0.1:$P_TERM ssl crt $T/both.pem
    log 127.0.0.1:$P_SYSLOG local0
    log-format "$LF_TERM"
    default_backend be_term

# option logasap: logged when the connection starts, bytes as "+0".
frontend fe_asap
    bind 127.0.0.1:$P_ASAP
    no log
    log 127.0.0.1:$P_ASAPLOG local0
    option logasap
$(hl_cfg_sni)
    default_backend be_pass

# HTTP mode, TLS terminated: the http-sni preset, logged to its own file.
frontend fe_http
    mode http
    bind 127.0.0.1:$P_HTTP ssl crt $T/both.pem
    no log
    log 127.0.0.1:$P_HTTPLOG local0
    log-format "$LF_HTTP"
    default_backend be_web

backend be_web
    mode http
    server w1 127.0.0.1:$P_WEB

backend be_pass
    server s1 127.0.0.1:$P_BACK

backend be_term
    server s1 127.0.0.1:$P_BACK ssl verify none
EOF
} >haproxy.cfg
if haproxy -c -q -f haproxy.cfg; then
	ok "recommended haproxy.cfg frontends are valid"
else
	not_ok "recommended haproxy.cfg frontends are valid" "haproxy -c failed"
	exit 1
fi

# The mistake users make: %[req.ssl_sni] in the log-format.  HAProxy
# refuses the line; sni-scan refuses it too and says what to do.
sed 's/SNI=%\[var(sess.sni)\]/SNI=%[req.ssl_sni]/' haproxy.cfg >wrong.cfg
if haproxy -c -q -f wrong.cfg >/dev/null 2>&1; then
	not_ok "HAProxy refuses %[req.ssl_sni] in a log-format" "haproxy -c accepted it"
else
	ok "HAProxy refuses %[req.ssl_sni] in a log-format"
fi
"$BIN/sni-scan" -s st-wrong -o - --log-format "${LF_PASS%%SNI=*}SNI=%[req.ssl_sni]" /dev/null >/dev/null 2>wrong.err
assert_eq "sni-scan refuses it as a config error" 78 $?
assert_match "sni-scan names the set-var recipe" 'tcp-request content set-var\(sess.sni\) req.ssl_sni' "$(cat wrong.err)"

openssl s_server -accept "127.0.0.1:$P_BACK" -cert cert.pem -key key.pem \
	-rev -quiet >s_server.log 2>&1 &
SRV=$!
on_exit "kill $SRV"
python3 rx.py "$P_SYSLOG" syslog.log rx.ready &
RX=$!
on_exit "kill $RX"
python3 rx.py "$P_ASAPLOG" asap.log rx4.ready &
RX4=$!
on_exit "kill $RX4"
python3 rx.py "$P_SHORT" short.log rx3.ready &
RX3=$!
on_exit "kill $RX3"
python3 rx.py "$P_HTTPLOG" http.log rx2.ready &
RX2=$!
on_exit "kill $RX2"
mkdir -p www
head -c 5000 /dev/zero | tr '\0' 'w' >www/file
(cd www && exec python3 -m http.server --bind 127.0.0.1 "$P_WEB") >web.log 2>&1 &
WEB=$!
on_exit "kill $WEB"
# >> (O_APPEND), so that copytruncate leaves no hole in the raw log.
haproxy -db -f haproxy.cfg >>raw.log 2>haproxy.err &
HAP=$!
on_exit "kill $HAP"

# Listening, checked without connecting: a probe would be a logged
# connection of its own.
tcp_up() { hl_listening "$1"; }
if ! wait_until 20 tcp_up "$P_PASS" || ! wait_until 20 tcp_up "$P_TERM" ||
	! wait_until 20 tcp_up "$P_BACK" || ! wait_until 20 test -s rx.ready ||
	! wait_until 20 tcp_up "$P_HTTP" || ! wait_until 20 tcp_up "$P_WEB" ||
	! wait_until 20 test -s rx2.ready || ! wait_until 20 test -s rx3.ready ||
	! wait_until 20 tcp_up "$P_ASAP" || ! wait_until 20 test -s rx4.ready; then
	not_ok "haproxy, s_server and the syslog receiver start" "$(cat haproxy.err s_server.log)"
	exit 1
fi
ok "haproxy, s_server and the syslog receiver start"

: >clients.json
sent=0
sent_pass=0
# batch N: connections through both frontends for a few names, one
# without SNI, one in capitals; sizes vary per batch.
batch() {
	for sni in a.example.com b.example.com Mixed.Example.COM -; do
		for mode in pass term; do
			p=$P_PASS
			[ "$mode" = term ] && p=$P_TERM
			python3 cl.py "$mode" "$p" "$sni" $((100 * $1 + ${#sni})) >>clients.json ||
				echo "client $mode $sni failed" >&2
			sent=$((sent + 1))
			[ "$mode" = pass ] && sent_pass=$((sent_pass + 1))
		done
	done
	# An IPv6 client: HAProxy logs it as ::1:PORT.
	CL_HOST=::1 python3 cl.py pass "$P_PASS" v6.example.com $((100 * $1)) >>clients.json ||
		echo "client ::1 failed" >&2
	sent=$((sent + 1))
	sent_pass=$((sent_pass + 1))
}
lines_in() { [ -f "$1" ] && wc -l <"$1" | tr -d ' ' || echo 0; }
# HAProxy logs at the end of each connection; wait until all are there.
logged() { [ "$(lines_in raw.log)" -ge "$sent" ] && [ "$(($(lines_in syslog.log) + $(lines_in syslog.log.1)))" -ge "$sent" ]; }

cat >raw.yaml <<EOF
# The user's own log-format strings, pasted from haproxy.cfg.
logs:
  - path: $T/raw.log
    log_format: "$LF_PASS"
EOF

scan() { # scan NAME ARGS...: run sni-scan with state in st-NAME
	_n=$1
	shift
	"$BIN/sni-scan" -s "$T/st-$_n" -o "$T/$_n.prom" "$@" 2>"$T/$_n.err"
}
check_counts() { # check_counts DESC PROM
	python3 expect.py clients.json >want.txt
	grep '^haproxy_sni_' "$2" | sort >got.txt
	if cmp -s want.txt got.txt; then
		ok "$1"
	else
		not_ok "$1" "$(diff want.txt got.txt | head -12 | tr '\n' ' ')"
	fi
}
metric() { # metric PROM NAME{LABELS}
	grep -F "$2 " "$1" | awk '{print $2}'
}

batch 1
wait_until 20 logged || not_ok "HAProxy logged every connection" "$(lines_in raw.log) of $sent"
scan raw -c raw.yaml
assert_eq "raw log: exit 0" 0 $?
check_counts "raw log (log stdout format raw): counts equal what the clients measured" raw.prom
scan sys syslog.log
assert_eq "syslog log: exit 0" 0 $?
check_counts "RFC 3164 log over UDP: counts equal what the clients measured" sys.prom
lbl="log=\"$T/raw.log\""
assert_eq "raw log: every line parsed (names or none), none malformed" \
	"$sent 0" \
	"$(($(metric raw.prom "sni_scan_lines_total{$lbl,result=\"parsed\"}") + \
		$(metric raw.prom "sni_scan_lines_total{$lbl,result=\"no_sni\"}"))) $(metric raw.prom "sni_scan_lines_total{$lbl,result=\"malformed\"}")"
check_promfile "$T/raw.prom"
# Out of the textfile directory again: sys.prom holds the same series.
rm -f "${TEXTFILE_DIR:-/nonexistent}/raw.prom"

# A client that is not TLS at all: HAProxy logs an SSL handshake failure
# line in its own shape; counted by reason, attributed to no name.
python3 -c "import socket; s = socket.create_connection(('127.0.0.1', $P_TERM)); s.sendall(b'GET / HTTP/1.0\r\n\r\n' * 4); s.recv(100); s.close()" 2>/dev/null
junk_logged() { grep -q 'SSL handshake' raw.log; }
if wait_until 20 junk_logged; then
	scan raw -c raw.yaml
	assert_eq "SSL handshake failure line: counted as ssl_error" 1 \
		"$(metric raw.prom "sni_scan_lines_total{$lbl,result=\"ssl_error\"}")"
	check_counts "SSL handshake failure line: no name counted" raw.prom
else
	not_ok "HAProxy logs an SSL handshake failure" "$(tail -2 raw.log)"
fi

# Lines HAProxy cut at its `len` (160 here): counted as truncated, none
# attributed to a name -- a cut name could look like a valid one.
short_logged() { [ "$(lines_in short.log)" -ge "$sent_pass" ]; }
if wait_until 20 short_logged; then
	scan short --truncate-at 160 short.log
	assert_eq "lines cut by HAProxy's len: all truncated, no name counted" \
		"$(lines_in short.log) " \
		"$(metric short.prom 'sni_scan_lines_total{log="short.log",result="truncated"}') $(grep '^haproxy_sni_connections' short.prom)"
else
	not_ok "HAProxy logs to the short target" "$(lines_in short.log)"
fi

# option logasap: each line is written when the connection starts, with
# "+0" bytes: counted as logasap connections, never as zero-byte ones.
for _ in 1 2 3; do python3 cl.py pass "$P_ASAP" asap.example.com 50 >/dev/null; done
asap_logged() { [ "$(lines_in asap.log)" -ge 3 ]; }
if wait_until 20 asap_logged; then
	scan asap asap.log
	assert_eq "option logasap lines: connections counted, bytes so far, no zero-byte connection" \
		"3 3 0" \
		"$(metric asap.prom 'sni_scan_lines_total{log="asap.log",result="logasap"}') $(metric asap.prom 'haproxy_sni_connections{sni="asap.example.com"}') $(metric asap.prom 'haproxy_sni_zero_bytes{sni="asap.example.com"}')"
else
	not_ok "HAProxy logs option logasap lines" "$(lines_in asap.log)"
fi

# Nothing new: a second run changes no counter.
grep '^haproxy_sni_' raw.prom >before.txt
scan raw -c raw.yaml
grep '^haproxy_sni_' raw.prom >after.txt
if cmp -s before.txt after.txt; then
	ok "a run with nothing new adds nothing"
else
	not_ok "a run with nothing new adds nothing" "$(diff before.txt after.txt | head -4)"
fi

# Rename rotation, and a run in the gap before the writer reopens.
batch 2
wait_until 20 logged || not_ok "HAProxy logged batch 2" "$(lines_in syslog.log)"
mv syslog.log syslog.log.1
scan sys syslog.log
assert_eq "run while the new log does not exist yet: exit 0" 0 $?
kill -HUP "$RX"
batch 3
wait_until 20 logged || not_ok "HAProxy logged batch 3" "$(lines_in syslog.log)"
scan sys syslog.log
check_counts "rename rotation: nothing lost, nothing counted twice" sys.prom
assert_eq "rename rotation counted once" 1 \
	"$(metric sys.prom "sni_scan_rotations_total{log=\"syslog.log\"}")"

# copytruncate on both logs (no traffic in flight: copytruncate itself
# loses what is written between the copy and the truncation).
rm -f syslog.log.1
cp syslog.log syslog.log.1 && : >syslog.log
cp raw.log raw.log.1 && : >raw.log
sent_before=$sent
batch 4
sent=$((sent - sent_before))
logged_new() { [ "$(lines_in raw.log)" -ge "$sent" ] && [ "$(lines_in syslog.log)" -ge "$sent" ]; }
wait_until 20 logged_new || not_ok "HAProxy logged batch 4" "$(lines_in raw.log)"
sent=$((sent + sent_before))
scan sys syslog.log
check_counts "copytruncate (syslog log): nothing lost, nothing counted twice" sys.prom
scan raw -c raw.yaml
check_counts "copytruncate (raw log): nothing lost, nothing counted twice" raw.prom
assert_eq "copytruncate counted as a rotation" 1 \
	"$(metric raw.prom "sni_scan_rotations_total{log=\"$T/raw.log\"}")"
check_promfile "$T/sys.prom"
rm -f "${TEXTFILE_DIR:-/nonexistent}/sys.prom"

# HTTP mode with TLS termination (preset http-sni), requests made with
# curl --resolve; HAProxy's %B / %U there are the HTTP bytes each way,
# headers included, which curl reports.
: >http.json
for n in h1.example.com h2.example.com h1.example.com H1.Example.Com; do
	curl -sk --http1.1 --resolve "$n:$P_HTTP:127.0.0.1" -o /dev/null \
		-w "{\"sni\": \"$n\", \"out\": %{size_header} + %{size_download}, \"in\": %{size_request} + %{size_upload}}\n" \
		"https://$n:$P_HTTP/file" |
		python3 -c 'import json, re, sys
l = sys.stdin.read()
l = re.sub(r"(\d+) \+ (\d+)", lambda m: str(int(m.group(1)) + int(m.group(2))), l)
print(json.dumps(json.loads(l)))' >>http.json
done
http_logged() { [ "$(lines_in http.log)" -ge 4 ]; }
wait_until 20 http_logged || not_ok "HAProxy logged the HTTP requests" "$(lines_in http.log)"
scan http --format http-sni http.log
assert_eq "http-sni: exit 0" 0 $?
# HAProxy counts HTTP bytes after its own re-encoding, a few bytes off
# what curl sees on the wire: connections must equal curl's count, bytes
# must equal what the log lines say (read here with a plain regex, not
# sni-scan's matcher) and be within 64 bytes per request of curl's.
cat >http_check.py <<'EOF'
import json, re, sys
log, cj, prom = sys.argv[1:4]
pat = re.compile(r"\] \S+ \S+ \S+ \d+ (\d+) (\d+) .* SNI=(\S+)$")
want = {}
for line in open(log):
    m = pat.search(line.rstrip("\n"))
    t = want.setdefault(m.group(3).lower(), [0, 0, 0])
    t[0] += 1; t[1] += int(m.group(1)); t[2] += int(m.group(2))
curl = {}
for line in open(cj):
    r = json.loads(line)
    t = curl.setdefault(r["sni"].lower(), [0, 0, 0])
    t[0] += 1; t[1] += r["out"]; t[2] += r["in"]
got = {}
for line in open(prom):
    m = re.match(r'haproxy_sni_(connections|total_bytes|uploaded_bytes_total)\{sni="([^"]*)"\} (\d+)', line)
    if m:
        got.setdefault(m.group(2), {})[m.group(1)] = int(m.group(3))
bad = []
for sni, (n, b, u) in curl.items():
    g = got.get(sni, {})
    if g.get("connections") != n:
        bad.append("%s: %s connections, curl made %d" % (sni, g.get("connections"), n))
    if abs(g.get("total_bytes", 0) - b) > 64 * n or abs(g.get("uploaded_bytes_total", 0) - u) > 64 * n:
        bad.append("%s: bytes %s/%s far from curl's %d/%d" % (sni, g.get("total_bytes"), g.get("uploaded_bytes_total"), b, u))
for sni, (n, b, u) in want.items():
    g = got.get(sni, {})
    if (g.get("connections"), g.get("total_bytes"), g.get("uploaded_bytes_total")) != (n, b, u):
        bad.append("%s: got %s, log says %d/%d/%d" % (sni, g, n, b, u))
print("; ".join(bad) if bad else "ok")
EOF
assert_eq "HTTP mode, TLS terminated (http-sni preset, curl --resolve): per-SNI counts" ok \
	"$(python3 http_check.py http.log http.json http.prom 2>&1)"

# A TLS client that sends no HTTP: HAProxy logs <BADREQ> with the name.
python3 -c "
import socket, ssl
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = c.wrap_socket(socket.create_connection(('127.0.0.1', $P_HTTP)), server_hostname='bad.example.com')
s.sendall(b'NOT HTTP AT ALL\r\n\r\n')
try:
    s.recv(4096)
except OSError:
    pass
s.close()" 2>/dev/null
badreq_logged() { grep -q 'BADREQ' http.log; }
if wait_until 20 badreq_logged; then
	scan http --format http-sni http.log
	assert_eq "<BADREQ> line: counted as badreq, under its name" "1 1" \
		"$(metric http.prom 'sni_scan_lines_total{log="http.log",result="badreq"}') $(metric http.prom 'haproxy_sni_connections{sni="bad.example.com"}')"
else
	not_ok "HAProxy logs a <BADREQ> line" "$(tail -2 http.log)"
fi

# Through node_exporter into the real Prometheus.
if [ -n "${PROM_URL:-}" ]; then
	cp sys.prom "$TEXTFILE_DIR/sni-scan.prom"
	want=$(python3 expect.py clients.json | grep -F 'haproxy_sni_total_bytes{sni="a.example.com"}' | awk '{print $2}')
	if prom_wait "haproxy_sni_total_bytes{sni=\"a.example.com\"} == $want" 30 >/dev/null; then
		ok "Prometheus has haproxy_sni_total_bytes{sni=\"a.example.com\"} = $want"
	else
		not_ok "Prometheus has the per-SNI bytes" "$(prom_query 'haproxy_sni_total_bytes')"
	fi
	rm -f "$TEXTFILE_DIR/sni-scan.prom"
else
	skip "Prometheus has the per-SNI bytes" "no stack"
fi
