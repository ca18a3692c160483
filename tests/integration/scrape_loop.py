#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Scrape node_exporter in a loop while a writer rewrites a .prom file.

usage: scrape_loop.py NE_URL SERIES STOPFILE
Every scrape must succeed, report node_textfile_scrape_error 0 and contain
either no promsnap_selftest_value series (before the first write) or
exactly SERIES of them, all with one value (one complete version of the
file, never a mix or a torn write).  Prints "scrapes=N bad=M" and the
first problems; exits 1 if any scrape was bad.
"""
import os
import re
import sys
import urllib.request

url, want, stop = sys.argv[1] + "/metrics", int(sys.argv[2]), sys.argv[3]
pat = re.compile(r'^promsnap_selftest_value\{series="\d+"\} (\S+)$', re.M)
scrapes = bad = 0
problems = []
# Bounded: at most 20000 scrapes even if the stop file never appears.
while scrapes < 20000:
    done = os.path.exists(stop)
    scrapes += 1
    try:
        body = urllib.request.urlopen(url, timeout=10).read().decode()
    except Exception as e:  # noqa: BLE001 - every failure is a finding
        bad += 1
        problems.append("scrape failed: %s" % e)
        continue
    if "\nnode_textfile_scrape_error 0\n" not in body:
        bad += 1
        problems.append("scrape error reported")
    values = pat.findall(body)
    if values and (len(values) != want or len(set(values)) != 1):
        bad += 1
        problems.append("%d series, %d distinct values" %
                        (len(values), len(set(values))))
    if done:
        break
print("scrapes=%d bad=%d" % (scrapes, bad))
for p in problems[:5]:
    print("  " + p)
sys.exit(1 if bad else 0)
