# SPDX-License-Identifier: MIT
# Helpers shared by tests/integration/tcpping-burst_*.sh (sourced after
# tests/integration/lib.sh).  Everything listens on 127.0.0.1 only.

TP="$BIN/tcpping-burst"

# tp_serve NAME [ARGS...]: start the echo server on an ephemeral loopback
# port; sets TP_PORT and TP_SRV_PID, stats in $T/NAME.prom.
tp_serve() {
	_n=$1
	shift
	"$TP" --serve 127.0.0.1:0 -v -o "$T/$_n.prom" --stats-interval 0.1 \
		"$@" 2>"$T/$_n.log" &
	TP_SRV_PID=$!
	on_exit "kill $TP_SRV_PID 2>/dev/null; wait $TP_SRV_PID 2>/dev/null"
	if ! wait_until 20 grep -q 'listening on' "$T/$_n.log"; then
		not_ok "$_n: server starts" "$(cat "$T/$_n.log")"
		exit 1
	fi
	TP_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/$_n.log")
}

# tp_metric FILE NAME{labels} -> the sample's value (empty if absent).
tp_metric() {
	awk -v k="$2" 'index($0, k " ") == 1 { print $2 }' "$1"
}

# tp_free_port: a loopback port nothing listens on right now (bound and
# released by the kernel's ephemeral choice).
tp_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# tp_check_promfile FILE: check_promfile, then take the copy of a server
# stats file (which lib.sh serves under its own name, having no run
# health series) out of the shared textfile directory again: two of them
# would both carry promsnap_build_info{tool="tcpping-echo"}, and node_exporter
# would report "collected before" for the tests that follow.  A client
# file is served as tcpping-burst.prom and replaced by the next one.
tp_check_promfile() {
	check_promfile "$1"
	if ! grep -q '^promsnap_run_success{' "$1"; then
		_b=$(basename "$1")
		case "$_b" in *.prom) ;; *) _b="$_b.prom" ;; esac
		[ -n "${TEXTFILE_DIR:-}" ] && rm -f "$TEXTFILE_DIR/$_b"
	fi
	return 0
}
