#!/bin/bash
# SPDX-License-Identifier: MIT
# trace-once with the real mtr through a real routed network of network
# namespaces (cmd/trace-once/testnet.sh): hop addresses and count, ASN
# labels, a silent hop, IPv4 and IPv6, an unreachable destination, a
# route switch between runs, counters across runs, schedules, a hung mtr
# killed at its deadline, a missing mtr.  Traffic stays inside the
# namespaces this script creates.
. "$TOP/tests/integration/lib.sh"
need_root
need_cmd mtr
need_cmd ip
need_cmd promtool

. "$TOP/cmd/trace-once/testnet.sh"
NS="tro$$-"
on_exit "testnet_down $NS"
if ! testnet_up "$NS" >"$T/net.log" 2>&1; then
	not_ok "test network" "$(tail -3 "$T/net.log")"
	exit 1
fi
testnet_silent r2

DB="$TOP/tests/fixtures/trace-once/GeoLite2-ASN-Test.mmdb"
cat >"$T/trace-once.yaml" <<YAML
# a Tracer config plus trace-once's own keys
metrics_port: 8080
db_path: $DB
targets:
  - host: 89.160.20.112
    name: srv4
    schedule: "@every 1h"
    count: 3
    interval: 0.2
    grace: 0.5
  - host: "2001:1700::1"
    name: srv6
    schedule: "@every 1h"
    count: 3
    interval: 0.2
    grace: 0.5
  - host: 89.160.21.1
    name: blackholed
    schedule: "@every 1h"
    count: 3
    interval: 0.2
    grace: 0.5
    max_ttl: 6
YAML

# trace-once runs inside the client namespace, like mtr would.
tro() {
	ip netns exec "${NS}client" "$BIN/trace-once" -c "$T/trace-once.yaml" \
		-s "$T/state" "$@"
}
# val FILE METRIC LABEL-MATCH: the value of the one matching sample.
val() {
	grep -E "^$2\{[^}]*$3" "$1" | awk '{print $NF}' | head -1
}
# check_promfile serves a file under its base name: serve every run as
# trace-once.prom so no two files of this test hold the same series.
check_run() {
	mkdir -p "$T/serve"
	cp "$1" "$T/serve/trace-once.prom"
	check_promfile "$T/serve/trace-once.prom"
}
if [ -n "${TEXTFILE_DIR:-}" ]; then
	on_exit "rm -f '$TEXTFILE_DIR/trace-once.prom'"
fi
hops() { # the ip labels of mtr_hop_loss_ratio for a target, in ttl order
	grep -E "^mtr_hop_loss_ratio\{target=\"$2\"" "$1" |
		sed -E 's/.*ip="([^"]*)".*ttl="([0-9]+)".*/\2 \1/' |
		sort -n | awk '{printf "%s%s", sep, $2; sep=" "}'
}

# --- run 1: everything is due (never ran) --------------------------------
tro -o "$T/run1.prom" 2>"$T/run1.err"
assert_eq "first run exits 0" 0 "$?"
check_run "$T/run1.prom"
assert_eq "IPv4 hop addresses, r2 silent" \
	"1.0.0.1 ??? 12.81.92.10 89.160.20.112" "$(hops "$T/run1.prom" srv4)"
assert_eq "IPv4 hop count" 4 "$(val "$T/run1.prom" mtr_report_hops 'target="srv4"')"
assert_eq "silent hop loss ratio 1" 1 \
	"$(val "$T/run1.prom" mtr_hop_loss_ratio 'target="srv4",hop="intermediate",ip="\?\?\?"')"
assert_eq "destination loss ratio 0" 0 \
	"$(val "$T/run1.prom" mtr_hop_loss_ratio 'target="srv4",hop="last",ip="89.160.20.112"')"
assert_eq "destination reached" 1 "$(val "$T/run1.prom" mtr_report_reached 'target="srv4"')"
assert_eq "report loss is the destination's" 0 "$(val "$T/run1.prom" mtr_report_loss 'target="srv4"')"
assert_match "ASN and org labels from the database" \
	'hop="first",ip="1.0.0.1",asn="AS15169",org="Google Inc.",ttl="1"' \
	"$(grep '^mtr_hop_avg_ms{target="srv4"' "$T/run1.prom")"
assert_match "destination ASN" \
	'ip="89.160.20.112",asn="AS29518",org="Bredband2 AB",ttl="4"' \
	"$(grep '^mtr_hop_avg_ms{target="srv4"' "$T/run1.prom")"
