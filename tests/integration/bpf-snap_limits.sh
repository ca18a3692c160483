#!/bin/sh
# SPDX-License-Identifier: MIT
# bpf-snap at its edges, on this kernel: a full map drops new keys and
# says how many; missing privilege is exit 77 with a message; a partial
# set of pins is reported and repaired by attach; with no bpffs mounted,
# attach mounts one (in a private mount namespace, so the host's
# /sys/fs/bpf is not touched), and says what to run when it may not.
# Everything attached is detached again, also on failure.
. "$TOP/tests/integration/lib.sh"
BS_TAG=lim
. "$TOP/tests/integration/bpf-snap_common.inc"
need_cmd setpriv
need_cmd unshare
need_cmd python3

# --- a full map ------------------------------------------------------------
cat >"$T/small.yaml" <<EOC
targets:
  - {name: lim, match_comm: $CLI}
maps:
  edges: 16
EOC
"$BS" -q -c "$T/small.yaml" -s "$ST" --pin-dir "$PIN" attach
assert_eq "attach with a 16-entry edges map" 0 $?
# 20 destinations (ports) where only 16 keys fit: 4 dropped, exactly.
"$TR" -n "$CLI" udpn 127.0.0.1 40000 20 >/dev/null || not_ok "udpn" "exit $?"
"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/full.prom"
assert_eq "snapshot of a full map" 0 $?
assert_eq "entries at capacity" 16 "$(sed -n 's/^bpf_snap_map_entries{map="edges"} //p' "$T/full.prom")"
assert_eq "capacity reported" 16 "$(sed -n 's/^bpf_snap_map_capacity{map="edges"} //p' "$T/full.prom")"
assert_eq "dropped keys counted" 4 "$(sed -n 's/^bpf_snap_dropped_keys_total{map="edges"} //p' "$T/full.prom")"
assert_eq "16 rows of sends, one each" 16 "$(grep -c "^netagent_edge_total{process=\"lim\",proto=\"udp\",dport=\"400[0-9][0-9]\",dst_ip=\"127.0.0.1\"} 1\$" "$T/full.prom")"
check_prom "$T/full.prom"
assert_match "status shows the drops" "edges +16/16 entries, 4 dropped" "$("$BS" -s "$ST" --pin-dir "$PIN" status)"

# One socket sending by turns to two kept keys and a dropped one: the
# counter slot a socket remembers for its last destination must count
# only sends to that destination, and a send to a dropped key no row.
python3 - "$CLI" 40000 40001 40000 40019 40001 40000 <<'PY' || not_ok "turns client" "exit $?"
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)  # PR_SET_NAME
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in sys.argv[2:]:
    s.sendto(b"x", ("127.0.0.1", int(p)))
PY
"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/turns.prom"
edge() { sed -n "s/^netagent_edge_total{process=\"lim\",proto=\"udp\",dport=\"$1\",dst_ip=\"127.0.0.1\"} //p" "$T/turns.prom"; }
assert_eq "turns: first destination, 1 + 3 sends" 4 "$(edge 40000)"
assert_eq "turns: second destination, 1 + 2 sends" 3 "$(edge 40001)"
assert_eq "turns: the other 14 rows untouched" 14 "$(grep -c '^netagent_edge_total{process="lim",proto="udp",dport="400[0-9][0-9]",dst_ip="127.0.0.1"} 1$' "$T/turns.prom")"
assert_eq "turns: the send to a dropped key is one more drop" 5 "$(sed -n 's/^bpf_snap_dropped_keys_total{map="edges"} //p' "$T/turns.prom")"
check_prom "$T/turns.prom"

# More keys than a page of slots or a batch of a map walk: 3000 fit, 100 do not.
"$BS" -q -s "$ST" --pin-dir "$PIN" detach
printf 'targets:\n  - {name: lim, match_comm: %s}\nmaps:\n  edges: 3000\n' "$CLI" >"$T/mid.yaml"
"$BS" -q -c "$T/mid.yaml" -s "$ST" --pin-dir "$PIN" attach
"$TR" -n "$CLI" udpn 127.0.0.1 20000 3100 >/dev/null || not_ok "udpn 3100" "exit $?"
"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/mid.prom"
assert_eq "3000 keys read" 3000 "$(grep -c '^netagent_edge_total{process="lim",proto="udp"' "$T/mid.prom")"
assert_eq "100 dropped" 100 "$(sed -n 's/^bpf_snap_dropped_keys_total{map="edges"} //p' "$T/mid.prom")"
"$BS" -q -s "$ST" --pin-dir "$PIN" detach
"$BS" -q -c "$T/small.yaml" -s "$ST" --pin-dir "$PIN" attach

# --- privilege -------------------------------------------------------------
# $T is private to root; nobody needs a directory it can reach.
NB=$(mktemp -d /tmp/bpf-snap-nobody.XXXXXX)
on_exit "rm -rf $NB"
chmod 0777 "$NB"
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$BS" -s "$NB/st" --pin-dir "$PIN" -o "$NB/x.prom" 2>&1)
assert_eq "snapshot without privilege exits 77" 77 $?
assert_match "and says why" "permission denied" "$err"
assert_match "health file still written" '^promsnap_run_success\{tool="bpf-snap"\} 0$' "$(cat "$NB/x.prom")"
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$BS" -s "$NB/st" --pin-dir "$PIN-other" --all attach 2>&1)
assert_eq "attach without privilege exits 77" 77 $?
assert_match "attach says why" "permission denied|Operation not permitted" "$err"

# --- the capabilities of the shipped systemd units ----------------------------
# cron/bpf-snap-attach.service: CAP_BPF CAP_PERFMON CAP_NET_ADMIN;
# cron/bpf-snap.service: CAP_BPF only.
UNIT_ATTACH="-all,+bpf,+perfmon,+net_admin"
"$BS" -q -s "$ST" --pin-dir "$PIN" detach
setpriv --bounding-set=$UNIT_ATTACH --inh-caps=$UNIT_ATTACH \
	"$BS" -q -s "$ST" --pin-dir "$PIN" -c "$T/small.yaml" attach
assert_eq "attach with the attach unit's capabilities" 0 $?
setpriv --bounding-set=-all,+bpf --inh-caps=-all,+bpf \
	"$BS" -q -s "$ST" --pin-dir "$PIN" -o "$T/caps.prom"
assert_eq "snapshot with CAP_BPF alone" 0 $?
check_prom "$T/caps.prom"
setpriv --bounding-set=$UNIT_ATTACH --inh-caps=$UNIT_ATTACH \
	"$BS" -q -s "$ST" --pin-dir "$PIN" detach 2>/dev/null
assert_eq "detach with the attach unit's capabilities" 0 $?
assert_eq "pins gone" 1 "$([ -e "$PIN" ] && echo 0 || echo 1)"
"$BS" -q -c "$T/small.yaml" -s "$ST" --pin-dir "$PIN" attach

# --- partial pins ------------------------------------------------------------
rm -f "$PIN/link_bs_recv_len"
"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/part.prom" 2>"$T/part.err"
assert_eq "snapshot of partial pins exits 69" 69 $?
assert_match "and says what to do" "only partly attached: run bpf-snap detach" "$(cat "$T/part.err")"
"$BS" -s "$ST" --pin-dir "$PIN" status >"$T/part.out"
assert_eq "status of partial pins exits 69" 69 $?
assert_match "status says partly" "partly attached" "$(cat "$T/part.out")"
out=$("$BS" -c "$T/small.yaml" -s "$ST" --pin-dir "$PIN" attach 2>&1)
assert_eq "attach repairs partial pins" 0 $?
assert_match "with a warning" "removing the pins of a partial attachment" "$out"
n=$("$BS" -s "$ST" --pin-dir "$PIN" status | grep -c "prog id")
assert_eq "five links after the repair" 5 "$n"
ids=$("$BS" -s "$ST" --pin-dir "$PIN" status | sed -n 's/.*prog id \([0-9]*\) (bs_.*/\1/p' | tr '\n' ' ')
# Without CAP_SYS_ADMIN (the shipped unit's capabilities), unpinning works
# but looking programs up by id does not: detach says it did not verify.
err=$(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
	"$BS" -s "$ST" --pin-dir "$PIN" detach 2>&1)
assert_eq "detach without CAP_SYS_ADMIN" 0 $?
assert_match "says it could not verify" "not verified that nothing is left: that needs CAP_SYS_ADMIN" "$err"
gone=1
for id in $ids; do
	wait_until 5 sh -c "! bpftool prog show id $id" || gone=0
