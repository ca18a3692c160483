#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that node_exporter served every sample of a .prom file unchanged.

usage: compare_scrape.py FILE.prom SCRAPE
Prints nothing and exits 0 when node_textfile_scrape_error is 0 and every
sample of FILE is in SCRAPE with the same value; otherwise prints why.
"""
import math
import re
import sys

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)\s*$')
PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse(path):
    out = {}
    with open(path, encoding="utf-8", errors="strict") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            if not ln or ln.startswith("#"):
                continue
            m = LINE.match(ln)
            if not m:
                raise ValueError("unparsable line: %r" % ln[:120])
            labels = []
            body = m.group(3) or ""
            pos = 0
            while pos < len(body):
                p = PAIR.match(body, pos)
                if not p:
                    raise ValueError("bad labels: %r" % body[:120])
                labels.append((p.group(1), p.group(2)))
                pos = p.end()
            out[(m.group(1), tuple(sorted(labels)))] = float(m.group(4))
    return out


def same(a, b):
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def main():
    mine, served = parse(sys.argv[1]), parse(sys.argv[2])
    err = served.get(("node_textfile_scrape_error", ()))
    if err != 0.0:
        print("node_textfile_scrape_error is %s" % err)
        return 1
    missing = [k for k in mine if k not in served]
    if missing:
        print("%d of %d samples not served, e.g. %s" %
              (len(missing), len(mine), missing[0]))
        return 1
    wrong = [k for k in mine if not same(mine[k], served[k])]
    if wrong:
        k = wrong[0]
        print("%s served as %s, written as %s" % (k, served[k], mine[k]))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
