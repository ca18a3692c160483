#!/bin/sh
# SPDX-License-Identifier: MIT
# qemu-netsnap on a fake /proc and /sys tree (tests/fixtures/qemu-netsnap/
# procfs/host): a libvirt-style VM with a multiqueue tap, a macvtap and a
# socket; a containerised QEMU in its own network namespace whose counters
# come from its net/dev; a vhost-user VM with no tap; a process that only
# names QEMU in argv[1]; a kernel thread; a pid that vanished.  Two runs
# (counters moved between them), compared whole with the expected files,
# then --reset, and the whole-run failures (exit codes and the file).
. "$TOP/tests/integration/lib.sh"

FX="$TOP/tests/fixtures/qemu-netsnap/procfs/host"
cp -a "$FX" "$T/host"
printf 'max_vms: 100\n' >"$T/qn.yaml"
run() {
	"$BIN/qemu-netsnap" -c "$T/qn.yaml" --proc-root "$T/host/proc" \
		--sys-root "$T/host/sys" -s "$T/state" "$@"
}
# Health series carry times and coverage depends on the wall clock: both
# are checked apart; everything else is compared whole.
measured() {
	grep -v -e 'promsnap_' -e '^qemu_network_window_coverage_seconds' "$1"
}
# check_promfile serves the file under its basename: one name for every
# file of this tool, or two files would repeat the health series.
check_qn() {
	mkdir -p "$T/chk"
	cp "$1" "$T/chk/qemu-netsnap.prom"
	check_promfile "$T/chk/qemu-netsnap.prom"
}
# set_dev IF RX_BYTES RX_PACKETS RX_DROP TX_BYTES TX_PACKETS TX_DROP:
# rewrite the device's line in our own net/dev (where the counters of
# devices in our namespace are read).
set_dev() {
	awk -v i="$1" -v rb="$2" -v rp="$3" -v rd="$4" -v tb="$5" -v tp="$6" \
		-v td="$7" '
		{ n = $0; sub(/^ */, "", n) }
		index(n, i ":") == 1 {
			printf "%s: %s %s 0 %s 0 0 0 0 %s %s 0 %s 0 0 0 0\n", i, rb, rp, rd, tb, tp, td
			next
		}
		{ print }' "$T/host/proc/self/net/dev" >"$T/dev.new"
	mv "$T/dev.new" "$T/host/proc/self/net/dev"
}

run -o "$T/run1.prom" 2>"$T/err1"
assert_eq "first run exits 0" 0 $?
assert_eq "first run: nothing on stderr" "" "$(cat "$T/err1")"
measured "$T/run1.prom" >"$T/run1.measured"
if cmp -s "$FX/../host.expected1" "$T/run1.measured"; then
	ok "first run: whole output as expected"
else
	not_ok "first run: whole output as expected" \
		"$(diff "$FX/../host.expected1" "$T/run1.measured" | head -20)"
fi
check_qn "$T/run1.prom"

# The same tree read by two threads (forced: the tree is small), from a
# state of its own: the same file.
printf 'max_vms: 100\nscan_threads: 2\n' >"$T/qn2.yaml"
"$BIN/qemu-netsnap" -c "$T/qn2.yaml" --proc-root "$T/host/proc" \
	--sys-root "$T/host/sys" -s "$T/state2" -o "$T/threads.prom" \
	2>"$T/err.threads"
assert_eq "two threads: exits 0, nothing on stderr" "0|" \
	"$?|$(cat "$T/err.threads")"
assert_eq "two threads: whole output as one thread's" \
	"$(cat "$T/run1.measured")" "$(measured "$T/threads.prom")"

# Where io_uring is refused (kernel.io_uring_disabled=2 or a seccomp
# profile: EPERM; a kernel without it: ENOSYS) the command lines are
# opened one by one: the same file, by one thread and by two.
for e in EPERM ENOSYS; do
	for y in qn qn2; do
		"$BIN/qemu-noring" $e "$BIN/qemu-netsnap" -c "$T/$y.yaml" \
			--proc-root "$T/host/proc" --sys-root "$T/host/sys" \
			-s "$T/state.noring.$e.$y" -o "$T/noring.prom" \
			2>"$T/err.noring"
		rc=$?
		if [ $rc = 69 ]; then
			skip "io_uring refused ($e, $y)" "$(cat "$T/err.noring")"
			continue
		fi
		assert_eq "io_uring refused ($e, $y): exits 0, nothing on stderr" \
			"0|" "$rc|$(cat "$T/err.noring")"
		assert_eq "io_uring refused ($e, $y): whole output as with it" \
			"$(cat "$T/run1.measured")" "$(measured "$T/noring.prom")"
	done
done

# Between runs: 10 frames of 1042 bytes to the guest on vnet0 (the tap's
# tx), 300 bytes from it on the macvtap (macvtap's tx, not swapped), and
# the containerised guest sends 2 x 1042 (its tap's rx in its net/dev).
set_dev vnet0 500 5 0 114620 110 2
set_dev macvtap0 70000 60 1 1700 14 0
sed -i 's/^  tap0:    3000       3/  tap0:    5084       5/' \
	"$T/host/proc/200/net/dev"
run -o "$T/run2.prom" 2>"$T/err2"
assert_eq "second run exits 0" 0 $?
measured "$T/run2.prom" >"$T/run2.measured"
if cmp -s "$FX/../host.expected2" "$T/run2.measured"; then
	ok "second run: whole output as expected"
