# SPDX-License-Identifier: MIT
# bpf-snap demo, sourced by `make demo` with BIN DEMO_TEXTFILE DEMO_STATE
# DEMO_TMP set: attach (every process counted), make a few loopback
# connects and UDP sends, snapshot into $DEMO_TEXTFILE/bpf-snap.prom,
# detach.  Needs root to attach; without it the file still shows the
# health metrics (run_success 0) and why.
bs_pin=/sys/fs/bpf/promsnap-demo-$$/bpf-snap
bs_st="$DEMO_STATE"
bs_was_mounted=0
[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && bs_was_mounted=1
if [ "$(id -u)" = 0 ] && "$BIN/bpf-snap" -q -s "$bs_st" --pin-dir "$bs_pin" --all attach; then
	# Three connects to a local listener, one refused, two UDP sends.
	python3 - <<'PY' || :
import socket
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(8)
port = srv.getsockname()[1]
for _ in range(3):
    c = socket.create_connection(("127.0.0.1", port))
    srv.accept()[0].close()
    c.close()
free = socket.socket()
free.bind(("127.0.0.1", 0))
closed = free.getsockname()[1]
free.close()
try:
    socket.create_connection(("127.0.0.1", closed), timeout=1)
except OSError:
    pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(2):
    u.sendto(b"demo", ("127.0.0.1", port))
PY
	"$BIN/bpf-snap" -s "$bs_st" --pin-dir "$bs_pin" -d "$DEMO_TEXTFILE"
	"$BIN/bpf-snap" -q -s "$bs_st" --pin-dir "$bs_pin" detach
	rmdir "$(dirname "$bs_pin")" 2>/dev/null
else
	echo "bpf-snap: demo needs root to attach; writing the health metrics only" >&2
	"$BIN/bpf-snap" -s "$bs_st" --pin-dir "$bs_pin" -d "$DEMO_TEXTFILE"
fi
[ "$bs_was_mounted" = 1 ] || umount /sys/fs/bpf 2>/dev/null
unset bs_pin bs_st bs_was_mounted
:
