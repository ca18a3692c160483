#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate promsnap's Grafana dashboards (one per tool and an overview).

The JSON files next to this script are its output and are what gets
installed and imported; edit the panels here and run
    python3 node-exporter-integration/grafana/gen_dashboards.py
to rewrite them (tests/integration/zz_ops_dashboards.sh fails when the
committed JSON and this script disagree, and runs every panel's query
against a real Prometheus).

Every dashboard: a Prometheus data source variable, $job and $instance
(plus the tool's own: $target, $sni, $uuid, $process), units on every
panel, and a health row from the promsnap_* series of its tool.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DS = {"type": "prometheus", "uid": "${datasource}"}
SEL = 'job=~"$job",instance=~"$instance"'
RI = "$__rate_interval"


def sel(extra=""):
    return "{" + SEL + ("," + extra if extra else "") + "}"


class Board:
    def __init__(self, uid, title, description, var=None):
        self.uid, self.title, self.description = uid, title, description
        self.var = var  # (name, label, metric) or None
        self.panels = []
        self.y = 0
        self.x = 0
        self.row_h = 0
        self.next_id = 1

    def row(self, title):
        self._newline()
        self.panels.append({"type": "row", "title": title, "id": self._id(),
                            "collapsed": False, "panels": [],
                            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}})
        self.y += 1

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def _newline(self):
        if self.x:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0

    def panel(self, title, unit, queries, kind="timeseries", w=12, h=8,
              description="", mappings=None, stack=False):
        """queries: list of (expr, legend) or (expr, legend, instant)."""
        if self.x + w > 24:
            self._newline()
        targets = []
        for i, q in enumerate(queries):
            expr, legend = q[0], q[1]
            t = {"datasource": DS, "expr": expr, "legendFormat": legend,
                 "refId": chr(ord("A") + i)}
            if kind in ("stat", "table", "bargauge") or (len(q) > 2 and q[2]):
                t["instant"] = True
                t["range"] = False
            if kind == "table":
                t["format"] = "table"
            targets.append(t)
        defaults = {"unit": unit}
        if mappings:
            defaults["mappings"] = mappings
        if kind == "timeseries":
            defaults["custom"] = {"drawStyle": "line", "lineWidth": 1,
                                  "fillOpacity": 10 if stack else 0,
                                  "showPoints": "never",
                                  "stacking": {"mode": "normal" if stack else "none"}}
        p = {"type": kind, "title": title, "id": self._id(),
             "datasource": DS, "description": description,
             "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y},
             "fieldConfig": {"defaults": defaults, "overrides": []},
             "options": {}, "targets": targets}
        if kind == "timeseries":
            p["options"] = {"legend": {"displayMode": "list", "placement": "bottom",
                                       "showLegend": True},
                            "tooltip": {"mode": "multi", "sort": "desc"}}
        elif kind == "stat":
            p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"],
                                              "fields": "", "values": False},
                            "colorMode": "value", "graphMode": "none",
                            "textMode": "value_and_name"}
        elif kind == "table":
            p["options"] = {"showHeader": True}
            p["transformations"] = [{"id": "merge", "options": {}}]
        self.panels.append(p)
        self.x += w
        self.row_h = max(self.row_h, h)

    def health(self, tool):
        t = 'tool="%s"' % tool
        self.row("Health of %s runs" % tool)
        ok = [{"type": "value", "options": {
            "0": {"text": "failed", "color": "red", "index": 0},
            "1": {"text": "ok", "color": "green", "index": 1}}}]
        self.panel("Last run", "none",
                   [("promsnap_run_success" + sel(t), "{{instance}}")],
                   kind="stat", w=6, h=5, mappings=ok,
                   description="promsnap_run_success: 1 if the last run succeeded as a whole.")
        self.panel("Since last success", "s",
                   [("time() - promsnap_last_success_timestamp_seconds" + sel(t), "{{instance}}")],
                   kind="stat", w=6, h=5,
                   description="Alerts fire after 3 timer intervals (PromsnapTextfileStale).")
        self.panel("Run duration", "s",
                   [("promsnap_run_duration_seconds" + sel(t), "{{instance}}")],
                   w=6, h=5)
        self.panel("Since last run", "s",
                   [("time() - promsnap_last_run_timestamp_seconds" + sel(t), "{{instance}}")],
                   kind="stat", w=6, h=5)

    def json(self):
        tmpl = [
            {"name": "datasource", "label": "Data source", "type": "datasource",
             "query": "prometheus", "current": {}, "hide": 0, "refresh": 1,
             "regex": "", "options": []},
            {"name": "job", "label": "job", "type": "query", "datasource": DS,
             "query": {"query": "label_values(promsnap_build_info, job)",
                       "refId": "job"},
             "definition": "label_values(promsnap_build_info, job)",
             "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
             "current": {}, "options": [], "sort": 1, "hide": 0, "regex": ""},
            {"name": "instance", "label": "instance", "type": "query",
             "datasource": DS,
             "query": {"query": 'label_values(promsnap_build_info{job=~"$job"}, instance)',
                       "refId": "instance"},
             "definition": 'label_values(promsnap_build_info{job=~"$job"}, instance)',
             "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
             "current": {}, "options": [], "sort": 1, "hide": 0, "regex": ""},
        ]
        if self.var:
            name, label, metric = self.var
            q = 'label_values(%s{job=~"$job",instance=~"$instance"}, %s)' % (metric, label)
            tmpl.append({"name": name, "label": label, "type": "query",
                         "datasource": DS, "query": {"query": q, "refId": name},
                         "definition": q, "refresh": 2, "includeAll": True,
                         "multi": True, "allValue": ".*", "current": {},
                         "options": [], "sort": 1, "hide": 0, "regex": ""})
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": ["promsnap"], "timezone": "browser", "editable": True,
            "schemaVersion": 37, "version": 1, "refresh": "1m",
            "time": {"from": "now-6h", "to": "now"}, "graphTooltip": 1,
            "links": [{"type": "dashboards", "tags": ["promsnap"], "asDropdown": True,
                       "title": "promsnap", "includeVars": True, "keepTime": True}],
            "annotations": {"list": []},
            "templating": {"list": tmpl},
            "panels": self.panels,
        }


def overview():
    b = Board("promsnap-overview", "promsnap / overview",
              "Health of every promsnap tool on the selected hosts, and one headline figure per tool.")
    ok = [{"type": "value", "options": {
        "0": {"text": "failed", "color": "red", "index": 0},
        "1": {"text": "ok", "color": "green", "index": 1}}}]
    b.row("Tools")
    b.panel("Last run per tool", "none",
            [("promsnap_run_success" + sel(), "{{instance}} {{tool}}")],
            kind="stat", w=24, h=5, mappings=ok)
    b.panel("Since last success", "s",
            [("time() - promsnap_last_success_timestamp_seconds" + sel(), "{{instance}} {{tool}}")],
            w=12)
    b.panel("Run duration", "s",
            [("promsnap_run_duration_seconds" + sel(), "{{instance}} {{tool}}")], w=12)
    b.panel("Since last run", "s",
            [("time() - promsnap_last_run_timestamp_seconds" + sel(), "{{instance}} {{tool}}")], w=8)
    b.panel("State resets", "none",
            [("promsnap_state_reset" + sel(), "{{instance}} {{tool}}")], w=8,
            description="1 when a tool found its state unreadable and started from zero.")
    b.panel("Textfile scrape errors", "none",
            [("node_textfile_scrape_error" + sel(), "{{instance}}")], w=8,
            description="node_exporter could not read a .prom file in its textfile directory.")
    b.panel("Builds", "none",
            [("promsnap_build_info" + sel(), "")], kind="table", w=12, h=6)
    b.panel("Firing alerts (promsnap.rules.yml)", "none",
            [('sum by (alertname, severity, instance, tool, target) (ALERTS{alertstate="firing",%s})' % SEL, "")],
            kind="table", w=12, h=6,
            description="Needs the rules loaded into this Prometheus.")
    b.row("Headlines")
    b.panel("tcpping-burst: probe loss", "percentunit",
            [("1 - sum by (instance, target) (rate(tcp_echo_received_total%s[%s])) / sum by (instance, target) (rate(tcp_echo_sent_total%s[%s]))" % (sel(), RI, sel(), RI),
              "{{instance}} {{target}}")], w=12)
    b.panel("trace-once: loss at the destination", "percentunit",
            [("mtr_report_loss" + sel(), "{{instance}} {{target}}")], w=12)
    b.panel("sni-scan: bytes to clients", "Bps",
            [("sum by (instance) (rate(haproxy_sni_total_bytes%s[%s]))" % (sel(), RI), "{{instance}}")], w=8)
    b.panel("qemu-netsnap: VM traffic", "Bps",
            [("sum by (instance, direction) (rate(qemu_network_total_bytes%s[%s]))" % (sel(), RI),
              "{{instance}} {{direction}}")], w=8)
    b.panel("bpf-snap: connects and sends", "cps",
            [("sum by (instance, proto) (rate(netagent_connect_total%s[%s]))" % (sel(), RI),
              "{{instance}} {{proto}}")], w=8)
    return b


