"""Checks every PromQL expression of the alert rules and the Grafana dashboard against what the
binaries export: each must parse (promtool) and name only metrics found in the given /metrics
dumps (or recording rules of the rules file, or series Prometheus makes itself such as `up`).

    python3 scripts/checks/promql-metrics.py --promtool .tools/bin/promtool \\
        --metrics serve.txt --metrics consume.txt [--rules FILE] [--dashboard FILE]

Prints one line per problem and exits 1, or prints
`promql-metrics: N expressions, M metric names, all exported`.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Series that Prometheus itself writes: scrape health and the alerts' own state.
PROMETHEUS_SERIES = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
    "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE",
}
AGGREGATIONS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk",
    "quantile", "limitk", "limit_ratio",
}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "and", "or", "unless",
            "atan2", "inf", "nan"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

# Grafana's built-in interval variables, as a dashboard's query would see them.
GRAFANA_TIME_VARIABLES = {
    "__rate_interval": "5m", "__interval": "1m", "__range": "1h", "__interval_ms": "60000",
    "__range_ms": "3600000", "__range_s": "3600",
}


def substitute_grafana_variables(expr):
    """Replaces $__rate_interval and the like with durations, every other variable
    ($source, ${source}, ${source:regex}, [[source]]) with `.*`."""
    def replace(match):
        name = match.group("name") or match.group("braced") or match.group("old")
        return GRAFANA_TIME_VARIABLES.get(name, ".*")
    return re.sub(r"\$\{(?P<braced>\w+)(?::[^}]*)?\}|\$(?P<name>\w+)|\[\[(?P<old>\w+)(?::[^\]]*)?\]\]", replace, expr)


def split_top_level(text, separator=","):
    parts, depth, current, quote = [], 0, "", None
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def variable_query_expression(query):
    """The PromQL inside a Grafana Prometheus variable query, or None (label_values(label),
    metrics(...), label_names())."""
    query = query.strip()
    match = re.fullmatch(r"(label_values|query_result)\s*\((.*)\)", query, re.S)
    if not match:
        return None
    args = split_top_level(match.group(2))
    if match.group(1) == "query_result":
        return args[0]
    return args[0] if len(args) == 2 else None


TOKEN = re.compile(r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<duration>(?:\d+(?:ms|[smhdwy]))+(?!\w))
  | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],@:])
""", re.X)


def tokens(expr):
    position, out = 0, []
    while position < len(expr):
        match = TOKEN.match(expr, position)
        if not match:
            raise ValueError(f"cannot read {expr[position:position + 20]!r}")
        position = match.end()
        if match.lastgroup != "space":
            out.append((match.lastgroup, match.group()))
    return out


def metric_names(expr):
    """The metric names an expression selects: identifiers that are not functions or
    aggregations (followed by `(`), keywords, label names (inside {} or a by/on/... list),
    durations or strings; plus `{__name__="..."}`."""
    toks = tokens(expr)
    names = set()
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else (None, None)
        if kind == "op" and text == "{":
            # Label matchers: names and strings; only __name__'s value is a metric.
            j = i + 1
            while j < len(toks) and toks[j][1] != "}":
                if toks[j] == ("ident", "__name__") and j + 2 < len(toks) and toks[j + 1][1] == "=" \
                        and toks[j + 2][0] == "string":
                    names.add(toks[j + 2][1][1:-1])
                j += 1
            i = j + 1
            continue
        if kind == "op" and text == "[":
            # A range or subquery: durations only ([5m], [30m:1m]).
            while i < len(toks) and toks[i][1] != "]":
                i += 1
            i += 1
            continue
        if kind == "ident":
            lower = text.lower()
            if lower in GROUPING and nxt[1] == "(":
                j = i + 2
                while j < len(toks) and toks[j][1] != ")":
                    j += 1
                i = j + 1
                continue
            if nxt[1] == "(" or lower in KEYWORDS or text in AGGREGATIONS:
                i += 1
                continue
            names.add(text)
        i += 1
    return names


