#!/bin/bash
# SPDX-License-Identifier: MIT
# The Grafana dashboards: the committed JSON is what gen_dashboards.py
# makes; every dashboard has the data source, $job and $instance variables,
# units on every panel, no overlapping panels; every metric family of a
# tool (lib/metrics/<tool>.def) has a panel on that tool's dashboard; and
# every panel and variable query runs against the harness's real
# Prometheus without error, returning data whenever every series it reads
# is there.  Runs after every tool's tests (zz_), and first runs each
# tool's demo snippet (cmd/<tool>/demo.sh, safe local defaults) into the
# harness's textfile directory so the dashboards meet real files.
. "$TOP/tests/integration/lib.sh"
need_cmd python3
need_stack "dashboard queries"

G=$TOP/node-exporter-integration/grafana
mkdir -p "$T/gen"
if python3 "$G/gen_dashboards.py" "$T/gen" 2>"$T/gen.err"; then
	d=""
	for f in "$T"/gen/*.json; do
		cmp -s "$f" "$G/${f##*/}" || d="$d ${f##*/}"
	done
	n_gen=$(ls "$T"/gen/*.json | wc -l)
	n_com=$(ls "$G"/*.json | wc -l)
	[ "$n_gen" = "$n_com" ] || d="$d (generator makes $n_gen files, $n_com committed)"
	assert_eq "committed dashboards are gen_dashboards.py's output" "" "$d"
else
	not_ok "gen_dashboards.py runs" "$(head -3 "$T/gen.err")"
fi

# Real data from the tools' own demo snippets, run into a private
# directory and copied into the harness's only for a tool that has no file
# there yet (two files with one tool's health series would collide in
# node_exporter); removed again at exit.
for snippet in "$TOP"/cmd/*/demo.sh; do
	[ -f "$snippet" ] || continue
	tool=$(basename "$(dirname "$snippet")")
	# Demos are written for make demo's BIN (the optimised build/, whose
	# parent is the checkout); make check builds it too.
	[ -x "$TOP/build/$tool" ] || continue
	if grep -qs "^promsnap_run_success{tool=\"$tool\"}" "$TEXTFILE_DIR"/*.prom; then
		echo "# $tool already has a file in the harness directory: demo not needed"
		continue
	fi
	mkdir -p "$T/demo/$tool/state" "$T/demo/$tool/tmp" "$T/demo/$tool/tf"
	if DEMO_TEXTFILE=$T/demo/$tool/tf DEMO_STATE=$T/demo/$tool/state \
		DEMO_TMP=$T/demo/$tool/tmp BIN=$TOP/build \
		timeout -k 5 120 sh -c '. "$1"' demo "$snippet" \
		>"$T/demo/$tool.log" 2>&1 && [ -s "$T/demo/$tool/tf/$tool.prom" ]; then
		cp "$T/demo/$tool/tf/$tool.prom" "$TEXTFILE_DIR/.zz-ops-demo-$tool.tmp"
		mv "$TEXTFILE_DIR/.zz-ops-demo-$tool.tmp" "$TEXTFILE_DIR/zz-ops-demo-$tool.prom"
		on_exit "rm -f '$TEXTFILE_DIR/zz-ops-demo-$tool.prom'"
		echo "# demo of $tool wrote $tool.prom"
	else
		echo "# demo of $tool failed: $(tail -2 "$T/demo/$tool.log" | tr '\n' ' ')"
	fi
done

python3 - "$G" "$TOP/lib/metrics" "$PROM_URL" "$TEXTFILE_DIR" \
	"$TOP/node-exporter-integration/prometheus/rules/promsnap.rules.yml" <<'EOF'
import glob, json, os, re, sys, time, urllib.parse, urllib.request

gdir, defdir, prom, tfdir, rulesfile = sys.argv[1:6]
NAME = "zz_ops_dashboards"
failed = False

def ok(d): print("ok - %s: %s" % (NAME, d))
def not_ok(d, why):
    global failed
    failed = True
    print("not ok - %s: %s: %s" % (NAME, d, why))
def skip(d, why): print("ok - %s: %s # SKIP %s" % (NAME, d, why))

def query(q, t=None):
    data = {"query": q}
    if t is not None:
        data["time"] = "%.3f" % t
    req = urllib.request.Request(prom + "/api/v1/query",
                                 data=urllib.parse.urlencode(data).encode())
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    return body

# Metric families per tool, from the shared HELP/TYPE table.
families, types, helps = {}, {}, {}
for f in sorted(glob.glob(os.path.join(defdir, "*.def"))):
    stem = os.path.basename(f)[:-4]
    for m in re.finditer(r'^METRIC\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([A-Z]+)\s*,\s*"((?:[^"\\]|\\.)*)"',
                         open(f).read(), re.M):
        families.setdefault(stem, []).append(m.group(1))
        types[m.group(1)] = m.group(2)
        helps[m.group(1)] = re.sub(r"\\(.)", r"\1", m.group(3))
fam_tool = {n: stem.replace("_", "-") for stem, ns in families.items() for n in ns}
known = set(types) | {"node_textfile_scrape_error", "node_textfile_mtime_seconds", "ALERTS"}

boards = {}
for f in sorted(glob.glob(os.path.join(gdir, "*.json"))):
    try:
        boards[os.path.basename(f)] = json.load(open(f))
    except ValueError as e:
        not_ok("%s is JSON" % os.path.basename(f), e)

# --- structure -------------------------------------------------------------
uids = [b.get("uid") for b in boards.values()]
if len(set(uids)) == len(uids) and all(uids):
    ok("%d dashboards with distinct uids" % len(uids))
else:
    not_ok("distinct uids", uids)
for name, b in boards.items():
    bad = []
    vars_ = {v["name"]: v for v in b.get("templating", {}).get("list", [])}
    if vars_.get("datasource", {}).get("type") != "datasource" or \
            vars_.get("datasource", {}).get("query") != "prometheus":
        bad.append("no prometheus data source variable")
    for v in ("job", "instance"):
        if v not in vars_:
            bad.append("no $%s variable" % v)
    ids, rects = set(), []
    for p in b.get("panels", []):
        if p["id"] in ids:
            bad.append("duplicate panel id %s" % p["id"])
        ids.add(p["id"])
        g = p["gridPos"]
        if g["x"] < 0 or g["x"] + g["w"] > 24:
            bad.append("%s: outside the 24-column grid" % p["title"])
        for (x, y, w, h, t) in rects:
            if g["x"] < x + w and x < g["x"] + g["w"] and g["y"] < y + h and y < g["y"] + g["h"]:
                bad.append("%s overlaps %s" % (p["title"], t))
        rects.append((g["x"], g["y"], g["w"], g["h"], p["title"]))
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            bad.append("%s: data source is not $datasource" % p["title"])
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            bad.append("%s: no unit" % p["title"])
        if not p.get("targets"):
            bad.append("%s: no query" % p["title"])
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid") != "${datasource}":
                bad.append("%s/%s: query data source" % (p["title"], t.get("refId")))
    if bad:
        not_ok("%s structure" % name, "; ".join(bad[:4]))
    else:
        ok("%s: data source, $job/$instance variables, units, grid (%d panels)" % (name, len(ids)))

# --- coverage: every family of a tool is on its dashboard -------------------
def exprs(b):
    for p in b.get("panels", []):
        for t in p.get("targets", []):
            yield p, t["expr"]
tool_board = {"trace_once": "promsnap-trace-once.json",
              "tcpping_burst": "promsnap-tcpping-burst.json",
              "qemu_netsnap": "promsnap-qemu-netsnap.json",
              "sni_scan": "promsnap-sni-scan.json",
              "bpf_snap": "promsnap-bpf-snap.json",
              "health": "promsnap-overview.json"}
for stem, names in sorted(families.items()):
    if stem not in tool_board:
        continue  # test-only families (selftest)
    b = boards.get(tool_board[stem])
    if b is None:
        not_ok("%s dashboard exists" % stem, "missing %s" % tool_board[stem])
        continue
    text = "\n".join(e for _, e in exprs(b))
    tokens = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text))
    missing = []
    for n in names:
        forms = {n}
        if types[n] == "HISTOGRAM":
            forms = {n + "_bucket", n + "_sum", n + "_count"}
        if not forms & tokens:
            missing.append(n)
    if missing:
        not_ok("%s: a panel for every family of lib/metrics/%s.def" % (tool_board[stem], stem),
               "no panel reads " + ", ".join(missing))
    else:
        ok("%s: a panel for every family of lib/metrics/%s.def (%d)" % (tool_board[stem], stem, len(names)))

# --- queries against the real Prometheus ------------------------------------
SUBST = [("$__rate_interval", "5m"), ("$__interval", "15s"), ("$__range", "1h"),
         ("${datasource}", ""), ("$datasource", "")]
# Variables take the first value their own query offers, as Grafana
# selects it, so a misspelt label in a panel returns nothing and fails;
# ".*" (All) when the variable has no value.
def substitute(e, values):
    for a, b_ in SUBST:
        e = e.replace(a, b_)
    return re.sub(r"\$\{?(job|instance|target|sni|uuid|process)\}?",
                  lambda m: values.get(m.group(1), ".*"), e)

def resolve(b):
    values = {}
    for v in b["templating"]["list"]:
        if v.get("type") != "query":
            continue
        m = re.match(r"label_values\((.*),\s*(\w+)\)$", v["query"]["query"])
        if not m:
            continue
        r = query("count by (%s) (%s)" % (m.group(2), substitute(m.group(1), values)))
        vals = sorted(x["metric"].get(m.group(2), "") for x in r.get("data", {}).get("result", []))
        vals = [x for x in vals if re.match(r"^[A-Za-z0-9_:./ -]+$", x)]
        if vals:
            values[v["name"]] = vals[0]
            choices[v["name"]] = vals[:20]
    return values
choices = {}

sel_re = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?")
present_cache = {}
def present(sel):
    """The series a selector reads exist now and have 2+ samples in 5m."""
    if sel not in present_cache:
        # Judged at the same instant as the panel queries: a file that
        # appears or goes between the two must not count as "exists but
        # returned nothing".
        r = query("count(%s) > 0 and count(count_over_time(%s[5m]) >= 2) > 0" % (sel, sel), now)
        present_cache[sel] = r.get("status") == "success" and bool(r["data"]["result"])
    return present_cache[sel]

def selectors(e, values):
    """The families a query reads, on the selected job and instance only:
    a panel's own label matchers must not decide whether it may be
    empty (a misspelt label would then pass as "absent")."""
    out = []
    for m in sel_re.finditer(e):
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name in known or (base in known and types.get(base) == "HISTOGRAM"):
            # A fixed tool="..." matcher (the health rows) names which
            # file the panel reads; keep it, it is not a variable.
            tool = re.search(r'tool="([^"]*)"', m.group(2) or "")
            out.append('%s{job=~"%s",instance=~"%s"%s}' % (
                name, values.get("job", ".*"), values.get("instance", ".*"),
                ',tool="%s"' % tool.group(1) if tool else ""))
    return out

# Where a tool left no file of its own (not landed yet, or its demo
# failed), a fixture in the shape its issue fixes (label names included)
# stands in, so every panel still meets data; removed at the end.
LABELS = {
    "mtr_hop_": ["target", "hop", "ip", "asn", "org", "ttl"],
    "mtr_runs_total": ["target", "result"],
    "mtr_route_volatility": ["target", "route_changed", "hop_count_variance", "latency_jitter"],
    "mtr_": ["target"],
    "tcp_": ["target", "address"],
    "tcpping_echo_": [],
    "qemu_network_window_coverage_seconds": ["uuid", "window"],
    "qemu_network_interfaces": ["uuid"],
    "qemu_network_interface_": ["uuid", "interface", "direction"],
    "qemu_network_": ["uuid", "direction"],
    "qemu_vm_info": ["uuid", "name", "pid"],
    "haproxy_sni_": ["sni"],
    "sni_scan_lines_total": ["log", "result"],
    "sni_scan_series_dropped_total": [],
    "sni_scan_": ["log"],
    "netagent_connect_total": ["process", "proto", "dport"],
    "netagent_connect_failures_total": ["process", "dport"],
    "netagent_connect_duration_seconds": ["process", "dport"],
    "netagent_": ["process", "proto", "dport", "dst_ip"],
    "bpf_snap_map_": ["map"], "bpf_snap_dropped_keys_total": ["map"],
}
def labels_of(n):
    best = max((k for k in LABELS if n.startswith(k)), key=len, default=None)
    return LABELS[best] if best else []
VAL = {"hop": "last", "ttl": "1", "ip": "127.0.0.1", "asn": "unknown", "org": "unknown",
       "address": "127.0.0.1:4000", "direction": "rx", "window": "1min",
       "interface": "tap0", "pid": "1", "proto": "tcp", "dport": "443",
       "dst_ip": "127.0.0.1", "result": "ok", "log": "/var/log/haproxy.log",
       "route_changed": "0", "hop_count_variance": "0", "latency_jitter": "0"}
def esc(v): return v.replace("\\", "\\\\").replace("\n", "\\n")
fixtures, tool_of = [], {}
for stem, bname in tool_board.items():
    if stem == "health":
        continue
    tool = stem.replace("_", "-")
    # Any file with the tool's health series is the tool's own, whatever
    # its name; a fixture beside it would duplicate those series.
    mark = 'promsnap_run_success{tool="%s"}' % tool
    own = False
    for f in glob.glob(os.path.join(tfdir, "*.prom")):
        with open(f, errors="replace") as fh:
            if any(l.startswith(mark) for l in fh):
                own = True
                break
    if own or stem not in families:
        continue
    lines = []
    fams = families[stem] + families.get("health", [])
    for n in sorted(fams):
        ls = labels_of(n) if n not in families.get("health", []) else ["tool"]
        lab = {l: VAL.get(l, "zz-fixture") for l in ls}
        if "tool" in lab: lab["tool"] = tool
        if n == "promsnap_build_info": lab["version"] = "0.0.0-fixture"
        def fmt(extra=None):
            d = dict(lab, **(extra or {}))
            return "{" + ",".join('%s="%s"' % (k, v) for k, v in d.items()) + "}" if d else ""
        t = types[n]
        lines.append("# HELP %s %s" % (n, esc(helps[n])))
        lines.append("# TYPE %s %s" % (n, {"INFO": "gauge"}.get(t, t.lower())))
        if t == "HISTOGRAM":
            for le, c in (("0.001", 1), ("0.1", 3), ("+Inf", 4)):
                lines.append("%s_bucket%s %d" % (n, fmt({"le": le}), c))
            lines.append("%s_sum%s 0.25" % (n, fmt()))
            lines.append("%s_count%s 4" % (n, fmt()))
        else:
            v = {"promsnap_run_success": time.time() and 1,
                 "promsnap_last_run_timestamp_seconds": int(time.time()),
                 "promsnap_last_success_timestamp_seconds": int(time.time())}.get(n, 1)
            lines.append("%s%s %s" % (n, fmt(), v))
    path = os.path.join(tfdir, "zz-ops-fixture-%s.prom" % tool)
    tmp = os.path.join(tfdir, ".zz-ops-fixture-%s.tmp" % tool)
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)
    fixtures.append(path)
    tool_of[path] = tool
for p in fixtures:
    import subprocess
    r = subprocess.run(["promtool", "check", "metrics"], stdin=open(p), capture_output=True, text=True)
    lint = [l for l in (r.stdout + r.stderr).splitlines() if l and '"_total" suffix' not in l and "unit" not in l]
    if lint:
        not_ok("fixture %s passes promtool check metrics" % os.path.basename(p), lint[0])
if fixtures:
    print("# fixtures stand in for: " + ", ".join(tool_of[p] for p in fixtures))

# Wait until every file is scraped twice (1 s interval): rate() needs 2.
expect = 0
for f in glob.glob(os.path.join(tfdir, "*.prom")):
    with open(f, errors="replace") as fh:
        expect += sum(1 for l in fh if l.startswith("promsnap_run_success{"))
deadline = time.time() + 15
while expect and time.time() < deadline:
    r = query('count(count_over_time(promsnap_run_success[5m]) >= 2)')
    if r.get("status") == "success" and r["data"]["result"] and \
            int(r["data"]["result"][0]["value"][1]) >= expect:
        break
    time.sleep(0.3)
# The label names the panels (and the fixtures) assume are the ones the
# real tools write, wherever a real file is there to compare with.
def series_labels(name):
    url = prom + "/api/v1/series?" + urllib.parse.urlencode({"match[]": name})
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            data = json.load(r).get("data", [])
    except Exception:
        return None
    return [set(d) - {"__name__", "instance", "job", "le"} for d in data]
fixture_tools = set(tool_of.values())
for stem in sorted(tool_board):
    tool = stem.replace("_", "-")
    if stem == "health" or tool in fixture_tools or stem not in families:
        continue
    checked, wrong = 0, []
    for n in families[stem]:
        sets = series_labels(n + ("_count" if types[n] == "HISTOGRAM" else ""))
        if not sets:
            continue
        checked += 1
        want = set(labels_of(n))
        if not any(want <= s_ for s_ in sets):
            wrong.append("%s has %s, dashboards assume %s" % (
                n, sorted(set().union(*sets)), sorted(want)))
    if wrong:
        not_ok("%s: label names on the dashboard match the tool's real file" % tool, "; ".join(wrong[:3]))
    elif checked:
        ok("%s: label names on the dashboard match the tool's real file (%d families)" % (tool, checked))
# Say so when a file's health series do not reach Prometheus (two files
# with one tool's series make node_exporter drop them): the panels that
# read them are then skipped, not failed.
for f in sorted(glob.glob(os.path.join(tfdir, "*.prom"))):
    with open(f, errors="replace") as fh:
        tools_in = set(re.findall(r'^promsnap_run_success\{tool="([^"]+)"\}', fh.read(), re.M))
    for t_ in sorted(tools_in):
        r = query('promsnap_run_success{tool="%s"}' % t_)
        if not (r.get("status") == "success" and r["data"]["result"]):
            print("# %s: promsnap_run_success{tool=\"%s\"} is not served by node_exporter" % (os.path.basename(f), t_))
r = query("max(node_textfile_scrape_error)")
if r.get("status") == "success" and r["data"]["result"] and r["data"]["result"][0]["value"][1] == "0":
    ok("node_exporter reads every file in the textfile directory (node_textfile_scrape_error 0)")
else:
    not_ok("node_textfile_scrape_error 0", r)

def evaluate(b):
    global now
    errors, required, got, absent = [], 0, 0, set()
    choices.clear()
    now = time.time()
    present_cache.clear()
    values = resolve(b)
    qs = [(p["title"], substitute(e, values), e) for p, e in exprs(b)]
    for v in b["templating"]["list"]:
        if v.get("type") == "query":
            m = re.match(r"label_values\((.*),\s*(\w+)\)$", v["query"]["query"])
            if not m:
                errors.append("$%s: not label_values(metric, label)" % v["name"])
                continue
            q_ = "count by (%s) (%s)" % (m.group(2), m.group(1))
            qs.append(("$" + v["name"], substitute(q_, values), q_))
    for title, e, e0 in qs:
        r = query(e, now)
        if r.get("status") != "success":
            errors.append("%s: %s" % (title, r.get("error")))
            continue
        sels = selectors(e, values)
        if not sels:
            errors.append("%s: reads no known metric: %s" % (title, e))
            continue
        if all(present(s) for s in sels):
            required += 1
            if not r["data"]["result"]:
                # The first value of the tool's own variable may have no
                # such series (a process that only connects): any value
                # that returns data will do, as choosing it would in
                # Grafana.  A misspelt label matches no value at all.
                for var in ("target", "sni", "uuid", "process"):
                    if var not in values:
                        continue
                    # values of this label on the families the panel reads
                    # (Grafana's "All" would show them)
                    cand = list(choices.get(var, [])[1:])
                    for sel_ in sels:
                        rr = query("count by (%s) (%s)" % (var, sel_))
                        cand += [x["metric"].get(var, "") for x in rr.get("data", {}).get("result", [])]
                    cand = [c for c in dict.fromkeys(cand) if re.match(r"^[A-Za-z0-9_:./ -]+$", c)][:40]
                    for val_ in cand:
                        r2 = query(substitute(e0, dict(values, **{var: val_})), now)
                        if r2.get("status") == "success" and r2["data"]["result"]:
                            r = r2
                            break
            if r["data"]["result"]:
                got += 1
            else:
                errors.append("%s: empty although its series exist: %s" % (title, e))
        else:
            absent |= {re.sub(r"\{.*", "", s) for s in sels if not present(s)}
    return errors, required, got, absent, values, qs

for name, b in boards.items():
    # A series that appeared in the last scrape has one sample, and a
    # rate() over it is empty until the next: evaluate again a few
    # seconds later before calling "exists but empty" a failure.
    for attempt in range(4):
        errors, required, got, absent, values, qs = evaluate(b)
        if not errors or attempt == 3 or not all(
                "empty although its series exist" in x for x in errors):
            break
        time.sleep(2.5)
    if errors:
        not_ok("%s: %d queries" % (name, len(qs)), "; ".join(errors[:3]))
    else:
        ok("%s: all %d queries run without error; %d of them read series that exist and all returned data (%s)"
           % (name, len(qs), required, ", ".join("$%s=%s" % kv for kv in sorted(values.items()))))
    if absent:
        skip("%s: non-empty check for %d queries" % (name, len(qs) - required),
             "not in the harness Prometheus now: " + ", ".join(sorted(absent)))
# The recording rules' expressions on the same data (real where a tool
# wrote a file, fixtures otherwise): each returns series, so their label
# names and functions fit what the tools write.
try:
    import yaml
    groups = yaml.safe_load(open(rulesfile))["groups"]
except Exception as e:
    groups = []
    not_ok("read %s" % rulesfile, e)
for g in groups:
    for r_ in g["rules"]:
        if "record" not in r_ or r_["record"] == "promsnap:expected_interval_seconds":
            continue
        e = r_["expr"]
        res = query(e, now)
        sels = selectors(e, {})
        tools_ = {fam_tool.get(re.sub(r"(_bucket|_sum|_count)?\{.*", "", s_)) for s_ in sels}
        src = "fixture" if tools_ & fixture_tools else "the tools' own"
        if res.get("status") != "success":
            not_ok("recording rule %s evaluates" % r_["record"], res.get("error"))
        elif res["data"]["result"]:
            ok("recording rule %s: %d series on %s data" % (
                r_["record"], len(res["data"]["result"]), src))
        elif all(present(s_) for s_ in sels):
            not_ok("recording rule %s" % r_["record"], "empty although %s exist" % ", ".join(sels))
        else:
            skip("recording rule %s" % r_["record"], "its series are not in the harness now")
for p in fixtures:
    os.unlink(p)
sys.exit(1 if failed else 0)
EOF