def tcpping():
    b = Board("promsnap-tcpping-burst", "promsnap / tcpping-burst",
              "TCP echo probe bursts: loss, RTT histogram, adaptive timeout; and the echo server.",
              ("target", "target", "tcp_echo_sent_total"))
    s = sel('target=~"$target"')
    b.health("tcpping-burst")
    b.row("Loss and reachability")
    b.panel("Probe loss", "percentunit",
            [("1 - sum by (instance, target) (rate(tcp_echo_received_total%s[%s])) / sum by (instance, target) (rate(tcp_echo_sent_total%s[%s]))" % (s, RI, s, RI),
              "{{instance}} {{target}}")],
            description="Probes without a valid echo, over the rate window.")
    b.panel("Loss in the last burst", "percentunit",
            [("tcp_echo_burst_loss_ratio" + s, "{{instance}} {{target}}")])
    b.panel("Connected", "none",
            [("tcp_echo_connected" + s, "{{instance}} {{target}} {{address}}")], w=8,
            description="1 if the last burst connected.")
    b.panel("Probes per second", "pps",
            [("sum by (instance, target) (rate(tcp_echo_sent_total%s[%s]))" % (s, RI), "sent {{target}}"),
             ("sum by (instance, target) (rate(tcp_echo_received_total%s[%s]))" % (s, RI), "received {{target}}"),
             ("sum by (instance, target) (rate(tcp_echo_timeouts_total%s[%s]))" % (s, RI), "timeouts {{target}}"),
             ("sum by (instance, target) (rate(tcp_echo_dropped_total%s[%s]))" % (s, RI), "dropped {{target}}"),
             ("sum by (instance, target) (rate(tcp_echo_late_total%s[%s]))" % (s, RI), "late {{target}}"),
             ("sum by (instance, target) (rate(tcp_echo_garbage_total%s[%s]))" % (s, RI), "garbage {{target}}")],
            w=16)
    b.row("Round-trip time")
    b.panel("RTT quantiles", "s",
            [("histogram_quantile(%s, sum by (instance, target, le) (rate(tcp_echo_rtt_seconds_bucket%s[%s])))" % (q, s, RI),
              "p%s {{target}}" % n) for q, n in (("0.5", "50"), ("0.9", "90"), ("0.99", "99"))])
    b.panel("Average and last RTT", "s",
            [("sum by (instance, target) (rate(tcp_echo_rtt_seconds_sum%s[%s])) / sum by (instance, target) (rate(tcp_echo_rtt_seconds_count%s[%s]))" % (s, RI, s, RI),
              "avg {{target}}"),
             ("tcp_echo_last_rtt_seconds" + s, "last {{target}}")])
    b.panel("Adaptive timeout (RTO)", "s",
            [("tcp_echo_estimated_timeout_seconds" + s, "{{instance}} {{target}}")])
    b.panel("Handshake time quantiles (--mode connect)", "s",
            [("histogram_quantile(%s, sum by (instance, target, le) (rate(tcp_connect_duration_seconds_bucket%s[%s])))" % (q, s, RI),
              "p%s {{target}}" % n) for q, n in (("0.5", "50"), ("0.9", "90"), ("0.99", "99"))])
    b.row("Echo server (tcpping-burst --serve)")
    e = sel()
    b.panel("Connections per second", "cps",
            [("sum by (instance) (rate(tcpping_echo_connections_accepted_total%s[%s]))" % (e, RI), "accepted {{instance}}"),
             ("sum by (instance) (rate(tcpping_echo_connections_rejected_total%s[%s]))" % (e, RI), "rejected {{instance}}"),
             ("sum by (instance) (rate(tcpping_echo_connections_closed_total%s[%s]))" % (e, RI), "closed {{instance}}")])
    b.panel("Probes echoed per second", "pps",
            [("sum by (instance) (rate(tcpping_echo_probes_total%s[%s]))" % (e, RI), "{{instance}}")], w=6)
    b.panel("Open connections", "none",
            [("tcpping_echo_open_connections" + e, "{{instance}}")], w=6)
    b.panel("Server uptime", "s",
            [("time() - tcpping_echo_start_time_seconds" + e, "{{instance}}")], kind="stat", w=6, h=5)
    return b


