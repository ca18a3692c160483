#!/bin/bash
# SPDX-License-Identifier: MIT
# What trace-once ships besides the binary: the example configuration runs
# as shipped (loopback only), the PromQL of trace-once(8) is accepted by
# the real Prometheus, the `make asn-db` converter (cmd/trace-once/
# asn-db.pl) turns @ip-location-db/asn-style CSV into a database whose
# labels trace-once reads back (on a small CSV made here: no download).
. "$TOP/tests/integration/lib.sh"
# check_promfile serves files as trace-once.prom: take it away afterwards.
if [ -n "${TEXTFILE_DIR:-}" ]; then
	on_exit "rm -f '$TEXTFILE_DIR/trace-once.prom'"
fi

# --- the example configuration, as shipped -------------------------------
if [ "$(id -u)" = 0 ] && command -v mtr >/dev/null; then
	"$BIN/trace-once" -c "$TOP/cmd/trace-once/trace-once.yaml" \
		-s "$T/state" -o "$T/example.prom" 2>"$T/example.err"
	assert_eq "example config: exit 0" 0 "$?"
	assert_eq "example config: loopback reached" \
		'mtr_report_reached{target="loopback"} 1' \
		"$(grep '^mtr_report_reached' "$T/example.prom")"
	mkdir -p "$T/serve"
	cp "$T/example.prom" "$T/serve/trace-once.prom"
	check_promfile "$T/serve/trace-once.prom"
else
	skip "example config" "needs root and mtr"
fi

# --- no ASN database anywhere: warned once, labels "unknown", no failure --
printf '%s\n' '{"report":{"mtr":{"dst":"1.0.0.1","tests":1},"hubs":[{"count":1,"host":"1.0.0.1","Loss%":0,"Snt":1}]}}' >"$T/one.json"
if ls /var/lib/GeoIP/GeoLite2-ASN.mmdb /usr/share/GeoIP/GeoLite2-ASN.mmdb \
	/usr/local/share/promsnap/GeoLite2-ASN.mmdb >/dev/null 2>&1; then
	skip "missing ASN database" "a database is installed on this machine"
else
	for k in 1 2; do
		"$BIN/trace-once" --from-json "$T/one.json" -s "$T/state-nodb" \
			-o "$T/nodb$k.prom" 2>"$T/nodb$k.err"
		assert_eq "no ASN database, run $k: exit 0" 0 "$?"
	done
	assert_match "no ASN database: warned on the first run" \
		'ASN database: none found' "$(cat "$T/nodb1.err")"
	assert_eq "no ASN database: not warned again" "" "$(cat "$T/nodb2.err")"
	assert_match "no ASN database: labels unknown" \
		'asn="unknown",org="unknown"' "$(grep '^mtr_hop_avg_ms' "$T/nodb2.prom")"
fi

# --- the man page's PromQL parses in the real Prometheus ---------------
if [ -n "${PROM_URL:-}" ]; then
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh SEE ALSO/p' "$TOP/man/trace-once.8" |
		sed 's/^\.Dl //' | grep -E '^(mtr_|increase|changes)' >"$T/promql"
	n=$(wc -l <"$T/promql")
	if [ "$n" -lt 5 ]; then
		not_ok "man page PromQL found" "only $n expressions"
	fi
	while IFS= read -r q; do
		if curl -fsS -G --data-urlencode "query=$q" \
			"$PROM_URL/api/v1/query" | grep -q '"status":"success"'; then
			ok "PromQL accepted: $q"
		else
			not_ok "PromQL accepted: $q" "Prometheus refused it"
		fi
	done <"$T/promql"
else
	skip "man page PromQL" "no Prometheus"
fi

# --- asn-db.pl on a small CSV --------------------------------------------
if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	skip "asn-db converter" "needs libmaxmind-db-writer-perl"
	exit 0
fi
mkdir -p "$T/csv"
cat >"$T/csv/asn-ipv4.csv" <<'CSV'
1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
89.160.20.0,89.160.20.255,29518,"Org ""Quoted"" AB"
12.81.92.0,12.81.92.255,7018,
CSV
cat >"$T/csv/asn-ipv6.csv" <<'CSV'
2001:1700::,2001:1700:ffff:ffff:ffff:ffff:ffff:ffff,6730,Sunrise Communications AG
2002::,2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff,64500,Aliased
CSV
perl "$TOP/cmd/trace-once/asn-db.pl" "$T/csv" "$T/asn.mmdb" 2>"$T/asndb.err"
assert_eq "asn-db.pl exits 0" 0 "$?"
assert_match "asn-db.pl skips the aliased range and says so" \
	'4 ranges written .* 1 skipped .*2002::/16.* 0 malformed' "$(cat "$T/asndb.err")"
cat >"$T/report.json" <<'JSON'
{"report":{"mtr":{"src":"c","dst":"2001:1700::5","tests":1},"hubs":[
{"count":1,"host":"1.0.0.1","Loss%":0.0,"Snt":1,"Last":1,"Avg":1,"Best":1,"Wrst":1,"StDev":0},
{"count":2,"host":"89.160.20.112","Loss%":0.0,"Snt":1,"Last":1,"Avg":1,"Best":1,"Wrst":1,"StDev":0},
{"count":3,"host":"12.81.92.10","Loss%":0.0,"Snt":1,"Last":1,"Avg":1,"Best":1,"Wrst":1,"StDev":0},
{"count":4,"host":"2001:1700::5","Loss%":0.0,"Snt":1,"Last":1,"Avg":1,"Best":1,"Wrst":1,"StDev":0}]}}
JSON
"$BIN/trace-once" --from-json "$T/report.json" --db-path "$T/asn.mmdb" \
	-s "$T/state2" -o "$T/asn.prom" 2>"$T/asn.err"
assert_eq "--from-json with the built database: exit 0" 0 "$?"
labels=$(grep '^mtr_hop_sent_total' "$T/asn.prom" |
	sed -E 's/.*ip="([^"]*)",asn="([^"]*)",org="((\\"|[^"])*)".*/\1 \2 \3/')
assert_eq "labels from the built database" \
	"1.0.0.1 AS13335 Cloudflare, Inc.
89.160.20.112 AS29518 Org \\\"Quoted\\\" AB
12.81.92.10 AS7018 unknown
2001:1700::5 AS6730 Sunrise Communications AG" "$labels"
mkdir -p "$T/serve2"
cp "$T/asn.prom" "$T/serve2/trace-once.prom"
check_promfile "$T/serve2/trace-once.prom"

# --- database order: --db-path, then db_path in the file -----------------
printf 'db_path: %s\n' "$TOP/tests/fixtures/trace-once/GeoLite2-ASN-Test.mmdb" >"$T/db.yaml"
org() { sed -n 's/^mtr_hop_avg_ms{.*ip="1.0.0.1",asn="\([^"]*\)",org="\([^"]*\)".*/\1 \2/p' "$1"; }
"$BIN/trace-once" -c "$T/db.yaml" --from-json - -s "$T/state3" \
	-o "$T/order1.prom" <"$T/report.json" 2>/dev/null
assert_eq "--from-json - reads stdin; db_path from the file" \
	"AS15169 Google Inc." "$(org "$T/order1.prom")"
"$BIN/trace-once" -c "$T/db.yaml" --db-path "$T/asn.mmdb" --from-json - \
	-s "$T/state3" -o "$T/order2.prom" <"$T/report.json" 2>/dev/null
assert_eq "--db-path wins over db_path" "AS13335 Cloudflare, Inc." \
	"$(org "$T/order2.prom")"
