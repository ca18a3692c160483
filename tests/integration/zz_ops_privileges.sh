#!/bin/bash
# SPDX-License-Identifier: MIT
# The privileges the systemd units grant are the ones the tools need, no
# more: each real tool runs under setpriv(1) with what its unit gives it
# (an unprivileged user, NoNewPrivileges, the unit's capability as both
# ambient and bounding set, sni-scan's group adm) and measures something on
# loopback; where a unit grants something, the same run without it fails.
# systemd's mount sandboxing (ProtectSystem=, PrivateTmp= ...) cannot be
# reproduced without systemd as init and is left to systemd-analyze.
. "$TOP/tests/integration/lib.sh"
need_root
need_cmd setpriv

W=$T/w
mkdir -p "$W"
chmod 0755 "$T" "$W"
: >"$W/empty.yaml"
NOBODY=65534
# as_unit GROUPS CAPS CMD...: the unit's user (nobody stands in for
# promsnap), NoNewPrivileges=yes, CapabilityBoundingSet= and
# AmbientCapabilities= both CAPS ("" for none).
as_unit() {
	_groups=$1 _caps=$2
	shift 2
	_c=-all
	[ -n "$_caps" ] && _c="-all,+$_caps"
	if [ -n "$_groups" ]; then
		_g="--groups=$_groups"
	else
		_g=--clear-groups
	fi
	${_exec:-} setpriv --reuid=$NOBODY --regid=$NOBODY "$_g" --no-new-privs \
		--inh-caps="$_c" --ambient-caps="$_c" --bounding-set="$_c" "$@"
}
# as_unit_bg ... &: the same, exec'd in the background subshell, so $! is
# the server itself and the cleanup's kill reaches it.
as_unit_bg() {
	_exec=exec as_unit "$@"
}
workdir() { # fresh textfile and state directories owned by the unit's user
	rm -rf "${W:?}/$1"
	mkdir -p "$W/$1/tf" "$W/$1/st"
	chown -R $NOBODY:$NOBODY "$W/$1"
}
val() { # FILE SERIES: the value of one exact series line
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}

# --- trace-once: CAP_NET_RAW, handed to mtr-packet ----------------------------
if [ -x "$BIN/trace-once" ] && command -v mtr >/dev/null; then
	for caps in net_raw ""; do
		workdir trace-$caps
		as_unit "" "$caps" "$BIN/trace-once" -c "$W/empty.yaml" \
			-d "$W/trace-$caps/tf" -s "$W/trace-$caps/st" \
			--count 1 --interval 1s --grace 0.2s 127.0.0.1 \
			>"$W/trace-$caps.log" 2>&1
		echo "$?" >"$W/trace-$caps.rc"
	done
	f=$W/trace-net_raw/tf/trace-once.prom
	assert_eq "trace-once with CAP_NET_RAW + NoNewPrivileges: exit 0" 0 "$(cat "$W/trace-net_raw.rc")"
	assert_eq "trace-once with CAP_NET_RAW: 127.0.0.1 reached" 1 \
		"$(val "$f" 'mtr_report_reached{target="127.0.0.1"}')"
	f=$W/trace-/tf/trace-once.prom
	assert_eq "trace-once without CAP_NET_RAW under NoNewPrivileges: mtr fails" 1 \
		"$(val "$f" 'mtr_runs_total{target="127.0.0.1",result="mtr_failed"}')"
else
	skip "trace-once privileges" "trace-once not built or mtr missing"
fi

