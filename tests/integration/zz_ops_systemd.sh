#!/bin/bash
# SPDX-License-Identifier: MIT
# The systemd units and the cron file, as installed: every unit passes
# `systemd-analyze verify` and scores an exposure of 2.5 or lower in
# `systemd-analyze security --offline=true`; each tool gets exactly the
# capability its issue allows; timers, alert rules and promsnap-status agree
# on every tool's interval; the cron file has one flock-guarded line per
# tool naming an installed binary.
. "$TOP/tests/integration/lib.sh"
need_cmd systemd-analyze
need_cmd python3

ROOT=$T/root
PREFIX=/usr/local
UNITDIR=$ROOT$PREFIX/lib/systemd/system
TOOLS="trace-once tcpping-burst qemu-netsnap sni-scan bpf-snap"

if ! sh "$TOP/cron/install.sh" "$ROOT" "$PREFIX" install 2>"$T/install.err"; then
	not_ok "install.sh into a DESTDIR" "$(head -3 "$T/install.err")"
	exit 1
fi
ok "install.sh into a DESTDIR"

# ExecStart binaries: the real build where it exists, else a stub (verify
# only needs an executable at the installed path).
stubs=""
for t in $TOOLS; do
	mkdir -p "$ROOT$PREFIX/bin"
	if [ -x "$TOP/build/$t" ]; then
		install -m 0755 "$TOP/build/$t" "$ROOT$PREFIX/bin/$t"
	else
		printf '#!/bin/sh\nexit 0\n' >"$ROOT$PREFIX/bin/$t"
		chmod 0755 "$ROOT$PREFIX/bin/$t"
		stubs="$stubs $t"
	fi
done
[ -z "$stubs" ] || echo "# stub binaries (tool not built yet):$stubs"
# verify resolves dependencies (timers.target, network-online.target ...)
# inside --root: give it the host's targets and slices.
mkdir -p "$ROOT/usr/lib/systemd/system"
cp -a /lib/systemd/system/*.target /lib/systemd/system/*.slice \
	"$ROOT/usr/lib/systemd/system/" 2>/dev/null

units=$(cd "$UNITDIR" && ls *.service *.timer *.socket)
n=0
for u in $units; do
	n=$((n + 1))
	out=$(cd "$ROOT" && systemd-analyze verify --man=no --root="$ROOT" \
		"${UNITDIR#"$ROOT"/}/$u" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then
		ok "systemd-analyze verify $u"
	else
		not_ok "systemd-analyze verify $u" "rc $rc: $(echo "$out" | head -3)"
	fi
done
[ "$n" -ge 13 ] && ok "13 units installed (5 tools x service+timer, bpf-snap-attach, tcpping-echo socket+service)" ||
	not_ok "units installed" "only $n: $units"

# A unit with a missing binary must fail verify: proves the check bites.
sed 's|^ExecStart=.*|ExecStart=/nonexistent/promsnap-missing|' \
	"$UNITDIR/sni-scan.service" >"$UNITDIR/zz-broken.service"
if (cd "$ROOT" && systemd-analyze verify --man=no --root="$ROOT" \
	"${UNITDIR#"$ROOT"/}/zz-broken.service") >/dev/null 2>&1; then
	not_ok "verify rejects a unit whose binary is missing" "it passed"
else
	ok "verify rejects a unit whose binary is missing"
fi
rm -f "$UNITDIR/zz-broken.service"

for u in $(cd "$UNITDIR" && ls *.service); do
	line=$(cd "$ROOT" && systemd-analyze security --offline=true \
		--root="$ROOT" "${UNITDIR#"$ROOT"/}/$u" 2>&1 |
		grep 'Overall exposure level')
	level=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9.]*\) .*/\1/p')
	if [ -z "$level" ]; then
		not_ok "security $u" "no exposure level: $line"
	elif awk -v l="$level" 'BEGIN { exit !(l <= 2.5) }'; then
		ok "security $u: exposure $level <= 2.5"
	else
		not_ok "security $u" "exposure $level > 2.5"
	fi
done

