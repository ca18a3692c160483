#!/bin/sh
# SPDX-License-Identifier: MIT
# qemu-netsnap against real QEMU guests with tap netdevs.
#
# Three running (not -S) diskless guests whose firmware network boot
# (SeaBIOS + iPXE, rebooting at once when it gives up) reads their tap:
#   A  -uuid/-name, a multiqueue tap (two tun fds, one device)
#   B  run/vm/<UUID>/ in a -chardev path (which wins over its -uuid)
#   C  started inside a network namespace of its own (ip netns exec), so
#      its counters come from its /proc/<pid>/net/dev
# Frames are pushed into each tap from the host side with a packet socket
# (1042-byte frames, ethertype 0x88b5, no IP address at all: nothing can
# leave this machine), IPv6 off on the taps so the host adds nothing.  The
# tap's tx is what the guest received: qemu_network_total_bytes{rx} must
# be exactly the bytes pushed, per VM, and no VM may show another's.  Then
# A is restarted (new tap, counters from 0) and its total must go on, not
# back.  Last, the same scan as an unprivileged user, without and with
# CAP_SYS_PTRACE.
. "$TOP/tests/integration/lib.sh"
need_root
need_cmd qemu-system-x86_64
need_cmd ip
need_cmd setpriv
[ -c /dev/net/tun ] || { skip all "no /dev/net/tun"; exit 0; }

S=$$
# Ids unique to this run: two runs of this test at once (two checkouts'
# make check) would otherwise merge each other's VMs by uuid.
U=$(printf %08x "$S")
TA=qna$S TB=qnb$S TC=qnc$S TP=qnp$S NS=qn-ns-$S
UD=$U-0000-4000-8000-00000000000d
UE=$U-0000-4000-8000-00000000000e
ME=52:54:00:51:00:0e
UF=$U-0000-4000-8000-00000000000f
MF=52:54:00:51:00:0f VH=qnv$S VP=qnw$S MV=qnm$S NSF=qn-mv-$S
UA=$U-0000-4000-8000-00000000000a
UB_ARG=$U-0000-4000-8000-0000000000b0 # -uuid of B: must lose
UB=$U-0000-4000-8000-00000000000b	    # from run/vm/<UUID>/
UC=$U-0000-4000-8000-00000000000c
MA=52:54:00:51:00:0a MB=52:54:00:51:00:0b MC=52:54:00:51:00:0c
FRAME=1042

stop_vm() { # NAME
	_p=$(cat "$T/$1.pid" 2>/dev/null)
	if [ -n "$_p" ]; then
		kill "$_p" 2>/dev/null
		wait_until 20 sh -c "! kill -0 $_p 2>/dev/null"
		rm -f "$T/$1.pid"
	fi
}
on_exit "stop_vm a; stop_vm b; stop_vm c; stop_vm d; stop_vm e; ip link del $TP 2>/dev/null; stop_vm f; ip link del $MV 2>/dev/null; ip link del $VH 2>/dev/null; ip netns del $NSF 2>/dev/null; ip netns del $NS 2>/dev/null; rm -rf /tmp/qn-nobody-$S"

