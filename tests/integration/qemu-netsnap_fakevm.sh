#!/bin/sh
# SPDX-License-Identifier: MIT
# qemu-netsnap on the real /proc and real taps, held by test processes
# that only look like QEMU (tests/tools/qemu_fakevm.c: opens its taps,
# then execs itself under a QEMU argv).  Unlike a real guest, such a
# "guest" sends an exact number of frames of its own, so both directions
# are checked exactly: what the host pushes (the tap's tx) is the VM's rx,
# what it writes into its tap (the tap's rx) is the VM's tx.  Also: argv0
# spellings (qemu-kvm, kvm, a full path), a process whose name (comm) is
# not QEMU's at all, a multiqueue tap with four descriptors, a VM with two
# taps summed, guest-cid= ids, and a process that only mentions QEMU in a
# later argument.
. "$TOP/tests/integration/lib.sh"
need_root
[ -c /dev/net/tun ] || { skip all "no /dev/net/tun"; exit 0; }

S=$$
U=$(printf %08x "$S")
pids=""
on_exit 'for p in $pids; do kill "$p" 2>/dev/null; done'

# fake NAME SENDSPEC TAPSPEC... -- ARGV: start one and wait for "ready".
fake() {
	_n=$1
	shift
	"$BIN/qemu-fakevm" "$@" >"$T/$_n.out" 2>&1 &
	pids="$pids $!"
	if ! wait_until 20 grep -q ready "$T/$_n.out"; then
		not_ok "fake VM $_n ready" "$(cat "$T/$_n.out")"
		exit 1
	fi
}
push() { # TAP COUNT SIZE
	"$BIN/qemu-sendframes" "$1" "$2" "$3" 02:00:00:00:00:99 ||
		not_ok "push into $1" "send failed"
	_w=$(($2 * $3))
	wait_until 20 sh -c "[ \$(cat /sys/class/net/$1/statistics/tx_bytes) -ge $_w ]" ||
		not_ok "fake guest behind $1 read its frames" "tx_bytes $(cat "/sys/class/net/$1/statistics/tx_bytes")"
}
val() { # FILE SERIES
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

# 1: qemu-kvm by full path, a multiqueue tap (4 fds), sends 3 x 200 per fd.
fake one --tap "qf1$S:4" --send 3:200 -- /usr/libexec/qemu-kvm \
	-uuid "$U-0000-4000-8000-000000000001" -name "guest=one,process=notqemu"
# 2: "kvm", two taps, each sends 5 x 100; id from guest-cid=.
fake two --tap "qf2$S" --tap "qf3$S" --send 5:100 -- kvm \
	-device "vhost-vsock-pci,id=vsock0,guest-cid=$((S % 60000 + 3))"
# 3: not QEMU: argv0 is a shell, QEMU only named later.
fake three --tap "qf4$S" --send 1:100 -- /bin/sh qemu-system-x86_64 \
	-uuid "$U-0000-4000-8000-000000000003"
CID=CID-$((S % 60000 + 3))
U1=$U-0000-4000-8000-000000000001

push "qf1$S" 11 1042
push "qf2$S" 4 500
push "qf3$S" 6 300
"$BIN/qemu-netsnap" -q -s "$T/state" -o "$T/out.prom"
assert_eq "exit 0" 0 $?
O=$T/out.prom
assert_eq "qemu-kvm by path: rx is what the host pushed" $((11 * 1042)) \
	"$(val "$O" "qemu_network_total_bytes{uuid=\"$U1\",direction=\"rx\"}")"
assert_eq "qemu-kvm: tx is what the guest wrote, on each of 4 queues" \
	$((4 * 3 * 200)) \
	"$(val "$O" "qemu_network_total_bytes{uuid=\"$U1\",direction=\"tx\"}")"
assert_eq "multiqueue tap with 4 fds: one interface" 1 \
	"$(val "$O" "qemu_network_interfaces{uuid=\"$U1\"}")"
assert_eq "found by argv0 although its process name is $(cat "/proc/$(echo $pids | awk '{print $1}')/comm" 2>/dev/null)" \
	"qemu_vm_info{uuid=\"$U1\",name=\"one\",pid=\"$(echo $pids | awk '{print $1}')\"} 1" \
	"$(grep "^qemu_vm_info{uuid=\"$U1\"" "$O")"
assert_eq "kvm with two taps: both interfaces" 2 \
	"$(val "$O" "qemu_network_interfaces{uuid=\"$CID\"}")"
assert_eq "kvm with two taps: rx summed over them" $((4 * 500 + 6 * 300)) \
	"$(val "$O" "qemu_network_total_bytes{uuid=\"$CID\",direction=\"rx\"}")"
assert_eq "kvm with two taps: tx summed over them" $((2 * 5 * 100)) \
	"$(val "$O" "qemu_network_total_bytes{uuid=\"$CID\",direction=\"tx\"}")"
assert_eq "per interface: the second tap alone" $((6 * 300)) \
	"$(val "$O" "qemu_network_interface_bytes_total{uuid=\"$CID\",interface=\"qf3$S\",direction=\"rx\"}")"
assert_eq "a shell that names QEMU in argv[1] is not a VM" "" \
	"$(grep "$U-0000-4000-8000-000000000003" "$O")"
mkdir -p "$T/chk"
cp "$O" "$T/chk/qemu-netsnap.prom"
check_promfile "$T/chk/qemu-netsnap.prom"