else
	not_ok "second run: whole output as expected" \
		"$(diff "$FX/../host.expected2" "$T/run2.measured" | head -20)"
fi
cov=$(grep '^qemu_network_window_coverage_seconds{uuid="aaaaaaaa-0000-4000-8000-000000000001",window="30s"}' \
	"$T/run2.prom" | awk '{print $2}')
assert_match "coverage is the time between the runs" '^0\.[0-9]+$|^[1-9][0-9]*\.?[0-9]*$' "$cov"
check_qn "$T/run2.prom"

# A tap re-created under the same name (new ifindex, counters from 0):
# the total goes on from where it was.
echo 99 >"$T/host/sys/class/net/vnet0/ifindex"
set_dev vnet0 0 0 0 1042 1 0
run -o "$T/run3.prom"
assert_eq "tap re-created: guest rx total grows by the new tap's count" \
	'qemu_network_interface_bytes_total{uuid="aaaaaaaa-0000-4000-8000-000000000001",interface="vnet0",direction="rx"} 115662' \
	"$(grep 'interface_bytes_total.*vnet0.*"rx"' "$T/run3.prom")"

run --reset -o "$T/reset.prom"
assert_eq "--reset exits 0" 0 $?
assert_eq "--reset: every total restarts at 0" \
	"0 0 0 0" \
	"$(grep '^qemu_network_total_bytes' "$T/reset.prom" | awk '{printf "%s%s", s, $2; s=" "}')"
set_dev vnet0 0 0 0 2084 2 0
run -o "$T/after.prom"
assert_eq "after --reset: counts what came since" \
	'qemu_network_total_bytes{uuid="aaaaaaaa-0000-4000-8000-000000000001",direction="rx"} 1042' \
	"$(grep '^qemu_network_total_bytes.*aaaaaaaa.*"rx"' "$T/after.prom")"

# Whole-run failures still write the health series.
"$BIN/qemu-netsnap" -c "$T/qn.yaml" --proc-root "$T/nonexistent" \
	-s "$T/state" -o "$T/noproc.prom" 2>"$T/noproc.err"
assert_eq "unreadable proc root exits 1" 1 $?
assert_eq "unreadable proc root: said why" \
	"qemu-netsnap: $T/nonexistent: No such file or directory" \
	"$(cat "$T/noproc.err")"
assert_eq "unreadable proc root: run_success 0, no measurement" \
	'promsnap_run_success{tool="qemu-netsnap"} 0|0' \
	"$(grep '^promsnap_run_success' "$T/noproc.prom")|$(grep -c '^qemu_' "$T/noproc.prom")"

printf 'id_rules:\n  - option: pid\n' >"$T/bad.yaml"
"$BIN/qemu-netsnap" -c "$T/bad.yaml" --proc-root "$T/host/proc" \
	-s "$T/state" -o "$T/bad.prom" 2>"$T/bad.err"
assert_eq "bad config exits 78" 78 $?
assert_eq "bad config: file:line:col message" \
	"qemu-netsnap: $T/bad.yaml:2:13: id_rules[0]: option: expected uuid or name, got \"pid\"" \
	"$(cat "$T/bad.err")"
"$BIN/qemu-netsnap" --bogus 2>/dev/null
assert_eq "unknown option exits 64" 64 $?

# Some VMs readable, some not: as nobody, on a copy of the tree where
# VM 100's fd and fdinfo directories are root's and mode 0500 (as a
# process of another user shows them).  The run succeeds, says why once,
# counts the refused process and reports that VM without traffic.
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	NB=$(mktemp -d /tmp/qn-fake-nobody.XXXXXX)
	on_exit "rm -rf $NB"
	cp -a "$FX" "$NB/host"
	cp "$T/qn.yaml" "$NB/qn.yaml"
	chown -R nobody "$NB"
	chmod 755 "$NB"
	chown root "$NB/host/proc/100/fd" "$NB/host/proc/100/fdinfo"
	chmod 0500 "$NB/host/proc/100/fd" "$NB/host/proc/100/fdinfo"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$BIN/qemu-netsnap" -c "$NB/qn.yaml" --proc-root "$NB/host/proc" \
		--sys-root "$NB/host/sys" -s "$NB/state" -o "$NB/out.prom" \
		2>"$T/partial.err"
	assert_eq "one VM refused, others read: exit 0" 0 $?
	assert_eq "one VM refused: said once, with the process and the count" \
		"qemu-netsnap: $NB/host/proc/100/fdinfo: permission denied: reading another user's QEMU process needs CAP_SYS_PTRACE; 1 of 3 QEMU processes unreadable" \
		"$(cat "$T/partial.err")"
	assert_eq "one VM refused: counted with the vanished one" \
		"qemu_netsnap_unreadable_processes 2" \
		"$(grep '^qemu_netsnap_unreadable_processes' "$NB/out.prom")"
	assert_eq "refused VM: info only, no traffic series" \
		'qemu_vm_info{uuid="aaaaaaaa-0000-4000-8000-000000000001",name="web01",pid="100"} 1' \
		"$(grep '^qemu_[a-z_0-9]*{uuid="aaaaaaaa' "$NB/out.prom")"
	assert_eq "readable VM beside it: its total" \
		'qemu_network_total_bytes{uuid="bbbbbbbb-0000-4000-8000-000000000002",direction="rx"} 20840' \
		"$(grep '^qemu_network_total_bytes{uuid="bbbbbbbb.*"rx"' "$NB/out.prom")"
else
	skip "partly readable as nobody" "needs root and setpriv"
fi