# Capabilities and users, as issue 7 prescribes them.
unit_val() { # unit key -> last value of key
	sed -n "s/^$2=//p" "$UNITDIR/$1" | tail -1
}
check_caps() { # unit expected-ambient
	got=$(unit_val "$1" AmbientCapabilities)
	bound=$(unit_val "$1" CapabilityBoundingSet)
	assert_eq "$1 ambient capabilities" "$2" "$got"
	assert_eq "$1 capability bounding set equals its ambient set" "$2" "$bound"
}
check_caps trace-once.service CAP_NET_RAW
check_caps tcpping-burst.service ""
check_caps qemu-netsnap.service CAP_SYS_PTRACE
check_caps sni-scan.service ""
check_caps bpf-snap-attach.service "CAP_BPF CAP_PERFMON CAP_NET_ADMIN"
check_caps bpf-snap.service CAP_BPF
check_caps tcpping-echo.service ""
for u in trace-once tcpping-burst qemu-netsnap sni-scan tcpping-echo bpf-snap bpf-snap-attach; do
	assert_eq "$u.service runs as promsnap" promsnap "$(unit_val "$u.service" User)"
done
assert_eq "sni-scan reads the log through group adm" adm \
	"$(unit_val sni-scan.service SupplementaryGroups)"
for u in $(cd "$UNITDIR" && ls *.service); do
	for kv in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
		ProtectHome=yes; do
		grep -qx "$kv" "$UNITDIR/$u" || not_ok "$u has $kv" "missing"
	done
	grep -q '^SystemCallFilter=@system-service' "$UNITDIR/$u" ||
		not_ok "$u SystemCallFilter=@system-service" "missing"
	grep -q '^RestrictAddressFamilies=' "$UNITDIR/$u" ||
		not_ok "$u RestrictAddressFamilies=" "missing"
	grep -q "^ExecStart=$PREFIX/bin/" "$UNITDIR/$u" ||
		not_ok "$u ExecStart names the installed binary" "$(grep ^ExecStart "$UNITDIR/$u")"
done
ok "every service: NoNewPrivileges, ProtectSystem=strict, PrivateTmp, ProtectHome, SystemCallFilter, RestrictAddressFamilies, installed ExecStart"
for t in $TOOLS; do
	grep -qx "ReadWritePaths=/var/lib/prometheus/node-exporter" "$UNITDIR/$t.service" ||
		not_ok "$t.service may write the textfile directory" "no ReadWritePaths"
	grep -qx "StateDirectory=promsnap/$t" "$UNITDIR/$t.service" ||
		not_ok "$t.service state directory" "no StateDirectory=promsnap/$t"
done
ok "every tool unit writes only its state directory and the textfile directory"

: >"$T/empty.yaml"
# One interval per tool, the same in the timer, the rules and
# promsnap-status.
python3 - "$UNITDIR" "$TOP/node-exporter-integration/prometheus/rules/promsnap.rules.yml" >"$T/intervals" <<'EOF'
import re, sys, yaml
unitdir, rules = sys.argv[1], sys.argv[2]
mult = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
rec = {}
for g in yaml.safe_load(open(rules))["groups"]:
    for r in g["rules"]:
        if r.get("record") == "promsnap:expected_interval_seconds":
            rec[r["labels"]["tool"]] = float(re.match(r"vector\((\d+)\)", r["expr"]).group(1))
for tool in ["trace-once", "tcpping-burst", "qemu-netsnap", "sni-scan", "bpf-snap"]:
    txt = open("%s/%s.timer" % (unitdir, tool)).read()
    m = re.search(r"^OnUnitActiveSec=(\d+)(s|sec|min|m|h)$", txt, re.M)
    timer = float(m.group(1)) * mult[m.group(2)] if m else None
    fmt = lambda v: "%g" % v if v is not None else None
    print(tool, fmt(timer), fmt(rec.get(tool)))
EOF
while read -r tool timer rule; do
	assert_eq "$tool interval: timer = rule promsnap:expected_interval_seconds" "$timer" "$rule"
	if [ -x "$BIN/promsnap-status" ]; then
		st=$("$BIN/promsnap-status" -c "$T/empty.yaml" --print-intervals 2>&1 | awk -v t="$tool" '$1 == t { print $2 }')
		assert_eq "$tool interval: timer = promsnap-status built-in" "$timer" "$st"
		st=$("$BIN/promsnap-status" -c "$TOP/cmd/promsnap-status/promsnap-status.yaml" \
			--print-intervals 2>&1 | awk -v t="$tool" '$1 == t { print $2 }')
		assert_eq "$tool interval: timer = example promsnap-status.yaml" "$timer" "$st"
	fi