def trace():
    b = Board("promsnap-trace-once", "promsnap / trace-once",
              "MTR reports per target: loss and latency per hop with ASN/org, route changes.",
              ("target", "target", "mtr_report_hops"))
    s = sel('target=~"$target"')
    b.health("trace-once")
    b.row("Destination")
    b.panel("Loss at the destination", "percentunit",
            [("mtr_report_loss" + s, "{{instance}} {{target}}")])
    b.panel("Destination reached", "none",
            [("mtr_report_reached" + s, "reached {{target}}"),
             ("mtr_report_success" + s, "report ok {{target}}")])
    b.panel("Hop count", "none", [("mtr_report_hops" + s, "{{target}}")], w=8)
    b.panel("Report duration", "ms", [("mtr_report_duration_ms" + s, "{{target}}")], w=8)
    b.panel("Packets per hop", "none", [("mtr_report_packets" + s, "{{target}}")], w=8)
    b.panel("mtr runs per second by result", "ops",
            [("sum by (instance, target, result) (rate(mtr_runs_total%s[%s]))" % (s, RI),
              "{{target}} {{result}}")], w=24)
    b.row("Hops")
    legend = "{{target}} #{{ttl}} {{ip}} AS{{asn}} {{org}}"
    b.panel("Loss per hop", "percentunit", [("mtr_hop_loss_ratio" + s, legend)])
    b.panel("Average RTT per hop", "ms", [("mtr_hop_avg_ms" + s, legend)])
    b.panel("Best, worst and last RTT per hop", "ms",
            [("mtr_hop_best_ms" + s, "best " + legend),
             ("mtr_hop_worst_ms" + s, "worst " + legend),
             ("mtr_hop_last_ms" + s, "last " + legend)])
    b.panel("RTT standard deviation per hop", "ms", [("mtr_hop_stddev_ms" + s, legend)])
    b.panel("Probes sent per hop per second", "pps",
            [("rate(mtr_hop_sent_total%s[%s])" % (s, RI), legend)], w=24)
    b.row("Route")
    b.panel("Route changed in the last run", "none",
            [("mtr_route_changed" + s, "{{target}}")], w=8)
    b.panel("Route changes per day", "none",
            [("increase(mtr_route_changes_total%s[1d])" % s, "{{target}}")], w=8)
    b.panel("Since the last route change", "s",
            [("time() - mtr_route_last_change_timestamp_seconds" + s, "{{target}}")], w=8)
    b.panel("Hop count variance", "none",
            [("mtr_route_hop_count_variance" + s, "{{target}}")], w=8)
    b.panel("Latency jitter between reports", "ms",
            [("mtr_route_latency_jitter_ms" + s, "{{target}}")], w=8)
    b.panel("Path changes (mtr_route_path_id)", "none",
            [("changes(mtr_route_path_id%s[1h])" % s, "{{target}}")], w=8,
            description="Number of different paths in the last hour.")
    b.panel("Legacy volatility labels (--legacy-volatility-labels)", "none",
            [("mtr_route_volatility" + s, "")], kind="table", w=24, h=6)
    return b


