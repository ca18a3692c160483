# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# make demo: sni-scan once.  With haproxy and openssl installed, a real
# HAProxy on 127.0.0.1 (the TLS passthrough frontend of sni-scan(8),
# logging raw to a file) in front of an `openssl s_server`, and a few TLS
# connections with three server names; otherwise a small generated log.
# Everything started here is stopped here, by PID.
_log="$DEMO_TMP/haproxy.log"
_out="$DEMO_TEXTFILE/sni-scan.prom"
_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
_listening() { ss -Hltn "sport = :$1" | grep -q LISTEN; }
_demo_gen() {
	for _i in 1 2 3 4 5 6; do
		for _n in www.example.com api.example.com -; do
			printf '127.0.0.1:%s [22/Nov/2026:00:00:0%s.000] fe_pass be_pass/s1 0/0/12 %s 517 -- 1/1/0/0/0 0/0 SNI=%s\n' \
				$((40000 + _i)) "$_i" $((_i * 1000)) "$_n"
		done
	done >"$_log"
}
if command -v haproxy >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 &&
	command -v python3 >/dev/null 2>&1; then
	_fp=$(_port)
	_bp=$(_port)
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=demo.example \
		-keyout "$DEMO_TMP/key.pem" -out "$DEMO_TMP/cert.pem" -days 1 2>/dev/null
	cat >"$DEMO_TMP/haproxy.cfg" <<EOC
global
    log stdout format raw local0
defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend fe_pass
    bind 127.0.0.1:$_fp
    tcp-request inspect-delay 5s
    tcp-request content set-var(sess.sni) req.ssl_sni
    tcp-request content accept if { req.ssl_hello_type 1 }
    log-format "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts %ac/%fc/%bc/%sc/%rc %sq/%bq SNI=%[var(sess.sni)]"
    default_backend be_pass
backend be_pass
    server s1 127.0.0.1:$_bp
EOC
	openssl s_server -accept "127.0.0.1:$_bp" -cert "$DEMO_TMP/cert.pem" \
		-key "$DEMO_TMP/key.pem" -www -quiet >/dev/null 2>&1 &
	_srv=$!
	haproxy -db -f "$DEMO_TMP/haproxy.cfg" >>"$_log" 2>"$DEMO_TMP/haproxy.err" &
	_hap=$!
	_i=0
	while ! { _listening "$_fp" && _listening "$_bp"; } && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	for _n in www.example.com api.example.com www.example.com Static.Example.COM; do
		printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -quiet \
			-connect "127.0.0.1:$_fp" -servername "$_n" >/dev/null 2>&1
	done
	# HAProxy logs when each connection ends: wait for the four lines.
	_i=0
	while [ "$(wc -l <"$_log")" -lt 4 ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill "$_hap" "$_srv" 2>/dev/null
	wait "$_hap" "$_srv" 2>/dev/null
	[ -s "$_log" ] || _demo_gen
else
	_demo_gen
fi
"$BIN/sni-scan" -s "$DEMO_STATE" -o "$_out" "$_log"