assert_eq "IPv6 hop addresses" \
	"fd00:1::2 ??? fd00:3::2 2001:1700::1" "$(hops "$T/run1.prom" srv6)"
assert_eq "IPv6 destination reached" 1 "$(val "$T/run1.prom" mtr_report_reached 'target="srv6"')"
assert_eq "blackholed target not reached" 0 \
	"$(val "$T/run1.prom" mtr_report_reached 'target="blackholed"')"
assert_eq "blackholed target is still a successful run" 1 \
	"$(val "$T/run1.prom" mtr_report_success 'target="blackholed"')"
assert_eq "run counted ok" 1 \
	"$(val "$T/run1.prom" mtr_runs_total 'target="srv4",result="ok"')"
assert_eq "sent counter after one run" 3 \
	"$(val "$T/run1.prom" mtr_hop_sent_total 'target="srv4",hop="first"')"
assert_eq "no route change on the first run" 0 \
	"$(val "$T/run1.prom" mtr_route_changed 'target="srv4"')"
assert_eq "whole run succeeded" 1 "$(val "$T/run1.prom" promsnap_run_success 'tool="trace-once"')"

# --- run 2: nothing due; the series stay, counters do not move ---------
tro -o "$T/run2.prom" 2>"$T/run2.err"
assert_eq "not-due run exits 0" 0 "$?"
assert_eq "not-due run keeps the report" \
	"1.0.0.1 ??? 12.81.92.10 89.160.20.112" "$(hops "$T/run2.prom" srv4)"
assert_eq "not-due run does not count a run" 1 \
	"$(val "$T/run2.prom" mtr_runs_total 'target="srv4",result="ok"')"
assert_eq "not-due run does not add probes" 3 \
	"$(val "$T/run2.prom" mtr_hop_sent_total 'target="srv4",hop="first"')"

# --- run 3: the path switches to r4, --all ignores the schedule --------
testnet_switch_alt
tro --all -o "$T/run3.prom" 2>"$T/run3.err"
assert_eq "run after the switch exits 0" 0 "$?"
check_run "$T/run3.prom"
assert_eq "alternate path hops" \
	"1.0.0.1 214.78.120.2 15.0.0.2 89.160.20.112" "$(hops "$T/run3.prom" srv4)"
assert_eq "route change seen" 1 "$(val "$T/run3.prom" mtr_route_changed 'target="srv4"')"
assert_eq "route changes counted" 1 "$(val "$T/run3.prom" mtr_route_changes_total 'target="srv4"')"
assert_eq "IPv6 route change seen" 1 "$(val "$T/run3.prom" mtr_route_changed 'target="srv6"')"
# r4 answers where silent r2 was: the blackholed target's path changed too.
assert_match "blackholed target: r4 now at hop 2" "^1.0.0.1 214.78.120.2( \\?\\?\\?)*$" \
	"$(hops "$T/run3.prom" blackholed)"
assert_eq "blackholed target: still not reached" 0 \
	"$(val "$T/run3.prom" mtr_report_reached 'target="blackholed"')"
assert_eq "blackholed target: route change seen" 1 \
	"$(val "$T/run3.prom" mtr_route_changed 'target="blackholed"')"
assert_eq "sent counter grows across runs" 6 \
	"$(val "$T/run3.prom" mtr_hop_sent_total 'target="srv4",hop="first"')"
p1=$(val "$T/run1.prom" mtr_route_path_id 'target="srv4"')
p3=$(val "$T/run3.prom" mtr_route_path_id 'target="srv4"')
if [ -n "$p1" ] && [ "$p1" != "$p3" ]; then ok "path id changes with the route"
else not_ok "path id changes with the route" "$p1 -> $p3"; fi
lc=$(val "$T/run3.prom" mtr_route_last_change_timestamp_seconds 'target="srv4"')
lr=$(val "$T/run3.prom" promsnap_last_run_timestamp_seconds 'tool="trace-once"')
assert_eq "last change time is this run's" "$lr" "$lc"

# The same path again: no change, the counter stays.
tro --all --legacy-volatility-labels -o "$T/run4.prom" 2>"$T/run4.err"
assert_eq "stable route: changed 0" 0 "$(val "$T/run4.prom" mtr_route_changed 'target="srv4"')"
assert_eq "stable route: changes stay 1" 1 "$(val "$T/run4.prom" mtr_route_changes_total 'target="srv4"')"
assert_match "legacy volatility labels" \
	'^mtr_route_volatility\{target="srv4",route_changed="false",hop_count_variance="0.00",latency_jitter="[0-9]+\.[0-9]{2}"\} 1$' \
	"$(grep '^mtr_route_volatility{target="srv4"' "$T/run4.prom")"