def collect(rules_path, dashboard_path):
    """(where, expression) for every rule expr, panel target and variable query; and the
    names the rules file records."""
    found, recorded = [], set()
    with open(rules_path) as f:
        rules = yaml.safe_load(f)
    for group in rules.get("groups", []):
        for rule in group.get("rules", []):
            name = rule.get("alert") or rule.get("record")
            if "record" in rule:
                recorded.add(rule["record"])
            found.append((f"{os.path.basename(rules_path)} {name}", str(rule["expr"])))
    with open(dashboard_path) as f:
        dashboard = json.load(f)

    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))

    for panel in panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            if target.get("expr"):
                found.append((f"{os.path.basename(dashboard_path)} panel \"{panel.get('title', '')}\" "
                              f"target {target.get('refId', '?')}", substitute_grafana_variables(target["expr"])))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query", "")
        expression = variable_query_expression(query or "")
        if expression:
            found.append((f"{os.path.basename(dashboard_path)} variable {variable.get('name')}",
                          substitute_grafana_variables(expression)))
    return found, recorded


def unparsable(expressions, promtool):
    """The expressions promtool cannot parse, with its message: all at once as recording rules,
    then one by one when that fails."""
    def check(exprs):
        doc = {"groups": [{"name": "promql-metrics", "rules": [
            {"record": f"promql_metrics_check:expr_{i}", "expr": e} for i, e in enumerate(exprs)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            yaml.safe_dump(doc, f, sort_keys=False)
            path = f.name
        try:
            result = subprocess.run([promtool, "check", "rules", path], capture_output=True, text=True)
        finally:
            os.unlink(path)
        return result.returncode == 0, (result.stdout + result.stderr).strip()

    ok, _ = check([e for _, e in expressions])
    if ok:
        return []
    problems = []
    for where, expression in expressions:
        ok, output = check([expression])
        if not ok:
            message = " ".join(line.strip() for line in output.splitlines() if "FAILED" not in line and line.strip())
            problems.append(f"{where}: does not parse: {message}")
    return problems or ["promtool check rules failed on the expressions together but on none alone"]


def exported_names(paths):
    """Every name a dump declares (# TYPE) or has a sample of, and its histograms/summaries."""
    names, histograms = set(), set()
    for path in paths:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("# TYPE "):
                    parts = line.split()
                    if len(parts) >= 4:
                        names.add(parts[2])
                        if parts[3] in ("histogram", "summary"):
                            histograms.add(parts[2])
                elif line and not line.startswith("#"):
                    match = re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line)
                    if match:
                        names.add(match.group())
    return names, histograms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", action="append", required=True, help="a /metrics dump (repeatable)")
    parser.add_argument("--promtool", required=True)
    parser.add_argument("--rules", default=os.path.join(ROOT, "deploy/prometheus/alerts.yml"))
    parser.add_argument("--dashboard", default=os.path.join(ROOT, "deploy/grafana/hookway.json"))
    args = parser.parse_args()

    expressions, recorded = collect(args.rules, args.dashboard)
    problems = unparsable(expressions, args.promtool)
    exported, histograms = exported_names(args.metrics)

    def known(name):
        if name in exported or name in recorded or name in PROMETHEUS_SERIES:
            return True
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in histograms:
                return True
        return False

    all_names = set()
    for where, expression in expressions:
        try:
            names = metric_names(expression)
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        if not names:
            problems.append(f"{where}: names no metric: {expression}")
        all_names |= names
        for name in sorted(names):
            if not known(name):
                problems.append(f"{where}: {name} is not exported by the binaries (nor recorded by the rules)")
    for problem in problems:
        print(f"promql-metrics: {problem}")
    if problems:
        sys.exit(1)
    print(f"promql-metrics: {len(expressions)} expressions, {len(all_names)} metric names, all exported")


if __name__ == "__main__":
    main()