# start_vm NAME UUID TAP MAC NETDEV_EXTRA DEVICE_EXTRA [args...]; with
# NETNS set, QEMU starts inside it.  timeout bounds a guest even if this
# script is killed before its cleanup runs.
start_vm() {
	_n=$1 _u=$2 _tap=$3 _mac=$4 _nx=$5 _dx=$6
	shift 6
	# A persistent tap keeps its counters: readiness below is the
	# guest sending more than the tap had already seen.
	_rx0=$(${NETNS:+ip netns exec "$NETNS"} cat \
		"/sys/class/net/$_tap/statistics/rx_packets" 2>/dev/null || echo 0)
	${NETNS:+ip netns exec "$NETNS"} timeout 300 qemu-system-x86_64 \
		-display none -machine accel=tcg -m 64 -nodefaults \
		-boot reboot-timeout=0 -uuid "$_u" -name "guest=vm-$_n" \
		-netdev "tap,id=n0,ifname=$_tap,script=no,downscript=no$_nx" \
		-device "virtio-net-pci,netdev=n0,mac=$_mac$_dx" \
		-pidfile "$T/$_n.pid" "$@" >"$T/$_n.log" 2>&1 &
	if ! wait_until 30 test -s "$T/$_n.pid" ||
		! wait_until 30 ${NETNS:+ip netns exec "$NETNS"} \
			test -e "/sys/class/net/$_tap"; then
		not_ok "start QEMU $_n" "$(cat "$T/$_n.log")"
		exit 1
	fi
	${NETNS:+ip netns exec "$NETNS"} sysctl -qw \
		"net.ipv6.conf.$_tap.disable_ipv6=1"
	${NETNS:+ip netns exec "$NETNS"} ip link set "$_tap" up
	# A tap that existed before QEMU (persistent) is there at once; it
	# has carrier only once QEMU has attached its queues.
	if ! wait_until 30 ${NETNS:+ip netns exec "$NETNS"} \
		grep -qx 1 "/sys/class/net/$_tap/carrier"; then
		not_ok "QEMU $_n attached to $_tap" "no carrier"
		exit 1
	fi
	# Frames pushed before the firmware has set up the NIC can land in a
	# second queue of a multiqueue tap that QEMU then detaches, and are
	# never read: wait for the guest's first frame (its DHCP request).
	if ! wait_until 60 sh -c "[ \$(${NETNS:+ip netns exec $NETNS} cat /sys/class/net/$_tap/statistics/rx_packets) -gt $_rx0 ]"; then
		not_ok "guest $_n up on $_tap" "sent nothing in 60 s"
		exit 1
	fi
}

stat_of() { # TAP FILE
	${NETNS:+ip netns exec "$NETNS"} cat \
		"/sys/class/net/$1/statistics/$2"
}

# push TAP MAC COUNT: send COUNT frames and wait until the guest has read
# them all (the kernel counts a tap's tx when QEMU reads the frame).
push() {
	_want=$(($(stat_of "$1" tx_packets) + $3))
	${NETNS:+ip netns exec "$NETNS"} "$BIN/qemu-sendframes" "$1" "$3" \
		$FRAME "$2" || { not_ok "push $3 frames into $1" "send failed"; exit 1; }
	if ! wait_until 120 sh -c "[ \$(${NETNS:+ip netns exec $NETNS} cat /sys/class/net/$1/statistics/tx_packets) -ge $_want ]"; then
		not_ok "guest behind $1 reads its frames" \
			"tx_packets $(stat_of "$1" tx_packets), dropped $(stat_of "$1" tx_dropped), want $_want"
		exit 1
	fi
}