check_run "$T/run4.prom"

# Into the real node_exporter and Prometheus.
if [ -n "${NE_URL:-}" ]; then
	# check_run left run4 in the textfile directory as trace-once.prom.
	if r=$(prom_wait 'mtr_route_changes_total{target="srv4"} == 1' 20); then
		ok "Prometheus has mtr_route_changes_total"
	else
		not_ok "Prometheus has mtr_route_changes_total" "no result"
	fi
	r=$(prom_query 'mtr_hop_loss_ratio{target="srv4",hop="last"}')
	assert_match "PromQL: loss at the destination" '"value":\[[0-9.]+,"0"\]' "$r"
fi

# --- a lossy router: r3 rate-limits its own ICMP (6 at once, then 1/s) --
# 20 probes in about 4 s get at most 6 + 4 answers from r3 as hop 3, while
# the server answers every echo: per-hop loss shows at r3 only, and the
# report's loss (the destination's) stays 0 where Tracer's mean over hops
# would not.
ip netns exec "${NS}r3" sysctl -qw net.ipv4.icmp_ratelimit=1000
ip netns exec "${NS}client" "$BIN/trace-once" -s "$T/state-lossy" \
	--db-path "$DB" --count 20 --interval 0.2 --grace 0.5 \
	-o "$T/lossy.prom" 89.160.20.112 2>"$T/lossy.err"
assert_eq "lossy router: exit 0" 0 "$?"
l3=$(val "$T/lossy.prom" mtr_hop_loss_ratio 'target="89.160.20.112",hop="intermediate",ip="15.0.0.2"')
if awk -v l="$l3" 'BEGIN { exit !(l >= 0.3 && l < 1) }'; then
	ok "lossy router: loss at hop 3 between 0.3 and 1 ($l3)"
else
	not_ok "lossy router: loss at hop 3 between 0.3 and 1" "got '$l3'"
fi
assert_eq "lossy router: destination loss 0" 0 \
	"$(val "$T/lossy.prom" mtr_report_loss 'target="89.160.20.112"')"
assert_eq "lossy router: reached" 1 \
	"$(val "$T/lossy.prom" mtr_report_reached 'target="89.160.20.112"')"
ip netns exec "${NS}r3" sysctl -qw net.ipv4.icmp_ratelimit=0

# --- a hung mtr is killed at its deadline; the others are written ------
cat >"$T/fake-mtr" <<SH
#!/bin/sh
# Hangs for the blackholed target only; the real mtr for the rest.
case "\$*" in
*89.160.21.1*) echo \$\$ >"$T/hung.pid"; exec sleep 120 ;;
esac
exec mtr "\$@"
SH
chmod +x "$T/fake-mtr"
tro --all --mtr "$T/fake-mtr" --margin 1 -o "$T/hung.prom" 2>"$T/hung.err"
rc=$?
assert_eq "hung mtr: run exits 0" 0 "$rc"
assert_eq "hung mtr: counted as timeout" 1 \
	"$(val "$T/hung.prom" mtr_runs_total 'target="blackholed",result="timeout"')"
assert_eq "hung mtr: target reported failed" 0 \
	"$(val "$T/hung.prom" mtr_report_success 'target="blackholed"')"
assert_eq "hung mtr: other targets written" 1 \
	"$(val "$T/hung.prom" mtr_report_reached 'target="srv4"')"
assert_match "hung mtr: warning names the target" 'blackholed: timeout: killed at its deadline' \
	"$(cat "$T/hung.err")"
hp=$(cat "$T/hung.pid" 2>/dev/null)
if [ -n "$hp" ] && ! [ -e "/proc/$hp" ]; then
	ok "hung mtr: killed and reaped (no process, no zombie)"
else
	not_ok "hung mtr: killed and reaped" "pid '$hp': $(cat /proc/"$hp"/stat 2>/dev/null)"
fi
# Killed at its deadline, 3 x 0.2 s + 0.5 s grace + 1 s margin = 2.1 s
# after it started (the state keeps how long the child lived), not when
# sleep 120 would have ended.
lived=$(sed -n 's/^result\/blackholed timeout,\([0-9.]*\)$/\1/p' "$T/state/state")
if awk -v ms="$lived" 'BEGIN { exit !(ms >= 2100 && ms < 10000) }'; then
	ok "hung mtr: killed at its deadline (${lived} ms)"
else
	not_ok "hung mtr: killed at its deadline" "lived '${lived}' ms"