done <"$T/intervals"
[ -s "$T/intervals" ] || not_ok "intervals" "could not read timers and rules"

# Documentation= names man pages that exist in man/ (skip those a tool's
# engineer has not written yet).
for m in $(sed -n 's/^Documentation=//p' "$UNITDIR"/*.service | tr ' ' '\n' | sort -u); do
	page=${m#man:}
	name=${page%%(*}
	sec=${page#*(}
	sec=${sec%)}
	if [ -f "$TOP/man/$name.$sec" ]; then
		ok "Documentation=$m exists"
	else
		skip "Documentation=$m exists" "man/$name.$sec not written yet"
	fi
done

# The cron file: one flock-guarded line per tool, every command an
# installed binary, distinct lock files, valid time fields.
CRON=$ROOT$PREFIX/share/promsnap/cron.d/promsnap
python3 - "$CRON" "$PREFIX/bin" "$TOOLS" >"$T/cron.out" 2>&1 <<'EOF'
import re, sys
path, bindir, tools = sys.argv[1], sys.argv[2], sys.argv[3].split()
seen, locks, bad = {}, set(), []
field = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\d+(-\d+)?)(/\d+)?)*$")
for n, line in enumerate(open(path), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
        continue
    parts = line.split()
    if parts[0].startswith("@"):
        when, user, cmd = parts[:1], parts[1], parts[2:]
        if when[0] not in ("@reboot", "@hourly", "@daily"):
            bad.append("%d: unknown %s" % (n, when[0]))
    else:
        when, user, cmd = parts[:5], parts[5], parts[6:]
        if not all(field.match(f) for f in when):
            bad.append("%d: bad time fields %s" % (n, when))
    if user not in ("promsnap", "root"):
        bad.append("%d: user %s" % (n, user))
    if cmd[:2] == ["flock", "-n"]:
        if cmd[2] in locks:
            bad.append("%d: lock %s reused" % (n, cmd[2]))
        locks.add(cmd[2])
        cmd = cmd[3:]
    elif when[0] != "@reboot":
        bad.append("%d: periodic line without flock -n" % n)
    if when[0] == "@reboot" and "setpriv" in cmd:
        cmd = cmd[cmd.index("setpriv"):]
    if cmd and cmd[0] == "setpriv":
        # root only to drop at once to promsnap with one capability set
        if user != "root" or "--reuid=promsnap" not in cmd or "--" not in cmd:
            bad.append("%d: setpriv must run as root and drop to promsnap" % n)
        cmd = cmd[cmd.index("--") + 1:]
    elif user == "root":
        bad.append("%d: runs a tool as root" % n)
    exe = cmd[0]
    if not exe.startswith(bindir + "/"):
        bad.append("%d: %s is not in %s" % (n, exe, bindir))
    tool = exe.rsplit("/", 1)[1]
    if when[0] != "@reboot":
        seen[tool] = seen.get(tool, 0) + 1
for t in tools:
    if seen.get(t) != 1:
        bad.append("%s has %d periodic lines" % (t, seen.get(t, 0)))
print("\n".join(bad) if bad else "OK")
EOF
assert_eq "cron file: one flock -n line per tool, installed binaries, distinct locks" OK "$(cat "$T/cron.out")"
if grep -q '@BINDIR@\|@SYSCONFDIR@' "$CRON" "$UNITDIR"/*; then
	not_ok "placeholders substituted" "$(grep -l '@BINDIR@\|@SYSCONFDIR@' "$CRON" "$UNITDIR"/*)"
else
	ok "placeholders substituted in units and cron file"
fi
# The cron file's qemu-netsnap line for real: root, flock, then setpriv
# down to the unprivileged user with CAP_SYS_PTRACE only (nobody stands in
# for promsnap, a test directory for the lock and the files).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x "$BIN/qemu-netsnap" ]; then
	line=$(grep 'bin/qemu-netsnap ' "$CRON" | cut -f3-)
	mkdir -p "$T/qtf" "$T/qst"
	chown 65534:65534 "$T/qtf" "$T/qst"
	chmod 0755 "$T"
	cmd=$(printf '%s' "$line" | sed -e "s|$PREFIX/bin/qemu-netsnap|$BIN/qemu-netsnap|" \
		-e "s|/run/lock/|$T/|" -e 's|=promsnap|=65534|g' -e 's|--init-groups|--clear-groups|' -e 's|--syslog||')
	sh -c "$cmd -d $T/qtf -s $T/qst/qemu-netsnap" >"$T/cron-q.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ "$(stat -c %u "$T/qtf/qemu-netsnap.prom" 2>/dev/null)" = 65534 ]; then
		ok "cron file's qemu-netsnap line: root drops to the unprivileged user and writes the file"
	else
		not_ok "cron file's qemu-netsnap line" "rc $rc: $(head -3 "$T/cron-q.out")"
	fi
else
	skip "cron file's qemu-netsnap line" "needs root, setpriv and qemu-netsnap"
fi
# Run the cron file's sni-scan line for real through sh, with the real
# flock, against a test directory (its binary, options and lock are the
# installed ones; only the paths are redirected).
if [ -x "$BIN/sni-scan" ]; then
	line=$(grep 'bin/sni-scan ' "$CRON" | cut -f3-)
	mkdir -p "$T/tf" "$T/state"
	: >"$T/haproxy.log"
	cmd=$(printf '%s' "$line" | sed -e "s|$PREFIX/bin/sni-scan|$BIN/sni-scan|" \
		-e "s|/run/lock/|$T/|" -e "s|-c /etc/promsnap/sni-scan.yaml||" -e 's|--syslog||')
	sh -c "$cmd -d $T/tf -s $T/state $T/haproxy.log" >"$T/cron-run.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ -s "$T/tf/sni-scan.prom" ]; then
		ok "cron file's sni-scan line runs and writes sni-scan.prom"
	else
		not_ok "cron file's sni-scan line runs" "rc $rc: $(head -3 "$T/cron-run.out")"
	fi
else
	skip "cron file's sni-scan line runs" "sni-scan not built yet"
fi

# Every ExecStart=/ExecStop= command line is one its tool accepts: run the
# built tool with the unit's exact arguments plus --help (parsed last, so
# an unknown or misspelt option fails first with exit 64).
grep -h '^Exec\(Start\|Stop\)=' "$UNITDIR"/*.service | sed 's/^Exec[A-Za-z]*=//' | sort -u |
	while read -r exe args; do
		t=${exe##*/}
		if [ ! -x "$BIN/$t" ]; then
			skip "unit command line accepted: $t $args" "$t not built"
			continue
		fi
		# shellcheck disable=SC2086 # the unit's words, split as systemd does
		out=$("$BIN/$t" $args --help 2>&1 >/dev/null)
		rc=$?
		if [ $rc -eq 0 ]; then
			ok "unit command line accepted: $t $args"
		else
			not_ok "unit command line accepted: $t $args" "exit $rc: $(echo "$out" | head -2)"
		fi
	done

