# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# make demo: sni-scan once.  With haproxy and openssl installed, a real
# HAProxy on 127.0.0.1 (the TLS passthrough frontend of sni-scan(8),
# logging raw to a file) in front of an `openssl s_server`, and a few TLS
# connections with three server names; otherwise a small generated log.
# Everything started here is stopped here, by PID.  Run from the top of
# the tree (tests/demo.sh does).
_log="$DEMO_TMP/haproxy.log"
_out="$DEMO_TEXTFILE/sni-scan.prom"
_demo_gen() {
	for _i in 1 2 3 4 5 6; do
		for _n in www.example.com api.example.com -; do
			printf '127.0.0.1:%s [22/Nov/2026:00:00:0%s.000] fe_pass be_pass/s1 0/0/12 %s 517 -- 1/1/0/0/0 0/0 SNI=%s\n' \
				$((40000 + _i)) "$_i" $((_i * 1000)) "$_n"
		done
	done >"$_log"
}
# _demo_until CMD...: poll CMD for up to 10 s.
_demo_until() {
	_i=0
	while ! "$@" && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
_demo_up() { hl_listening "$_fp" && hl_listening "$_bp"; }
_demo_logged() { [ "$(wc -l <"$_log")" -ge 4 ]; }
if command -v haproxy >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 &&
	command -v python3 >/dev/null 2>&1; then
	. ./cmd/sni-scan/haproxy-lab.sh
	_fp=$(hl_port tcp)
	_bp=$(hl_port tcp)
	hl_cert "$DEMO_TMP"
	{
		hl_cfg_head
		echo "frontend fe_pass"
		echo "    bind 127.0.0.1:$_fp"
		hl_cfg_sni
		echo "    default_backend be_pass"
		echo "backend be_pass"
		echo "    server s1 127.0.0.1:$_bp"
	} >"$DEMO_TMP/haproxy.cfg"
	openssl s_server -accept "127.0.0.1:$_bp" -cert "$DEMO_TMP/cert.pem" \
		-key "$DEMO_TMP/key.pem" -www -quiet >/dev/null 2>&1 &
	_srv=$!
	haproxy -db -f "$DEMO_TMP/haproxy.cfg" >>"$_log" 2>"$DEMO_TMP/haproxy.err" &
	_hap=$!
	_demo_until _demo_up
	for _n in www.example.com api.example.com www.example.com Static.Example.COM; do
		printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -quiet \
			-connect "127.0.0.1:$_fp" -servername "$_n" >/dev/null 2>&1
	done
	# HAProxy logs when each connection ends: wait for the four lines.
	_demo_until _demo_logged
	kill "$_hap" "$_srv" 2>/dev/null
	wait "$_hap" "$_srv" 2>/dev/null
	[ -s "$_log" ] || _demo_gen
else
	_demo_gen
fi
"$BIN/sni-scan" -s "$DEMO_STATE" -o "$_out" "$_log"
