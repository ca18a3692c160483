#!/bin/bash
# SPDX-License-Identifier: MIT
# Prometheus side: `promtool check rules` and `promtool test rules` on the
# shipped rules (also as installed), every alert has severity, summary and
# description and is tested both firing and not firing, every recording
# rule is tested, the tests fail when a threshold moves, the scrape snippet
# is a valid config, and the real Prometheus of the harness loads the rules
# and evaluates every expression without error.
. "$TOP/tests/integration/lib.sh"
need_cmd promtool
need_cmd python3

NEI=$TOP/node-exporter-integration
RULES=$NEI/prometheus/rules/promsnap.rules.yml

out=$(promtool check rules "$RULES" 2>&1)
if [ $? -eq 0 ] && ! printf '%s\n' "$out" | grep -q WARNING; then
	ok "promtool check rules: $(printf '%s\n' "$out" | grep -o '[0-9]* rules found')"
else
	not_ok "promtool check rules" "$(printf '%s\n' "$out" | tail -3)"
fi

for f in "$NEI"/prometheus/tests/*.yml; do
	out=$(promtool test rules "$f" 2>&1)
	if [ $? -eq 0 ]; then
		ok "promtool test rules $(basename "$f")"
	else
		not_ok "promtool test rules $(basename "$f")" "$(printf '%s\n' "$out" | head -8)"
	fi
done

# Installed layout: the tests find the rules by their relative path.
sh "$TOP/cron/install.sh" "$T/root" /usr/local install 2>/dev/null
out=$(promtool test rules "$T/root/usr/local/share/promsnap/prometheus/tests/promsnap.test.yml" 2>&1)
[ $? -eq 0 ] && ok "promtool test rules on the installed tree" ||
	not_ok "promtool test rules on the installed tree" "$(printf '%s\n' "$out" | head -4)"

out=$(promtool check config "$NEI/prometheus/scrape.yml" 2>&1)
[ $? -eq 0 ] && ok "promtool check config scrape.yml" ||
	not_ok "promtool check config scrape.yml" "$(printf '%s\n' "$out" | tail -3)"

# Coverage: every alert has labels/annotations and a firing and a quiet
# test case; every recording rule has a promql_expr_test.
python3 - "$RULES" "$NEI"/prometheus/tests/*.yml >"$T/coverage" 2>&1 <<'EOF'
import sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
fire, quiet, exprs = set(), set(), []
for f in sys.argv[2:]:
    for t in yaml.safe_load(open(f)).get("tests", []):
        for a in t.get("alert_rule_test", []):
            (fire if a.get("exp_alerts") else quiet).add(a["alertname"])
        exprs += [p["expr"] for p in t.get("promql_expr_test", [])]
bad, n_alert, n_rec = [], 0, 0
for g in rules["groups"]:
    for r in g["rules"]:
        if "alert" in r:
            n_alert += 1
            a = r["alert"]
            if r.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                bad.append(a + ": no severity")
            ann = r.get("annotations", {})
            if not ann.get("summary") or not ann.get("description"):
                bad.append(a + ": summary/description missing")
            if a not in fire:
                bad.append(a + ": never tested firing")
            if a not in quiet:
                bad.append(a + ": never tested quiet")
        else:
            n_rec += 1
            if not any(r["record"] in e for e in exprs):
                bad.append(r["record"] + ": recording rule not tested")
print("\n".join(bad) if bad else "OK %d alerts %d recording rules" % (n_alert, n_rec))
EOF
assert_match "every alert tested firing and quiet, every recording rule tested" '^OK ' "$(cat "$T/coverage")"
echo "# $(cat "$T/coverage" | head -5)"

# The tests bind: move one threshold and promtool test rules must fail.
sed 's/instance_target:tcp_echo_loss_ratio:rate5m > 0.05/instance_target:tcp_echo_loss_ratio:rate5m > 0.5/' \
	"$RULES" >"$T/mutant.rules.yml"
mkdir -p "$T/mut/rules" "$T/mut/tests"
cp "$T/mutant.rules.yml" "$T/mut/rules/promsnap.rules.yml"
cp "$NEI/prometheus/tests/promsnap.test.yml" "$T/mut/tests/"
if cmp -s "$RULES" "$T/mutant.rules.yml"; then
	not_ok "mutated threshold" "sed did not change the rules"
elif promtool test rules "$T/mut/tests/promsnap.test.yml" >/dev/null 2>&1; then
	not_ok "promtool tests fail when the loss threshold moves" "they still pass"
else
	ok "promtool tests fail when the loss threshold moves"
fi

# The real Prometheus: load the rules file into a throwaway Prometheus
# that scrapes the harness's node_exporter, and check every rule evaluates
# with health "ok" (no evaluation error) within a few rounds.
need_stack "rules in a real Prometheus"
need_cmd curl
port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ne_hostport=${NE_URL#http://}
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['$ne_hostport']
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$port" >"$T/prometheus.log" 2>&1 &
ppid=$!
on_exit "kill $ppid 2>/dev/null; wait $ppid 2>/dev/null"
url="http://127.0.0.1:$port"
rules_evaluated() {
	# jq 1.6 -e exits 0 on empty input: check the body is there first.
	_body=$(curl -fsS "$url/api/v1/rules") && [ -n "$_body" ] &&
		printf '%s' "$_body" | jq -e '
		[.data.groups[].rules[]] | length > 0 and
		all(.health == "ok")' >/dev/null
}
wait_until 30 rules_evaluated
if curl -fsS "$url/api/v1/rules" >/dev/null 2>&1; then
	bad=$(curl -fsS "$url/api/v1/rules" | jq -r '.data.groups[].rules[] |
		select(.health != "ok") | "\(.name): \(.health) \(.lastError)"')
	n=$(curl -fsS "$url/api/v1/rules" | jq '[.data.groups[].rules[]] | length')
	if [ -z "$bad" ]; then
		ok "real Prometheus loads and evaluates all $n rules without error"
	else
		not_ok "rules evaluate in a real Prometheus" "$(echo "$bad" | head -3)"
	fi
	PROM_URL=$url
	r=$(prom_wait 'count(promsnap:expected_interval_seconds)' 20)
	assert_eq "recording rule promsnap:expected_interval_seconds has 5 tools" 5 \
		"$(printf '%s' "$r" | jq -r '.[0].value[1]')"
else
	not_ok "rules evaluate in a real Prometheus" "no rules API in 30 s: $(tail -3 "$T/prometheus.log")"
fi

# End to end: a real run's file, served by a real node_exporter, scraped by
# a Prometheus that loads the rules, raises the alerts with the tool's
# labels.  A run that fails as a whole puts PromsnapToolFailing pending at
# once (it fires after its 5 m "for"); a state file that does not parse
# makes PromsnapStateReset fire at once.
if [ -x "$BIN/promsnap-selftest" ] && command -v prometheus-node-exporter >/dev/null; then
	tf=$T/e2e-tf
	mkdir -p "$tf" "$T/e2e-state"
	"$BIN/promsnap-selftest" -d "$tf" -s "$T/e2e-state/a" -o "$tf/a.prom" >/dev/null 2>&1
	"$BIN/promsnap-selftest" -d "$tf" -s "$T/e2e-state/a" -o "$tf/a.prom" --fail 78 >/dev/null 2>&1
	assert_eq "failing run still writes its file" 0 \
		"$(sed -n 's/^promsnap_run_success{tool="promsnap-selftest"} //p' "$tf/a.prom")"
	nport=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	prometheus-node-exporter --web.listen-address="127.0.0.1:$nport" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$tf" >"$T/e2e-ne.log" 2>&1 &
	npid=$!
	on_exit "kill $npid 2>/dev/null; wait $npid 2>/dev/null"
	sed "s|$ne_hostport|127.0.0.1:$nport|" "$T/prometheus.yml" >"$T/e2e-prometheus.yml"
	pport=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	prometheus --config.file="$T/e2e-prometheus.yml" --storage.tsdb.path="$T/e2e-tsdb" \
		--web.listen-address="127.0.0.1:$pport" >"$T/e2e-prometheus.log" 2>&1 &
	ppid2=$!
	on_exit "kill $ppid2 2>/dev/null; wait $ppid2 2>/dev/null"
	PROM_URL="http://127.0.0.1:$pport"
	r=$(prom_wait 'ALERTS{alertname="PromsnapToolFailing",alertstate="pending"}' 30)
	assert_eq "a real failing run makes PromsnapToolFailing pending for its tool" \
		"promsnap-selftest warning" "$(printf '%s' "$r" | jq -r '.[0].metric | "\(.tool) \(.severity)"')"
	# Corrupt state: the next run moves it aside and says so.
	echo "garbage" >"$T/e2e-state/a/state"
	"$BIN/promsnap-selftest" -d "$tf" -s "$T/e2e-state/a" -o "$tf/a.prom" >/dev/null 2>&1
	r=$(prom_wait 'ALERTS{alertname="PromsnapStateReset",alertstate="firing"}' 30)
	assert_eq "a real state reset makes PromsnapStateReset fire" \
		"promsnap-selftest info" "$(printf '%s' "$r" | jq -r '.[0].metric | "\(.tool) \(.severity)"')"
	# Same rule group as PromsnapStateReset: evaluated on the same scrape.
	assert_eq "the successful run ends PromsnapToolFailing" "[]" "$(prom_query 'ALERTS{alertname="PromsnapToolFailing"}' 2>/dev/null)"
else
	skip "end-to-end alerts" "promsnap-selftest not built or node_exporter missing"
fi
