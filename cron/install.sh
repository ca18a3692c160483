#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Installs or removes everything of promsnap that is not a binary or a man
# page (the Makefile does those first):
#     sh cron/install.sh DESTDIR PREFIX install|uninstall|list
#
#   PREFIX/lib/systemd/system/   one service + timer per tool, bpf-snap-attach,
#                                tcpping-echo.socket/.service
#   PREFIX/lib/sysusers.d/       the promsnap user
#   PREFIX/lib/tmpfiles.d/       textfile directory group and mode
#   /etc/promsnap/*.yaml         example configs (never overwritten, removed
#                                on uninstall only when unchanged)
#   PREFIX/share/promsnap/       Prometheus scrape snippet, rules and rule
#                                tests, Grafana dashboards, node_exporter
#                                drop-in, the cron file
#   /etc/cron.d/promsnap         only with CRON=1 in the environment (hosts
#                                without systemd; never both)
#
# Unit and cron files name the installed binaries: @BINDIR@ becomes
# PREFIX/bin and @SYSCONFDIR@ becomes /etc.  "list" prints every path this
# would install (relative to DESTDIR), for tests.
set -eu

if [ $# -ne 3 ]; then
	echo "usage: sh cron/install.sh DESTDIR PREFIX install|uninstall|list" >&2
	exit 64
fi
DESTDIR=$1
PREFIX=$2
ACTION=$3
case $PREFIX in
/*) ;;
*) echo "install.sh: PREFIX must be absolute, got \"$PREFIX\"" >&2; exit 64 ;;
esac
TOP=$(cd "$(dirname "$0")/.." && pwd)
BINDIR=$PREFIX/bin
SYSCONFDIR=/etc
UNITDIR=$PREFIX/lib/systemd/system
SHARE=$PREFIX/share/promsnap
NEI=$TOP/node-exporter-integration

# Every installed file as "mode source destination filter", one per line;
# filter "subst" replaces @BINDIR@/@SYSCONFDIR@, "config" never overwrites.
manifest() {
	for f in "$TOP"/cron/*.service "$TOP"/cron/*.timer "$TOP"/cron/*.socket; do
		[ -e "$f" ] || continue
		echo "0644 $f $UNITDIR/${f##*/} subst"
	done
	echo "0644 $TOP/cron/promsnap.sysusers $PREFIX/lib/sysusers.d/promsnap.conf plain"
	echo "0644 $NEI/promsnap.tmpfiles $PREFIX/lib/tmpfiles.d/promsnap.conf plain"
	echo "0644 $TOP/cron/promsnap.cron $SHARE/cron.d/promsnap subst"
	if [ "${CRON:-0}" = 1 ]; then
		echo "0644 $TOP/cron/promsnap.cron $SYSCONFDIR/cron.d/promsnap subst"
	fi
	for f in "$TOP"/cmd/*/*.yaml; do
		[ -e "$f" ] || continue
		echo "0644 $f $SYSCONFDIR/promsnap/${f##*/} config"
	done
	for f in "$NEI"/prometheus/scrape.yml "$NEI"/prometheus/rules/*.yml \
		"$NEI"/prometheus/tests/*.yml; do
		[ -e "$f" ] || continue
		echo "0644 $f $SHARE/prometheus/${f#"$NEI"/prometheus/} plain"
	done
	for f in "$NEI"/grafana/*.json; do
		[ -e "$f" ] || continue
		echo "0644 $f $SHARE/grafana/${f##*/} plain"
	done
	for f in "$NEI"/systemd/*.conf; do
		[ -e "$f" ] || continue
		echo "0644 $f $SHARE/node-exporter/${f##*/} subst"
	done
	echo "0644 $NEI/README.md $SHARE/README.node-exporter.md plain"
}

subst() {
	sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" "$1"
}

do_install() {
	manifest | while read -r mode src dst filter; do
		target=$DESTDIR$dst
		mkdir -p "${target%/*}"
		case $filter in
		subst)
			tmp=$(mktemp "${target%/*}/.install.XXXXXX")
			subst "$src" > "$tmp"
			chmod "$mode" "$tmp"
			mv -f "$tmp" "$target"
			;;
		config)
			if [ -e "$target" ] && ! cmp -s "$src" "$target"; then
				echo "install.sh: $target: kept (it differs from the example)" >&2
				continue
			fi
			install -m "$mode" "$src" "$target"
			;;
		*)
			install -m "$mode" "$src" "$target"
			;;
		esac
	done
	if [ -z "$DESTDIR" ]; then
		echo "install.sh: installed; now run: systemd-sysusers; systemd-tmpfiles --create promsnap.conf; systemctl daemon-reload; systemctl enable --now <tool>.timer" >&2
	fi
}

do_uninstall() {
	manifest | while read -r mode src dst filter; do
		target=$DESTDIR$dst
		[ -e "$target" ] || continue
		if [ "$filter" = config ] && ! cmp -s "$src" "$target"; then
			echo "install.sh: $target: kept (changed since install)" >&2
			continue
		fi
		rm -f "$target"
	done
	# Directories we made, deepest first; rmdir leaves any that hold
	# files of someone else.
	for d in "$SHARE/prometheus/rules" "$SHARE/prometheus/tests" \
		"$SHARE/prometheus" "$SHARE/grafana" "$SHARE/node-exporter" \
		"$SHARE/cron.d" "$SHARE" "$SYSCONFDIR/promsnap" "$UNITDIR" \
		"$PREFIX/lib/systemd" "$PREFIX/lib/sysusers.d" \
		"$PREFIX/lib/tmpfiles.d" "$SYSCONFDIR/cron.d"; do
		[ -d "$DESTDIR$d" ] && rmdir "$DESTDIR$d" 2>/dev/null || true
	done
}

case $ACTION in
install) do_install ;;
uninstall) do_uninstall ;;
list) manifest | while read -r mode src dst filter; do echo "$dst"; done ;;
*) echo "install.sh: unknown action \"$ACTION\" (install, uninstall or list)" >&2; exit 64 ;;
esac