val() { # FILE SERIES
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

scan() { # OUT [extra options]
	_o=$1
	shift
	"$BIN/qemu-netsnap" -c "$T/qn.yaml" -s "$T/state" -o "$_o" "$@"
}
printf 'max_vms: 64\n' >"$T/qn.yaml"
mkdir -p "$T/run/vm/$UB"

start_vm a "$UA" "$TA" "$MA" ",queues=2" ",mq=on,vectors=6"
start_vm b "$UB_ARG" "$TB" "$MB" "" "" \
	-chardev "socket,id=ch0,path=$T/run/vm/$UB/ch0.sock,server=on,wait=off"
ip netns add "$NS"
NETNS=$NS start_vm c "$UC" "$TC" "$MC" "" ""
ok "three QEMU guests running with their taps"

push "$TA" "$MA" 40
push "$TB" "$MB" 25
NETNS=$NS push "$TC" "$MC" 10
txa0=$(stat_of "$TA" rx_bytes)
scan "$T/run1.prom" 2>"$T/run1.err"
assert_eq "first scan exits 0" 0 $?
txa1=$(stat_of "$TA" rx_bytes)
R1=$T/run1.prom
assert_eq "A: guest received exactly the 40 frames pushed" $((40 * FRAME)) \
	"$(val "$R1" "qemu_network_total_bytes{uuid=\"$UA\",direction=\"rx\"}")"
assert_eq "B (id from run/vm/<UUID>/): exactly its 25 frames" $((25 * FRAME)) \
	"$(val "$R1" "qemu_network_total_bytes{uuid=\"$UB\",direction=\"rx\"}")"
assert_eq "C (own netns, from its net/dev): exactly its 10 frames" \
	$((10 * FRAME)) \
	"$(val "$R1" "qemu_network_total_bytes{uuid=\"$UC\",direction=\"rx\"}")"
assert_eq "B's -uuid lost to run/vm/<UUID>/" "" \
	"$(grep -F "$UB_ARG" "$R1")"
tx=$(val "$R1" "qemu_network_total_bytes{uuid=\"$UA\",direction=\"tx\"}")
if [ -n "$tx" ] && [ "$tx" -ge "$txa0" ] && [ "$tx" -le "$txa1" ]; then
	ok "A: tx is what the guest sent (the tap's rx, $tx bytes)"
else
	not_ok "A: tx is what the guest sent" "got '$tx', tap rx was $txa0..$txa1"
fi
assert_eq "A: multiqueue tap (two fds) is one interface" 1 \
	"$(val "$R1" "qemu_network_interfaces{uuid=\"$UA\"}")"
assert_eq "A: that interface is its tap" $((40 * FRAME)) \
	"$(val "$R1" "qemu_network_interface_bytes_total{uuid=\"$UA\",interface=\"$TA\",direction=\"rx\"}")"
assert_match "A: info with name and pid" \
	"^qemu_vm_info\{uuid=\"$UA\",name=\"vm-a\",pid=\"$(cat "$T/a.pid")\"\} 1$" \
	"$(grep "^qemu_vm_info{uuid=\"$UA\"" "$R1")"
# (qemu_netsnap_unreadable_processes may count a process of this very
# test that exited mid-scan; what must not happen as root is a refusal.)
assert_eq "as root: nothing refused, nothing on stderr" "" "$(cat "$T/run1.err")"
vms=$(val "$R1" qemu_netsnap_vms)
if [ "$vms" -ge 3 ]; then ok "qemu_netsnap_vms counts the guests ($vms)"; else
	not_ok "qemu_netsnap_vms counts the guests" "got '$vms'"; fi
mkdir -p "$T/chk"
cp "$R1" "$T/chk/qemu-netsnap.prom"
check_promfile "$T/chk/qemu-netsnap.prom"

# Second round: different counts per VM, so a VM showing another's bytes
# cannot add up by chance.
push "$TA" "$MA" 7
push "$TB" "$MB" 31
NETNS=$NS push "$TC" "$MC" 3
scan "$T/run2.prom"
R2=$T/run2.prom
assert_eq "second scan: A totals 47 frames" $((47 * FRAME)) \
	"$(val "$R2" "qemu_network_total_bytes{uuid=\"$UA\",direction=\"rx\"}")"
assert_eq "second scan: B totals 56 frames" $((56 * FRAME)) \
	"$(val "$R2" "qemu_network_total_bytes{uuid=\"$UB\",direction=\"rx\"}")"
assert_eq "second scan: C totals 13 frames" $((13 * FRAME)) \
	"$(val "$R2" "qemu_network_total_bytes{uuid=\"$UC\",direction=\"rx\"}")"
assert_eq "second scan: A's 30 s window holds its 7 frames" $((7 * FRAME)) \
	"$(val "$R2" "qemu_network_30s_bytes{uuid=\"$UA\",direction=\"rx\"}")"
assert_eq "second scan: B's 1 h window holds its 31 frames" $((31 * FRAME)) \
	"$(val "$R2" "qemu_network_1h_bytes{uuid=\"$UB\",direction=\"rx\"}")"
cp "$R2" "$T/chk/qemu-netsnap.prom"
check_promfile "$T/chk/qemu-netsnap.prom"
cp "$R2" "$TEXTFILE_DIR/qemu-netsnap.prom"
if r=$(prom_wait "qemu_network_total_bytes{uuid=\"$UB\",direction=\"rx\"} == $((56 * FRAME))" 20); then
	ok "Prometheus scraped B's total through node_exporter"
else
	not_ok "Prometheus scraped B's total through node_exporter" "no result"
fi

# Restart A: QEMU exits (its tap goes), a new QEMU makes a new tap under
# the same name with counters from 0.
old_ifindex=$(cat "/sys/class/net/$TA/ifindex")
stop_vm a
start_vm a "$UA" "$TA" "$MA" ",queues=2" ",mq=on,vectors=6"
new_ifindex=$(cat "/sys/class/net/$TA/ifindex")
if [ "$new_ifindex" != "$old_ifindex" ]; then ok "A's tap was re-created (ifindex $old_ifindex -> $new_ifindex)"; else
	not_ok "A's tap was re-created" "same ifindex $new_ifindex"; fi
push "$TA" "$MA" 5
assert_eq "new tap counts only the new frames" $((5 * FRAME)) \
	"$(stat_of "$TA" tx_bytes)"
scan "$T/run3.prom"
assert_eq "after the restart A's total went on, not back" $((52 * FRAME)) \
	"$(val "$T/run3.prom" "qemu_network_total_bytes{uuid=\"$UA\",direction=\"rx\"}")"

# Unprivileged: the guests are root's, so their descriptors are closed
# to another user unless it has CAP_SYS_PTRACE.
NB=/tmp/qn-nobody-$S
mkdir -p "$NB/out"
cp "$T/qn.yaml" "$NB/qn.yaml"
chown -R nobody "$NB"
asnobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@" \
		"$BIN/qemu-netsnap" -c "$NB/qn.yaml" -s "$NB/state" \
		-o "$NB/out/qemu-netsnap.prom"
}
asnobody 2>"$T/nocap.err"
assert_eq "as nobody without CAP_SYS_PTRACE: exit 77" 77 $?
assert_match "without CAP_SYS_PTRACE: says so, once" \
	"^qemu-netsnap: /proc/[0-9]+/(fd|fdinfo|ns/net): permission denied: reading another user's QEMU process needs CAP_SYS_PTRACE; [0-9]+ of [0-9]+ QEMU processes unreadable$" \
	"$(cat "$T/nocap.err")"