fi
check_run "$T/hung.prom"

# --- stopped while mtr runs: children go with it, file and state stay ----
rm -f "$T/hung.pid"
cp "$T/hung.prom" "$T/before-stop.prom"
ip netns exec "${NS}client" "$BIN/trace-once" -c "$T/trace-once.yaml" \
	-s "$T/state" --all --mtr "$T/fake-mtr" -o "$T/hung.prom" \
	2>"$T/stop.err" &
tpid=$!
if wait_until 20 test -s "$T/hung.pid"; then
	kill -TERM "$tpid"
	wait "$tpid"
	assert_eq "SIGTERM: trace-once ends by the signal" 143 "$?"
	hp=$(cat "$T/hung.pid")
	if wait_until 5 sh -c "! [ -e /proc/$hp ]"; then
		ok "SIGTERM: the hung mtr was killed and reaped"
	else
		not_ok "SIGTERM: the hung mtr was killed" "$(cat /proc/"$hp"/stat 2>/dev/null)"
	fi
	if cmp -s "$T/before-stop.prom" "$T/hung.prom"; then
		ok "SIGTERM: the previous file is untouched"
	else
		not_ok "SIGTERM: the previous file is untouched" "it changed"
	fi
else
	kill "$tpid" 2>/dev/null
	not_ok "SIGTERM" "the fake mtr never started"
fi

# --- a host name mtr cannot resolve: resolve_failed, others written ------
# ip netns exec bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf:
# the resolver asks 127.0.0.1 inside the client namespace, where nothing
# listens, so the lookup fails at once and no query leaves the namespace
# (hosts: files dns on Debian; nothing else is consulted).
mkdir -p "/etc/netns/${NS}client"
on_exit "rm -rf '/etc/netns/${NS}client'"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' \
	>"/etc/netns/${NS}client/resolv.conf"
ip netns exec "${NS}client" "$BIN/trace-once" -s "$T/state-dns" \
	--db-path "$DB" --count 2 --interval 0.2 --grace 0.2 -o "$T/dns.prom" \
	89.160.20.112 nonexistent.invalid 2>"$T/dns.err"
assert_eq "unresolvable host: run exits 0" 0 "$?"
assert_eq "unresolvable host: counted as resolve_failed" 1 \
	"$(val "$T/dns.prom" mtr_runs_total 'target="nonexistent.invalid",result="resolve_failed"')"
assert_eq "unresolvable host: no report" 0 \
	"$(val "$T/dns.prom" mtr_report_success 'target="nonexistent.invalid"')"
assert_eq "unresolvable host: the other target is written" 1 \
	"$(val "$T/dns.prom" mtr_report_reached 'target="89.160.20.112"')"
assert_match "unresolvable host: mtr's reason in the warning" \
	'nonexistent.invalid: resolve_failed: .*Failed to resolve host' "$(cat "$T/dns.err")"

# --- a host name target (Tracer configs use names): resolved by mtr --------
# /etc/netns/NS/hosts is bind-mounted over /etc/hosts inside the namespace.
printf '89.160.20.112 server.test\n' >"/etc/netns/${NS}client/hosts"
ip netns exec "${NS}client" "$BIN/trace-once" -s "$T/state-name" \
	--db-path "$DB" --count 2 --interval 0.2 --grace 0.2 -o "$T/name.prom" \
	server.test 2>"$T/name.err"
assert_eq "host name target: exit 0" 0 "$?"
assert_eq "host name target: reached" 1 \
	"$(val "$T/name.prom" mtr_report_reached 'target="server.test"')"
assert_eq "host name target: hops are addresses (-n)" \
	"1.0.0.1 214.78.120.2 15.0.0.2 89.160.20.112" "$(hops "$T/name.prom" server.test)"

# --- on a terminal without -o: the table after the file ------------------
mkdir -p "$T/tty"
script -qec "ip netns exec ${NS}client $BIN/trace-once -s $T/state-tty \
	--db-path $DB --count 2 --interval 0.2 --grace 0.2 -d $T/tty \
	89.160.20.112" /dev/null >"$T/tty.out" 2>&1
tr -d '\r' <"$T/tty.out" >"$T/tty.txt"
assert_match "terminal table: header" \
	'^ *Hop +Address +ASN +Organisation +Loss% +Snt +Last +Avg +Best +Wrst +StDev$' \
	"$(cat "$T/tty.txt")"
assert_match "terminal table: destination row" \
	'^ +4\. +89\.160\.20\.112 +AS29518 +Bredband2 AB +0\.0% +2 ' "$(cat "$T/tty.txt")"
