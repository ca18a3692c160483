# SPDX-License-Identifier: MIT
# make demo: one real QEMU guest (no disk; its firmware's network boot
# talks into its tap), scanned twice three seconds apart so the totals and
# the windows show its traffic, then stopped.  The tap has no address and
# no IPv6, so the guest's DHCP requests end in the host's stack.  Without
# root (taps need it) or QEMU, one scan that finds whatever QEMU runs.
# Sourced with BIN, DEMO_TEXTFILE, DEMO_STATE and DEMO_TMP set; ~5 s.
_qn_run() {
	"$BIN/qemu-netsnap" -c cmd/qemu-netsnap/qemu-netsnap.yaml \
		-d "$DEMO_TEXTFILE" -s "$DEMO_STATE"
}
_qn_tap=qndemo$$
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ] &&
	command -v qemu-system-x86_64 >/dev/null 2>&1; then
	timeout 60 qemu-system-x86_64 -display none -machine accel=tcg \
		-m 64 -nodefaults -boot reboot-timeout=0 \
		-uuid 0d3e0000-0000-4000-8000-00000000de30 -name guest=demo-vm \
		-netdev "tap,id=n0,ifname=$_qn_tap,script=no,downscript=no" \
		-device virtio-net-pci,netdev=n0,mac=52:54:00:de:30:01 \
		-pidfile "$DEMO_TMP/qemu.pid" >"$DEMO_TMP/qemu.log" 2>&1 &
	for _qn_i in $(seq 1 100); do
		[ -e "/sys/class/net/$_qn_tap" ] && [ -s "$DEMO_TMP/qemu.pid" ] && break
		sleep 0.05
	done
	if [ -e "/sys/class/net/$_qn_tap" ]; then
		sysctl -qw "net.ipv6.conf.$_qn_tap.disable_ipv6=1"
		ip link set "$_qn_tap" up
		_qn_run
		sleep 3
		_qn_run
	else
		echo "qemu-netsnap demo: QEMU did not start: $(cat "$DEMO_TMP/qemu.log")" >&2
		_qn_run
	fi
	[ -s "$DEMO_TMP/qemu.pid" ] && kill "$(cat "$DEMO_TMP/qemu.pid")" 2>/dev/null
	wait
else
	_qn_run
fi