done
assert_eq "its programs are gone all the same" 1 "$gone"

# --- an attach that died half-way ---------------------------------------------
# Its temporary pin directory (named after a pid that no longer runs)
# still holds what it pinned; the next attach removes it.
STALE="$PIN-new-999999999"
mkdir -p "$STALE" &&
	bpftool map create "$STALE/edges" type array key 4 value 4 entries 1 name bs_stale ||
	not_ok "stale pins" "bpftool map create failed"
out=$("$BS" -s "$ST" --pin-dir "$PIN" --all attach 2>&1)
assert_eq "attach over a dead attach's pins" 0 $?
assert_match "says it cleaned up" "removed 1 pins of an attach that died half-way" "$out"
assert_eq "the stale directory is gone" 1 "$([ -e "$STALE" ] && echo 0 || echo 1)"
"$BS" -q -s "$ST" --pin-dir "$PIN" detach
assert_eq "and detach after it" 0 $?

# --- attach killed at random points -------------------------------------------
# Whatever point SIGKILL hits, the next attach ends with one complete set
# and detach then leaves none of our programs loaded.
base=$(bpftool prog list 2>/dev/null | grep -c "name bs_")
i=0
while [ $i -lt 8 ]; do
	"$BS" -q -s "$ST" --pin-dir "$PIN" --all attach >/dev/null 2>&1 &
	kpid=$!
	sleep "0.0$((i * 12 % 100))"
	kill -9 $kpid 2>/dev/null
	wait $kpid 2>/dev/null
	i=$((i + 1))
done
"$BS" -q -s "$ST" --pin-dir "$PIN" --all attach
assert_eq "attach after killed attaches" 0 $?
assert_eq "one complete set attached" 5 "$("$BS" -s "$ST" --pin-dir "$PIN" status | grep -c 'prog id')"
"$BS" -q -s "$ST" --pin-dir "$PIN" detach
assert_eq "detach after killed attaches" 0 $?
wait_until 5 sh -c "[ \$(bpftool prog list | grep -c 'name bs_') -le $base ]"
assert_eq "no orphaned programs left" "$base" "$(bpftool prog list | grep -c 'name bs_')"

# --- the lock -----------------------------------------------------------------
# attach, detach and snapshots take the state directory's lock: a run
# that finds it held exits 75 at once and changes nothing.
mkdir -p "$ST"
# One process holds it (exec: killing $! releases it).
sh -c 'exec 9>>"$1" && flock 9 && exec sleep 30' sh "$ST/lock" &
lockpid=$!
on_exit "kill $lockpid 2>/dev/null"
wait_until 5 sh -c "! flock -n '$ST/lock' true" || not_ok "lock holder" "did not take the lock"
"$BS" -q -s "$ST" --pin-dir "$PIN" --all attach 2>/dev/null
assert_eq "attach while the lock is held exits 75" 75 $?
"$BS" -q -s "$ST" --pin-dir "$PIN" -o "$T/locked.prom" 2>/dev/null
assert_eq "snapshot while the lock is held exits 75" 75 $?
assert_eq "and attached nothing" 1 "$([ -e "$PIN" ] && echo 0 || echo 1)"
kill $lockpid 2>/dev/null
wait $lockpid 2>/dev/null