assert_eq "without CAP_SYS_PTRACE: one line on stderr" 1 \
	"$(wc -l <"$T/nocap.err")"
assert_eq "without CAP_SYS_PTRACE: run_success 0" 0 \
	"$(val "$NB/out/qemu-netsnap.prom" 'promsnap_run_success{tool="qemu-netsnap"}')"
asnobody --inh-caps=+sys_ptrace --ambient-caps=+sys_ptrace 2>"$T/cap.err"
assert_eq "as nobody with CAP_SYS_PTRACE: exit 0" 0 $?
assert_eq "with CAP_SYS_PTRACE: B's total as root saw it" $((56 * FRAME)) \
	"$(val "$NB/out/qemu-netsnap.prom" "qemu_network_total_bytes{uuid=\"$UB\",direction=\"rx\"}")"
assert_eq "with CAP_SYS_PTRACE: C (own netns) readable too" $((13 * FRAME)) \
	"$(val "$NB/out/qemu-netsnap.prom" "qemu_network_total_bytes{uuid=\"$UC\",direction=\"rx\"}")"
assert_eq "with CAP_SYS_PTRACE: A's multiqueue tap is one interface" 1 \
	"$(val "$NB/out/qemu-netsnap.prom" "qemu_network_interfaces{uuid=\"$UA\"}")"

# A guest with no kernel network device at all (as with vhost-user): it
# is reported, with 0 interfaces and no invented traffic.
timeout 300 qemu-system-x86_64 -display none -machine accel=tcg -m 64 \
	-nodefaults -uuid "$UD" -name guest=vm-d -pidfile "$T/d.pid" \
	>"$T/d.log" 2>&1 &
wait_until 30 test -s "$T/d.pid" || not_ok "start QEMU d" "$(cat "$T/d.log")"
scan "$T/run4.prom"
assert_eq "no tap: qemu_network_interfaces 0" 0 \
	"$(val "$T/run4.prom" "qemu_network_interfaces{uuid=\"$UD\"}")"
assert_eq "no tap: no traffic series" 0 \
	"$(grep -c "^qemu_network_[a-z0-9_]*bytes{uuid=\"$UD\"" "$T/run4.prom")"
assert_match "no tap: still in qemu_vm_info" "name=\"vm-d\"" \
	"$(grep "^qemu_vm_info{uuid=\"$UD\"" "$T/run4.prom")"
stop_vm d