def qemu():
    b = Board("promsnap-qemu-netsnap", "promsnap / qemu-netsnap",
              "Per-VM network traffic of running QEMU processes (rx = received by the guest).",
              ("uuid", "uuid", "qemu_network_total_bytes"))
    s = sel('uuid=~"$uuid"')
    b.health("qemu-netsnap")
    b.row("Traffic per VM")
    b.panel("Bytes per second", "Bps",
            [("sum by (instance, uuid, direction) (rate(qemu_network_total_bytes%s[%s]))" % (s, RI),
              "{{uuid}} {{direction}}")], w=24)
    b.panel("Bytes in time windows (from state)", "bytes",
            [("qemu_network_%s_bytes%s" % (w, s), "%s {{uuid}} {{direction}}" % w)
             for w in ("30s", "1min", "5min", "15min", "1h")])
    b.panel("Window coverage", "s",
            [("qemu_network_window_coverage_seconds" + s, "{{uuid}} {{window}}")],
            description="How much of each window the state covers so far.")
    b.row("Interfaces")
    b.panel("Interface bytes per second", "Bps",
            [("rate(qemu_network_interface_bytes_total%s[%s])" % (s, RI),
              "{{uuid}} {{interface}} {{direction}}")])
    b.panel("Interface packets per second", "pps",
            [("rate(qemu_network_interface_packets_total%s[%s])" % (s, RI),
              "{{uuid}} {{interface}} {{direction}}")])
    b.panel("Interface drops per second", "pps",
            [("rate(qemu_network_interface_dropped_total%s[%s])" % (s, RI),
              "{{uuid}} {{interface}} {{direction}}")], w=8)
    b.panel("Interfaces per VM", "none",
            [("qemu_network_interfaces" + s, "{{uuid}}")], w=8,
            description="0 for a VM without a kernel tap (vhost-user).")
    b.panel("VMs and unreadable processes", "none",
            [("qemu_netsnap_vms" + sel(), "VMs {{instance}}"),
             ("qemu_netsnap_unreadable_processes" + sel(), "unreadable {{instance}}")], w=8)
    b.panel("VMs", "none", [("qemu_vm_info" + s, "")], kind="table", w=24, h=6)
    return b


def sni():
    b = Board("promsnap-sni-scan", "promsnap / sni-scan",
              "Per-SNI traffic from HAProxy logs, and how sni-scan reads them.",
              ("sni", "sni", "haproxy_sni_connections"))
    s = sel('sni=~"$sni"')
    b.health("sni-scan")
    b.row("Traffic per SNI")
    b.panel("Bytes to clients per second (top 20)", "Bps",
            [("topk(20, sum by (instance, sni) (rate(haproxy_sni_total_bytes%s[%s])))" % (s, RI), "{{sni}}")])
    b.panel("Bytes from clients per second (top 20)", "Bps",
            [("topk(20, sum by (instance, sni) (rate(haproxy_sni_uploaded_bytes_total%s[%s])))" % (s, RI), "{{sni}}")])
    b.panel("Connections per second (top 20)", "cps",
            [("topk(20, sum by (instance, sni) (rate(haproxy_sni_connections%s[%s])))" % (s, RI), "{{sni}}")])
    b.panel("Zero-byte connections per second", "cps",
            [("topk(20, sum by (instance, sni) (rate(haproxy_sni_zero_bytes%s[%s])))" % (s, RI), "{{sni}}")])
    b.panel("Share of zero-byte connections", "percentunit",
            [("sum by (instance) (rate(haproxy_sni_zero_bytes%s[%s])) / sum by (instance) (rate(haproxy_sni_connections%s[%s]))" % (s, RI, s, RI),
              "{{instance}}")], w=12)
    b.panel("Distinct SNIs kept", "none",
            [("count by (instance) (haproxy_sni_connections%s)" % sel(), "{{instance}}")], w=12,
            description="Capped by max_series; beyond it traffic goes to sni=\"other\".")
    b.row("Reading the logs")
    b.panel("Lines per second by result", "ops",
            [("sum by (instance, log, result) (rate(sni_scan_lines_total%s[%s]))" % (sel(), RI),
              "{{log}} {{result}}")])
    b.panel("Bytes read per second", "Bps",
            [("rate(sni_scan_read_bytes_total%s[%s])" % (sel(), RI), "{{log}}")])
    b.panel("Backlog", "bytes", [("sni_scan_backlog_bytes" + sel(), "{{log}}")], w=8,
            description="Bytes left for the next run (--max-bytes).")
    b.panel("Rotations per hour", "none",
            [("increase(sni_scan_rotations_total%s[1h])" % sel(), "{{log}}")], w=8)
    b.panel("SNIs dropped at the cap per hour", "none",
            [("increase(sni_scan_series_dropped_total%s[1h])" % sel(), "{{instance}}")], w=8)
    return b


