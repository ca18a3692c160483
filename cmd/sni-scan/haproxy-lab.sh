# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# HAProxy in front of `openssl s_server` on 127.0.0.1, set up the same way
# for sni-scan's `make demo` snippet (demo.sh) and its integration test
# (tests/integration/sni-scan_haproxy.sh).  POSIX sh; sourced, defines:
#
#   HL_LF_PASS, HL_LF_TERM  the log-format lines sni-scan(8) recommends for
#                           TLS passthrough and for TLS ended by HAProxy
#   hl_port tcp|udp         a free loopback port
#   hl_cert DIR             a self-signed certificate: DIR/cert.pem,
#                           DIR/key.pem and both in DIR/both.pem
#   hl_cfg_head             haproxy.cfg's global and defaults sections:
#                           log to stdout, raw; TCP mode
#   hl_cfg_sni              the lines of a passthrough frontend that put
#                           the SNI into the log (see sni-scan(8))
#   hl_listening PORT       a TCP port is listening (no connection made:
#                           a probe would be a logged connection)
#
# Processes are started by the caller, which knows how long they live.

# shellcheck disable=SC2034 # both are for the scripts that source this
HL_LF_PASS='%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts %ac/%fc/%bc/%sc/%rc %sq/%bq SNI=%[var(sess.sni)]'
HL_LF_TERM='%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts %ac/%fc/%bc/%sc/%rc %sq/%bq SNI=%[ssl_fc_sni]'

hl_port() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}

hl_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=sni-scan.test \
		-keyout "$1/key.pem" -out "$1/cert.pem" -days 2 2>/dev/null &&
		cat "$1/cert.pem" "$1/key.pem" >"$1/both.pem"
}

hl_cfg_head() {
	cat <<EOC
global
    log stdout format raw local0

defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 10s
    timeout server 10s
EOC
}

hl_cfg_sni() {
	cat <<EOC
    tcp-request inspect-delay 5s
    tcp-request content set-var(sess.sni) req.ssl_sni
    tcp-request content accept if { req.ssl_hello_type 1 }
    log-format "$HL_LF_PASS"
EOC
}

hl_listening() { ss -Hltn "sport = :$1" | grep -q LISTEN; }