# --- --cgroup: UDP counted only inside a sub-cgroup ----------------------------
CG2=$(sed -n 's/^[0-9]* [0-9]* [0-9:]* \/ \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo | head -1)
SUB="$CG2/bpf-snap-test-$$"
if [ -n "$CG2" ] && mkdir "$SUB" 2>/dev/null; then
	on_exit "rmdir $SUB 2>/dev/null"
	"$BS" -q -s "$ST" --pin-dir "$PIN" --all --cgroup "$SUB" attach
	assert_eq "attach with --cgroup" 0 $?
	# The same sends from inside the sub-cgroup and from outside it.
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -n "$3" udp 127.0.0.1 40100 3' \
		sh "$SUB" "$TR" "$CLI" >/dev/null || not_ok "send in sub-cgroup" "exit $?"
	"$TR" -n "$CLI" udp 127.0.0.1 40101 5 >/dev/null
	"$BS" -s "$ST" --pin-dir "$PIN" -o "$T/cg.prom"
	assert_eq "sends inside the cgroup counted" 3 \
		"$(sed -n "s/^netagent_connect_total{process=\"$CLI\",proto=\"udp\",dport=\"40100\"} //p" "$T/cg.prom")"
	assert_eq "sends outside not counted" "" \
		"$(sed -n "s/^netagent_connect_total{process=\"$CLI\",proto=\"udp\",dport=\"40101\"} //p" "$T/cg.prom")"
	"$BS" -q -s "$ST" --pin-dir "$PIN" detach
	rmdir "$SUB"
	assert_eq "sub-cgroup removed after detach" 1 "$([ -d "$SUB" ] && echo 0 || echo 1)"
else
	skip "--cgroup" "cannot create a cgroup under ${CG2:-no cgroup2 mount}"
fi

# --- the shipped example configuration -----------------------------------------
err=$("$BS" -c "$TOP/cmd/bpf-snap/bpf-snap.yaml" -s "$ST" --pin-dir "$PIN" attach 2>&1 >/dev/null)
assert_eq "the example configuration attaches" 0 $?
assert_eq "without a remark" "" "$err"
"$BS" -q -s "$ST" --pin-dir "$PIN" detach

# --- configuration errors ------------------------------------------------------
printf 'targets:\n  - name: x\n    match_comm: [a, b]\n' >"$T/bad.yaml"
err=$("$BS" -c "$T/bad.yaml" -s "$ST" --pin-dir "$PIN" attach 2>&1)
assert_eq "bad config exits 78" 78 $?
assert_match "with file:line:col" "bad.yaml:3:17: targets\\[0\\]" "$err"
assert_eq "nothing attached after a config error" 1 "$([ -e "$PIN" ] && echo 0 || echo 1)"
err=$("$BS" -s "$ST" frobnicate 2>&1)
assert_eq "unknown command exits 64" 64 $?

# --- no bpffs mounted --------------------------------------------------------
# A private mount namespace: unmounting /sys/fs/bpf there leaves the host's
# alone, and the pins made there vanish with it (the test detaches first).
unshare -m --propagation private sh -c '
	umount /sys/fs/bpf 2>/dev/null
	[ "$(stat -f -c %T /sys/fs/bpf)" != bpf_fs ] || { echo "still mounted"; exit 1; }
	err=$(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		"$1" -s "$2" --all attach 2>&1)
	echo "nomount_rc=$?"
	echo "nomount_err=$err"
	out=$("$1" -s "$2" --all attach 2>&1)
	echo "mount_rc=$?"
	echo "mount_out=$out"
	echo "fstype=$(stat -f -c %T /sys/fs/bpf)"
	# A snapshot needs only the pins: hide the kernel BTF (which attach
	# needs for CO-RE) and read them all the same.
	: >"$3/nobtf"
	mount --bind "$3/nobtf" /sys/kernel/btf/vmlinux
	"$1" -s "$2" -o "$3/nobtf.prom"
	echo "nobtf_snapshot_rc=$?"
	"$1" -q -s "$2" --pin-dir /sys/fs/bpf/other --all attach 2>/dev/null
	echo "nobtf_attach_rc=$?"
	umount /sys/kernel/btf/vmlinux
	"$1" -q -s "$2" detach
	echo "detach_rc=$?"
' sh "$BS" "$ST" "$T" >"$T/ns.out" 2>&1
r=$(cat "$T/ns.out")
assert_match "without CAP_SYS_ADMIN attach cannot mount: exit 77" "^nomount_rc=77$" "$r"
assert_match "and says what to run" "mount -t bpf bpf /sys/fs/bpf" "$r"
assert_match "as root attach mounts bpffs" "^mount_rc=0$" "$r"
assert_match "and says so" "mounted a bpf filesystem on /sys/fs/bpf" "$r"
assert_match "bpffs is mounted then" "^fstype=bpf_fs$" "$r"
assert_match "snapshot without kernel BTF reads the pins" "^nobtf_snapshot_rc=0$" "$r"
assert_match "attach without kernel BTF fails" "^nobtf_attach_rc=[1-9]" "$r"
assert_match "and its file says success" "^promsnap_run_success\{tool=\"bpf-snap\"\} 1$" "$(cat "$T/nobtf.prom" 2>/dev/null)"
assert_match "detach in the namespace" "^detach_rc=0$" "$r"