def bpf():
    b = Board("promsnap-bpf-snap", "promsnap / bpf-snap",
              "eBPF counts of outbound connects and sends per process, read as snapshots.",
              ("process", "process", "netagent_connect_total"))
    s = sel('process=~"$process"')
    b.health("bpf-snap")
    b.row("Connects and sends")
    b.panel("Connects and sends per second by process", "cps",
            [("sum by (instance, process, proto) (rate(netagent_connect_total%s[%s]))" % (s, RI),
              "{{process}} {{proto}}")])
    b.panel("By destination port", "cps",
            [("sum by (instance, proto, dport) (rate(netagent_connect_total%s[%s]))" % (s, RI),
              "{{proto}}/{{dport}}")])
    b.panel("Top destinations", "cps",
            [("topk(20, sum by (instance, process, proto, dst_ip, dport) (rate(netagent_edge_total%s[%s])))" % (s, RI),
              "{{process}} {{dst_ip}}:{{dport}}/{{proto}}")], w=24)
    b.panel("TCP connect failures per second", "cps",
            [("sum by (instance, process, dport) (rate(netagent_connect_failures_total%s[%s]))" % (s, RI),
              "{{process}} {{dport}}")])
    b.panel("TCP connect time quantiles", "s",
            [("histogram_quantile(%s, sum by (instance, process, le) (rate(netagent_connect_duration_seconds_bucket%s[%s])))" % (q, s, RI),
              "p%s {{process}}" % n) for q, n in (("0.5", "50"), ("0.99", "99"))])
    b.panel("Send-to-receive time quantiles", "s",
            [("histogram_quantile(%s, sum by (instance, process, le) (rate(netagent_tx_duration_seconds_bucket%s[%s])))" % (q, s, RI),
              "p%s {{process}}" % n) for q, n in (("0.5", "50"), ("0.99", "99"))], w=24)
    b.row("Programs and maps")
    b.panel("Attached", "none", [("bpf_snap_attached" + sel(), "{{instance}}")], w=6,
            mappings=[{"type": "value", "options": {
                "0": {"text": "detached", "color": "red", "index": 0},
                "1": {"text": "attached", "color": "green", "index": 1}}}])
    b.panel("Attached for", "s",
            [("time() - bpf_snap_attached_since_timestamp_seconds" + sel(), "{{instance}}")],
            kind="stat", w=6, h=8)
    b.panel("Map fill", "percentunit",
            [("bpf_snap_map_entries%s / bpf_snap_map_capacity%s" % (sel(), sel()), "{{instance}} {{map}}")],
            w=12)
    b.panel("Map entries and capacity", "none",
            [("bpf_snap_map_entries" + sel(), "entries {{map}}"),
             ("bpf_snap_map_capacity" + sel(), "capacity {{map}}")])
    b.panel("Keys dropped per second (map full)", "ops",
            [("rate(bpf_snap_dropped_keys_total%s[%s])" % (sel(), RI), "{{instance}} {{map}}")])
    return b


BOARDS = {
    "promsnap-overview.json": overview,
    "promsnap-tcpping-burst.json": tcpping,
    "promsnap-trace-once.json": trace,
    "promsnap-qemu-netsnap.json": qemu,
    "promsnap-sni-scan.json": sni,
    "promsnap-bpf-snap.json": bpf,
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    for name, fn in BOARDS.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(fn().json(), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