# --- sni-scan: no capability, the log through group adm ----------------------------
if [ -x "$BIN/sni-scan" ]; then
	log=$W/haproxy.log
	printf '%s\n' \
		'127.0.0.1:40000 [21/Nov/2026:23:18:32.123] fe_pass be_a/s1 1/0/52 4312 517 -- 1/1/0/0/0 0/0 SNI=a.example.com' \
		'127.0.0.1:40001 [21/Nov/2026:23:18:32.123] fe_pass be_a/s1 1/0/52 1000 200 -- 1/1/0/0/0 0/0 SNI=a.example.com' >"$log"
	chown root:adm "$log"
	chmod 0640 "$log"
	for g in adm ""; do
		workdir sni-$g
		as_unit "$g" "" "$BIN/sni-scan" -c "$W/empty.yaml" \
			-d "$W/sni-$g/tf" -s "$W/sni-$g/st" "$log" >"$W/sni-$g.log" 2>&1
		echo "$?" >"$W/sni-$g.rc"
	done
	assert_eq "sni-scan as promsnap in group adm, no capability: exit 0" 0 "$(cat "$W/sni-adm.rc")"
	assert_eq "sni-scan in group adm: bytes of a.example.com counted" 5312 \
		"$(val "$W/sni-adm/tf/sni-scan.prom" 'haproxy_sni_total_bytes{sni="a.example.com"}')"
	# PrivateUsers=yes: a user namespace where group adm is unmapped; the
	# kernel still checks the real supplementary group.
	if command -v unshare >/dev/null; then
		workdir sni-userns
		as_unit adm "" unshare --user --map-user=$NOBODY --map-group=$NOBODY \
			"$BIN/sni-scan" -c "$W/empty.yaml" -d "$W/sni-userns/tf" \
			-s "$W/sni-userns/st" "$log" >"$W/sni-userns.log" 2>&1
		assert_eq "sni-scan under PrivateUsers (user namespace) still reads via group adm" 5312 \
			"$(val "$W/sni-userns/tf/sni-scan.prom" 'haproxy_sni_total_bytes{sni="a.example.com"}')"
	fi
	if [ "$(cat "$W/sni-.rc")" != 0 ] ||
		[ -z "$(val "$W/sni-/tf/sni-scan.prom" 'haproxy_sni_total_bytes{sni="a.example.com"}')" ]; then
		ok "sni-scan without group adm cannot read the 0640 log"
	else
		not_ok "sni-scan without group adm cannot read the 0640 log" "it counted bytes"
	fi
else
	skip "sni-scan privileges" "sni-scan not built"
fi

# --- tcpping-burst: no capability, client and echo server -------------------------
if [ -x "$BIN/tcpping-burst" ]; then
	port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	workdir echo
	as_unit_bg "" "" "$BIN/tcpping-burst" --serve "127.0.0.1:$port" -c "$W/empty.yaml" \
		-d "$W/echo/tf" -s "$W/echo/st" >"$W/echo.log" 2>&1 &
	srv=$!
	on_exit "kill $srv 2>/dev/null; wait $srv 2>/dev/null"
	if wait_until 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()"; then
		workdir tcpping
		as_unit "" "" "$BIN/tcpping-burst" -c "$W/empty.yaml" -d "$W/tcpping/tf" \
			-s "$W/tcpping/st" -t "lo=127.0.0.1:$port" --count 5 --interval 10ms \
			>"$W/tcpping.log" 2>&1
		assert_eq "tcpping-burst without any capability: exit 0" 0 "$?"
		assert_eq "tcpping-burst: 5 echoes from the unprivileged echo server" 5 \
			"$(val "$W/tcpping/tf/tcpping-burst.prom" "tcp_echo_received_total{target=\"lo\",address=\"127.0.0.1:$port\"}")"
	else
		not_ok "unprivileged echo server listens" "$(tail -2 "$W/echo.log")"
	fi
else
	skip "tcpping-burst privileges" "tcpping-burst not built"
fi

# --- tcpping-echo.socket + .service: systemd hands the listening socket to
# the unit's exact ExecStart (LISTEN_FDS), run as the unit's user -------------
if [ -x "$BIN/tcpping-burst" ] && command -v systemd-socket-activate >/dev/null; then
	args=$(sed -n 's|^ExecStart=@BINDIR@/tcpping-burst ||p' "$TOP/cron/tcpping-echo.service" |
		sed 's/ --syslog//')
	port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	workdir sockact
	# shellcheck disable=SC2086 # the unit's words
	as_unit_bg "" "" systemd-socket-activate -l "127.0.0.1:$port" \
		"$BIN/tcpping-burst" $args -c "$W/empty.yaml" -d "$W/sockact/tf" \
		-s "$W/sockact/st" >"$W/sockact.log" 2>&1 &
	sa=$!
	on_exit "kill $sa 2>/dev/null; wait $sa 2>/dev/null"
	if wait_until 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()"; then
		workdir sockcli
		as_unit "" "" "$BIN/tcpping-burst" -c "$W/empty.yaml" -d "$W/sockcli/tf" \
			-s "$W/sockcli/st" -t "sa=127.0.0.1:$port" --count 3 --interval 10ms \
			>"$W/sockcli.log" 2>&1
		assert_eq "tcpping-echo.service's command line on an inherited socket: 3 echoes" 3 \
			"$(val "$W/sockcli/tf/tcpping-burst.prom" "tcp_echo_received_total{target=\"sa\",address=\"127.0.0.1:$port\"}")"
		if wait_until 30 test -s "$W/sockact/tf/tcpping-echo.prom"; then
			ok "socket-activated echo server writes tcpping-echo.prom"
		else
			not_ok "socket-activated echo server writes tcpping-echo.prom" "$(tail -2 "$W/sockact.log")"
		fi
	else
		not_ok "socket activation" "nothing listens: $(tail -2 "$W/sockact.log")"
	fi