# sysusers.d and tmpfiles.d, applied for real to the installed tree: the
# promsnap user exists, the textfile directory becomes root:promsnap 0775
# (an existing 0755 one included, as Debian's package ships it), a tool
# running as promsnap can write its file there and another user (the
# node_exporter side) can read it; nothing is world-writable.
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	mkdir -p "$ROOT/etc" "$ROOT/var/lib/prometheus/node-exporter"
	chmod 0755 "$ROOT/var/lib/prometheus/node-exporter"
	systemd-sysusers --root="$ROOT" >/dev/null 2>&1
	uid=$(awk -F: '$1 == "promsnap" { print $3 }' "$ROOT/etc/passwd")
	gid=$(awk -F: '$1 == "promsnap" { print $3 }' "$ROOT/etc/group")
	assert_match "systemd-sysusers creates user and group promsnap" '^[0-9]+ [0-9]+$' "$uid $gid"
	systemd-tmpfiles --root="$ROOT" --create promsnap.conf >/dev/null 2>&1
	assert_eq "tmpfiles: textfile directory root:promsnap 0775" "0:$gid 775" \
		"$(stat -c '%u:%g %a' "$ROOT/var/lib/prometheus/node-exporter")"
	assert_eq "tmpfiles: /var/lib/promsnap root 0755" "0:0 755" \
		"$(stat -c '%u:%g %a' "$ROOT/var/lib/promsnap")"
	assert_eq "tmpfiles: bpf-snap's pin directory /sys/fs/bpf/promsnap promsnap 0750" "$uid:$gid 750" \
		"$(stat -c '%u:%g %a' "$ROOT/sys/fs/bpf/promsnap")"
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x "$BIN/promsnap-selftest" ] && [ -n "$uid" ]; then
		chmod 0755 "$T"
		install -d -o "$uid" -g "$gid" -m 0750 "$ROOT/var/lib/promsnap/promsnap-selftest"
		setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs \
			"$BIN/promsnap-selftest" -d "$ROOT/var/lib/prometheus/node-exporter" \
			-s "$ROOT/var/lib/promsnap/promsnap-selftest" >"$T/selftest.log" 2>&1
		assert_eq "a tool running as promsnap writes into the textfile directory" 0 "$?"
		f=$ROOT/var/lib/prometheus/node-exporter/promsnap-selftest.prom
		if setpriv --reuid=65534 --regid=65534 --clear-groups cat "$f" >/dev/null 2>&1; then
			ok "another user (node_exporter's) can read the written file ($(stat -c %a "$f"))"
		else
			not_ok "another user can read the written file" "$(stat -c '%U:%G %a' "$f")"
		fi
		if setpriv --reuid=65534 --regid=65534 --clear-groups sh -c ": >\"$ROOT/var/lib/prometheus/node-exporter/x.prom\"" 2>/dev/null; then
			not_ok "other users cannot write into the textfile directory" "nobody could"
		else
			ok "other users cannot write into the textfile directory"
		fi
	else
		skip "writing as promsnap" "needs root, setpriv and promsnap-selftest"
	fi
	ww=$(find "$ROOT/var" -perm -0002 ! -type l)
	assert_eq "nothing world-writable under /var" "" "$ww"
