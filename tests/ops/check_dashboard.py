#!/usr/bin/env python3
"""Checks that every metric docs/grafana-dashboard.json queries is one a live ipledgerd exports.

    check_dashboard.py DASHBOARD_JSON METRICS_TEXT

METRICS_TEXT is a scrape of GET /metrics (Prometheus text format). Every PromQL expression
of the dashboard (panel targets and template queries) is reduced to the metric names it
names: string literals, label matchers {...}, range selectors [...], the label lists of
by/without/on/ignoring (...), function names and keywords are removed; what is left that
looks like an identifier is a metric name and must be a sample name of the scrape (a
histogram's _bucket, _sum and _count included). Exits 1 naming each unknown metric.
"""
import json
import re
import sys

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan",
}


def expressions(node):
    """Every PromQL string in the dashboard: targets' expr and templating queries."""
    if isinstance(node, dict):
        if node.get("type") == "datasource":
            return  # a data source variable: its query is a plugin id, not PromQL
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            elif key in ("query", "definition") and isinstance(value, str):
                yield value
            else:
                yield from expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from expressions(item)


def metric_names(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)            # string literals
    e = re.sub(r"\$\{?\w+\}?", " ", e)                       # Grafana variables
    e = re.sub(r"\{[^}]*\}", " ", e)                          # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                         # range selectors
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    # label_values(metric, label): the second argument is a label.
    e = re.sub(r"label_values\s*\(\s*([a-zA-Z_:][\w:]*)\s*,\s*\w+\s*\)", r" \1 ", e)
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][\w:]*", e):
        token = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("("):
            continue  # a function
        if token.lower() in KEYWORDS or re.fullmatch(r"\d.*", token):
            continue
        if m.start() > 0 and (e[m.start() - 1].isdigit() or e[m.start() - 1] == "."):
            continue  # part of a number such as 1e-9
        names.add(token)
    return names


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    dashboard = json.load(open(sys.argv[1], encoding="utf-8"))
    exported = set()
    for line in open(sys.argv[2], encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        exported.add(re.match(r"[a-zA-Z_:][\w:]*", line).group(0))
    used = set()
    count = 0
    for expr in expressions(dashboard):
        count += 1
        used |= metric_names(expr)
    missing = sorted(used - exported)
    for name in missing:
        print(f"dashboard: {name} is queried but not exported by the server")
    print(f"dashboard: {count} queries name {len(used)} metrics, {len(missing)} not exported")
    if count == 0 or not used:
        print("dashboard: no queries found")
        return 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