else
	skip "tcpping-echo socket activation" "tcpping-burst not built or no systemd-socket-activate"
fi

# --- qemu-netsnap: CAP_SYS_PTRACE ---------------------------------------------------
if [ -x "$BIN/qemu-netsnap" ]; then
	workdir qemu
	as_unit "" sys_ptrace "$BIN/qemu-netsnap" -c "$W/empty.yaml" -d "$W/qemu/tf" \
		-s "$W/qemu/st" >"$W/qemu.log" 2>&1
	rc=$?
	# With no QEMU running there is nothing to be refused: exit 0.  (Its
	# own tests run real VMs as another user with and without the cap.)
	assert_eq "qemu-netsnap with only CAP_SYS_PTRACE + NoNewPrivileges: exit 0" 0 "$rc"
	assert_match "qemu-netsnap wrote its file" '^qemu_netsnap_vms' "$(cat "$W/qemu/tf/qemu-netsnap.prom" 2>&1)"
else
	skip "qemu-netsnap privileges" "qemu-netsnap not built"
fi

# --- bpf-snap: attach with CAP_BPF CAP_PERFMON CAP_NET_ADMIN, snapshot with
# CAP_BPF, both as promsnap, pins in a directory promsnap owns on a bpffs
# whose root is 0711: what promsnap.tmpfiles makes of /sys/fs/bpf, on a
# private bpffs instance here -------------------------------------------------------
cg2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -x "$BIN/bpf-snap" ] && [ -n "$cg2" ] && mkdir -p "$W/bpffs" &&
	mount -t bpf bpf "$W/bpffs" -o mode=0711 2>/dev/null; then
	on_exit "umount '$W/bpffs'"
	install -d -o $NOBODY -g $NOBODY -m 0750 "$W/bpffs/promsnap"
	pins=$W/bpffs/promsnap/bpf-snap
	cg=$cg2/zz-ops-$$
	mkdir -p "$cg"
	on_exit "'$BIN/bpf-snap' detach --pin-dir '$pins' -c '$W/empty.yaml' -s '$W/bpf-cleanup' >/dev/null 2>&1; rmdir '$cg'"
	workdir bpf
	as_unit "" bpf,+perfmon,+net_admin "$BIN/bpf-snap" attach --pin-dir "$pins" \
		--cgroup "$cg" -c "$W/empty.yaml" -d "$W/bpf/tf" -s "$W/bpf/st" \
		>"$W/bpf-attach.log" 2>&1
	assert_eq "bpf-snap attach as promsnap with CAP_BPF CAP_PERFMON CAP_NET_ADMIN: exit 0" 0 "$?"
	assert_eq "bpf-snap's pins belong to promsnap, 0600" "$NOBODY 600" \
		"$(stat -c '%u %a' "$(ls -d "$pins"/* | head -1)")"
	as_unit "" bpf "$BIN/bpf-snap" --pin-dir "$pins" -c "$W/empty.yaml" \
		-d "$W/bpf/tf" -s "$W/bpf/st" >"$W/bpf-snap.log" 2>&1
	assert_eq "bpf-snap snapshot as promsnap with CAP_BPF only: exit 0" 0 "$?"
	assert_eq "bpf-snap snapshot: programs seen attached" 1 \
		"$(val "$W/bpf/tf/bpf-snap.prom" bpf_snap_attached)"
	# No negative case for CAP_BPF: since Linux 6.5 reading pinned maps
	# needs no capability once the pin's file mode allows it, while older
	# kernels with unprivileged_bpf_disabled (Debian 12's 6.1) refuse every
	# bpf(2) command without CAP_BPF; the unit keeps CAP_BPF for those.
	as_unit "" bpf "$BIN/bpf-snap" attach --pin-dir "$W/bpffs/promsnap/other" --cgroup "$cg" \
		-c "$W/empty.yaml" -s "$W/bpf/st" >"$W/bpf-nocap.log" 2>&1
	[ $? != 0 ] && ok "bpf-snap attach without CAP_PERFMON and CAP_NET_ADMIN fails" ||
		not_ok "bpf-snap attach without CAP_PERFMON and CAP_NET_ADMIN fails" "it attached"
	as_unit "" bpf,+perfmon,+net_admin "$BIN/bpf-snap" detach --pin-dir "$pins" \
		-c "$W/empty.yaml" -d "$W/bpf/tf" -s "$W/bpf/st" >"$W/bpf-detach.log" 2>&1
	assert_eq "bpf-snap detach as promsnap" 0 "$?"
	assert_eq "no pin left" "" "$(ls "$pins" 2>/dev/null)"
else
	skip "bpf-snap privileges" "bpf-snap not built, or no cgroup2, or cannot mount a bpffs"
fi