assert_eq "terminal: the file was written too" 1 \
	"$(val "$T/tty/trace-once.prom" mtr_report_reached 'target="89.160.20.112"')"

# --- missing mtr: exit 69 and a health-only file -------------------------
tro --all --mtr /nonexistent/mtr -o "$T/nomtr.prom" 2>"$T/nomtr.err"
assert_eq "missing mtr exits 69" 69 "$?"
assert_eq "missing mtr: run_success 0" 0 \
	"$(val "$T/nomtr.prom" promsnap_run_success 'tool="trace-once"')"
assert_eq "missing mtr: no measurement series" 0 \
	"$(grep -c '^mtr_' "$T/nomtr.prom")"

# --- one-shot use: HOST operands, -o -, no config ------------------------
out=$(ip netns exec "${NS}client" "$BIN/trace-once" -s "$T/state1" \
	-c "$T/none.yaml" --db-path "$DB" --count 2 --interval 0.2 \
	--grace 0.2 -o - 89.160.20.112 2>"$T/oneshot.err")
assert_eq "explicit missing config file is a config error" 78 "$?"
out=$(ip netns exec "${NS}client" "$BIN/trace-once" -s "$T/state1" \
	--db-path "$DB" --count 2 --interval 0.2 --grace 0.2 -o - \
	89.160.20.112 2>"$T/oneshot.err")
assert_eq "one-shot exits 0" 0 "$?"
assert_match "one-shot prints the exposition" \
	'^mtr_report_reached\{target="89.160.20.112"\} 1$' "$out"

# --- UDP and TCP probes (argv for -u/-T/-P) --------------------------------
cat >"$T/proto.yaml" <<YAML
targets:
  - {host: 89.160.20.112, name: udp, protocol: udp, port: 33434, count: 2, interval: 0.2, grace: 0.5}
  - {host: 89.160.20.112, name: tcp, protocol: tcp, port: 80, count: 2, interval: 0.2, grace: 0.5}
  - {host: "2001:1700::1", name: v6only, ip_version: 6, count: 2, interval: 0.2, grace: 0.5}
YAML
ip netns exec "${NS}client" "$BIN/trace-once" -c "$T/proto.yaml" \
	-s "$T/state-proto" --db-path "$DB" -o "$T/proto.prom" 2>"$T/proto.err"
assert_eq "udp/tcp/v6 targets: exit 0" 0 "$?"
for t in udp tcp v6only; do
	assert_eq "$t probes reach the server" 1 \
		"$(val "$T/proto.prom" mtr_report_reached "target=\"$t\"")"
done

# --- no privilege of its own: mtr-packet's capability does the raw sockets
if command -v setpriv >/dev/null; then
	chmod 0755 "$T"
	mkdir -p "$T/nobody"
	chown 65534:65534 "$T/nobody"
	ip netns exec "${NS}client" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$BIN/trace-once" -s "$T/nobody/state" \
		-d "$T/nobody" --db-path "$DB" --count 2 --grace 0.5 \
		89.160.20.112 >/dev/null 2>"$T/nobody.err"
	assert_eq "as an unprivileged user: exit 0" 0 "$?"
	assert_eq "as an unprivileged user: destination reached" 1 \
		"$(val "$T/nobody/trace-once.prom" mtr_report_reached 'target="89.160.20.112"')"
	# mtr's rule, checked before mtr runs: no sub-second interval.
	ip netns exec "${NS}client" setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$BIN/trace-once" -s "$T/nobody/state" \
		-d "$T/nobody" --interval 0.2 89.160.20.112 >/dev/null \
		2>"$T/nobody2.err"
	assert_eq "unprivileged sub-second interval: config error" 78 "$?"
	assert_match "unprivileged sub-second interval: reason" \
		'interval 0.2s: mtr allows an interval below 1s only to root' \
		"$(cat "$T/nobody2.err")"
else
	skip "unprivileged run" "needs setpriv"
fi

# --- config errors name file, line and column ----------------------------
printf 'targets:\n  - host: 127.0.0.1\n    count: many\n' >"$T/bad.yaml"
"$BIN/trace-once" -c "$T/bad.yaml" -s "$T/state2" -o "$T/bad.prom" 2>"$T/bad.err"
assert_eq "bad config exits 78" 78 "$?"
assert_match "bad config message" "bad.yaml:3:12: targets\[0\].count: expected an integer 1..1000, got \"many\"" \
	"$(cat "$T/bad.err")"