else
	skip "sysusers and tmpfiles" "systemd-sysusers or systemd-tmpfiles missing"
fi

# The node_exporter drop-in: systemd accepts it on a node_exporter unit,
# and its command line makes a real node_exporter serve a textfile
# directory (the path swapped for a test one, the binary for Debian's).
DROPIN=$ROOT$PREFIX/share/promsnap/node-exporter/node_exporter-textfile.conf
if [ -f "$DROPIN" ]; then
	mkdir -p "$ROOT/etc/systemd/system/node_exporter.service.d" "$ROOT/usr/local/bin"
	printf '[Unit]\nDescription=node_exporter\n[Service]\nExecStart=/usr/local/bin/node_exporter\n[Install]\nWantedBy=multi-user.target\n' \
		>"$ROOT/etc/systemd/system/node_exporter.service"
	printf '#!/bin/sh\nexit 0\n' >"$ROOT/usr/local/bin/node_exporter"
	chmod 0755 "$ROOT/usr/local/bin/node_exporter"
	cp "$DROPIN" "$ROOT/etc/systemd/system/node_exporter.service.d/promsnap-textfile.conf"
	out=$(cd "$ROOT" && systemd-analyze verify --man=no --root="$ROOT" etc/systemd/system/node_exporter.service 2>&1)
	[ -z "$out" ] && ok "drop-in: systemd-analyze verify node_exporter.service with it" ||
		not_ok "drop-in: systemd-analyze verify" "$(echo "$out" | head -2)"
	args=$(sed -n 's|^ExecStart=/usr/local/bin/node_exporter ||p' "$DROPIN")
	if [ -n "$args" ] && command -v prometheus-node-exporter >/dev/null; then
		mkdir -p "$T/ne-tf"
		printf '# HELP promsnap_run_success x\n# TYPE promsnap_run_success gauge\npromsnap_run_success{tool="dropin"} 1\n' >"$T/ne-tf/dropin.prom"
		port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		# shellcheck disable=SC2086 # the drop-in's words
		prometheus-node-exporter $(printf '%s' "$args" | sed "s|/var/lib/prometheus/node-exporter|$T/ne-tf|") \
			--web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
			--collector.textfile >"$T/ne.log" 2>&1 &
		nep=$!
		on_exit "kill $nep 2>/dev/null; wait $nep 2>/dev/null"
		if wait_until 10 sh -c "curl -fsS http://127.0.0.1:$port/metrics | grep -q 'promsnap_run_success{tool=\"dropin\"} 1'"; then
			ok "drop-in: its --collector.textfile.directory makes node_exporter serve the files"
		else
			not_ok "drop-in: node_exporter serves the directory" "$(tail -2 "$T/ne.log")"
		fi
	fi
else
	not_ok "node_exporter drop-in installed" "missing $DROPIN"
fi
