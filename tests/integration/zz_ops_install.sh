#!/bin/bash
# SPDX-License-Identifier: MIT
# `make install` into a temp DESTDIR puts every binary, man page, unit,
# timer, the cron file, example configs, rules and dashboards in place with
# sane modes; a changed config survives a reinstall and an uninstall;
# `make uninstall` removes everything else; CRON=1 and PREFIX=/usr work.
. "$TOP/tests/integration/lib.sh"
need_cmd make

D=$T/root
P=/usr/local
cd "$TOP" || exit 1
if ! make -s --no-print-directory install DESTDIR="$D" PREFIX="$P" >"$T/install.log" 2>&1; then
	not_ok "make install DESTDIR" "$(tail -5 "$T/install.log")"
	exit 1
fi
ok "make install DESTDIR=... PREFIX=$P"

# Binaries: every tool a build.mk registers, each runs -V.
tools=$(sed -n 's/^\(EXTRA_\)\{0,1\}TOOLS += *//p' cmd/*/build.mk | tr ' ' '\n' | sort -u)
for t in $tools; do
	b=$D$P/bin/$t
	if [ -x "$b" ]; then
		v=$("$b" -V 2>&1)
		assert_match "bin/$t installed and runs -V" "^$t \\(promsnap\\) " "$v"
	else
		not_ok "bin/$t installed" "missing or not executable"
	fi
done
assert_match "promsnap-status is among the installed tools" promsnap-status "$tools"

# Man pages.
for m in man/*.[0-9]; do
	[ -f "$m" ] || continue
	s=${m##*.}
	if cmp -s "$m" "$D$P/share/man/man$s/${m##*/}"; then
		ok "man page ${m##*/} installed"
	else
		not_ok "man page ${m##*/} installed" "missing or different"
	fi
done

# Everything install.sh lists is there, units name installed binaries.
missing=""
for f in $(sh cron/install.sh "" "$P" list); do
	[ -f "$D$f" ] || missing="$missing $f"
done
assert_eq "every file of install.sh's manifest is installed" "" "$missing"
n_units=$(ls "$D$P/lib/systemd/system" | wc -l)
assert_eq "13 units and timers under $P/lib/systemd/system" 13 "$n_units"
bad=$(grep -h '^Exec\(Start\|Stop\)=' "$D$P/lib/systemd/system"/*.service |
	sed 's/^Exec[A-Za-z]*=//; s/ .*//' | while read -r exe; do
		[ -x "$D$exe" ] || echo "$exe"
	done)
assert_eq "every ExecStart/ExecStop binary exists in the installed tree" "" "$bad"
for y in cmd/*/*.yaml; do
	[ -e "$y" ] || continue
	if cmp -s "$y" "$D/etc/promsnap/${y##*/}"; then
		ok "example config /etc/promsnap/${y##*/}"
	else
		not_ok "example config /etc/promsnap/${y##*/}" "missing or different"
	fi
done
for f in prometheus/rules/promsnap.rules.yml prometheus/scrape.yml \
	prometheus/tests/promsnap.test.yml cron.d/promsnap; do
	[ -f "$D$P/share/promsnap/$f" ] || not_ok "share/promsnap/$f" "missing"
done
ng=$(ls "$D$P/share/promsnap/grafana/"*.json 2>/dev/null | wc -l)
assert_eq "every Grafana dashboard installed" \
	"$(ls node-exporter-integration/grafana/*.json 2>/dev/null | wc -l)" "$ng"
[ -f "$D/etc/cron.d/promsnap" ] && not_ok "no /etc/cron.d file without CRON=1" "installed" ||
	ok "no /etc/cron.d file without CRON=1 (systemd timers are the default)"
ww=$(find "$D" -perm -0002 ! -type l)
assert_eq "nothing world-writable in the installed tree" "" "$ww"
badmode=$(find "$D" -type f ! -path "$D$P/bin/*" -perm /0111)
assert_eq "only binaries are executable" "" "$badmode"
if command -v promtool >/dev/null; then
	promtool test rules "$D$P/share/promsnap/prometheus/tests/promsnap.test.yml" >/dev/null 2>&1 &&
		ok "installed rule tests pass" || not_ok "installed rule tests pass" "promtool failed"
fi

# A changed config survives reinstall and uninstall.
cfg=$(ls "$D"/etc/promsnap/*.yaml | head -1)
echo "# changed by the operator" >>"$cfg"
make -s --no-print-directory install DESTDIR="$D" PREFIX="$P" >"$T/reinstall.log" 2>&1
assert_match "reinstall keeps a changed config" "# changed by the operator" "$(tail -1 "$cfg")"
assert_match "reinstall says it kept it" "kept" "$(cat "$T/reinstall.log")"

if ! make -s --no-print-directory uninstall DESTDIR="$D" PREFIX="$P" >"$T/uninstall.log" 2>&1; then
	not_ok "make uninstall" "$(tail -3 "$T/uninstall.log")"
fi
left=$(find "$D" -type f | sed "s|^$D||")
assert_eq "make uninstall removes every file but the changed config" "${cfg#"$D"}" "$left"

# CRON=1 and PREFIX=/usr.
D2=$T/root2
sh cron/install.sh "$D2" /usr install 2>/dev/null
CRON=1 sh cron/install.sh "$D2" /usr install 2>/dev/null
if [ -f "$D2/etc/cron.d/promsnap" ] && grep -q ' /usr/bin/sni-scan ' "$D2/etc/cron.d/promsnap"; then
	ok "CRON=1 installs /etc/cron.d/promsnap naming /usr/bin"
else
	not_ok "CRON=1 installs /etc/cron.d/promsnap" "$(ls "$D2/etc" 2>&1)"
fi
assert_match "PREFIX=/usr: units in /usr/lib/systemd/system run /usr/bin" \
	'^ExecStart=/usr/bin/sni-scan ' "$(cat "$D2/usr/lib/systemd/system/sni-scan.service" 2>&1)"
CRON=1 sh cron/install.sh "$D2" /usr uninstall 2>/dev/null
assert_eq "CRON=1 uninstall leaves nothing" "" "$(find "$D2" -type f)"
assert_eq "install.sh with a relative PREFIX: usage error 64" 64 \
	"$(sh cron/install.sh "$D2" usr install >/dev/null 2>&1; echo $?)"