# A persistent tap (made with ip tuntap, as some setups do) outlives its
# QEMU: after a restart the same device, same ifindex, counts on.  The
# new process must not count the old frames a second time.
ip tuntap add dev "$TP" mode tap multi_queue vnet_hdr
start_vm e "$UE" "$TP" "$ME" ",queues=2" ",mq=on,vectors=6"
push "$TP" "$ME" 20
scan "$T/run5.prom"
assert_eq "persistent tap: 20 frames" $((20 * FRAME)) \
	"$(val "$T/run5.prom" "qemu_network_total_bytes{uuid=\"$UE\",direction=\"rx\"}")"
idx=$(cat "/sys/class/net/$TP/ifindex")
stop_vm e
start_vm e "$UE" "$TP" "$ME" ",queues=2" ",mq=on,vectors=6"
assert_eq "persistent tap kept its ifindex across the restart" "$idx" \
	"$(cat "/sys/class/net/$TP/ifindex")"
push "$TP" "$ME" 9
scan "$T/run6.prom"
assert_eq "persistent tap, QEMU restarted: 29 frames, none twice" \
	$((29 * FRAME)) \
	"$(val "$T/run6.prom" "qemu_network_total_bytes{uuid=\"$UE\",direction=\"rx\"}")"

# macvtap: QEMU holds /dev/tap<ifindex>, the device's name comes from the
# ifindex, and its counters are already the guest's view (not swapped).
# Its lower device is a veth whose peer is in a namespace of this test,
# where the frames come from and where the guest's own frames end.
ip netns add "$NSF"
ip link add "$VH" type veth peer name "$VP" netns "$NSF"
sysctl -qw "net.ipv6.conf.$VH.disable_ipv6=1"
ip netns exec "$NSF" sysctl -qw "net.ipv6.conf.$VP.disable_ipv6=1"
ip link set "$VH" up
ip netns exec "$NSF" ip link set "$VP" up
ip link add link "$VH" name "$MV" type macvtap mode bridge
sysctl -qw "net.ipv6.conf.$MV.disable_ipv6=1"
ip link set "$MV" address "$MF" up
mvidx=$(cat "/sys/class/net/$MV/ifindex")
wait_until 10 test -c "/dev/tap$mvidx" || not_ok "macvtap device node" "no /dev/tap$mvidx"
timeout 300 qemu-system-x86_64 -display none -machine accel=tcg -m 64 \
	-nodefaults -boot reboot-timeout=0 -uuid "$UF" -name guest=vm-f \
	-netdev tap,id=n0,fd=3 -device "virtio-net-pci,netdev=n0,mac=$MF" \
	-pidfile "$T/f.pid" 3<>"/dev/tap$mvidx" >"$T/f.log" 2>&1 &
wait_until 30 test -s "$T/f.pid" || not_ok "start QEMU f" "$(cat "$T/f.log")"
ip netns exec "$NSF" "$BIN/qemu-sendframes" "$VP" 16 $FRAME "$MF"
wait_until 30 sh -c "[ \$(cat /sys/class/net/$MV/statistics/rx_packets) -ge 16 ]" ||
	not_ok "macvtap received the frames" "rx_packets $(cat "/sys/class/net/$MV/statistics/rx_packets")"
mtx0=$(cat "/sys/class/net/$MV/statistics/tx_bytes")
scan "$T/run7.prom"
mtx1=$(cat "/sys/class/net/$MV/statistics/tx_bytes")
assert_eq "macvtap: found through /dev/tap$mvidx, named by its ifindex" \
	$((16 * FRAME)) \
	"$(val "$T/run7.prom" "qemu_network_interface_bytes_total{uuid=\"$UF\",interface=\"$MV\",direction=\"rx\"}")"
tx=$(val "$T/run7.prom" "qemu_network_total_bytes{uuid=\"$UF\",direction=\"tx\"}")
if [ -n "$tx" ] && [ "$tx" -ge "$mtx0" ] && [ "$tx" -le "$mtx1" ]; then
	ok "macvtap: tx is the device's own tx, not swapped ($tx bytes)"
else
	not_ok "macvtap: tx is the device's own tx" "got '$tx', device tx $mtx0..$mtx1"
fi
stop_vm f
