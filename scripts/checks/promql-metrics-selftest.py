"""Self-test of scripts/checks/promql-metrics.py with fake /metrics dumps built from the metric
list of the serve and consume binaries: the real rules and dashboard pass; an unknown metric, an
expression that does not parse and a metric missing from the dumps each fail.

    .tools/venv/bin/python scripts/checks/promql-metrics-selftest.py .tools/bin/promtool

Last line: `promql-metrics-selftest: N passed, 0 failed` (exit 1 when any failed).
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(HERE, "promql-metrics.py")
PROMTOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".tools/bin/promtool")

# name: (type, labels) as `hookway serve` and `hookway consume` export them.
SERVE = {
    "hookway_requests_total": ("counter", 'source="bitso",code="accepted",status="200"'),
    "hookway_request_duration_seconds": ("histogram", 'source="bitso"'),
    "hookway_publish_duration_seconds": ("histogram", 'source="bitso"'),
    "hookway_kafka_produced_total": ("counter", 'topic="payments.deposits"'),
    "hookway_spool_bytes": ("gauge", ""),
    "hookway_spool_events": ("gauge", ""),
    "hookway_spool_limit_bytes": ("gauge", ""),
    "hookway_spool_healthy": ("gauge", ""),
    "hookway_spool_oldest_age_seconds": ("gauge", ""),
    "hookway_spooled_total": ("counter", ""),
    "hookway_spool_drained_total": ("counter", ""),
    "hookway_source_answer_deadline_seconds": ("gauge", 'source="bitso"'),
    "hookway_source_last_accepted_timestamp_seconds": ("gauge", 'source="bitso"'),
    "hookway_config_reloads_total": ("counter", 'result="ok"'),
}
CONSUME = {
    "hookway_sink_up": ("gauge", 'sink="ledger"'),
    "hookway_sink_consumer_lag": ("gauge", 'sink="ledger",topic="payments.deposits"'),
    "hookway_sink_delivered_total": ("counter", 'sink="ledger"'),
    "hookway_sink_retried_total": ("counter", 'sink="ledger"'),
    "hookway_sink_consumed_total": ("counter", 'sink="ledger"'),
    "hookway_sink_dead_lettered_total": ("counter", 'sink="ledger"'),
    "hookway_sink_circuit_state": ("gauge", 'sink="ledger"'),
    "hookway_confirm_total": ("counter", 'sink="confirm-deposits",result="matched"'),
    "hookway_reconcile_recovered_total": ("counter", 'source="bitso"'),
    "hookway_reconcile_failures_total": ("counter", 'source="bitso"'),
    "hookway_config_reloads_total": ("counter", 'result="ok"'),
}


def dump(metrics, path, leave_out=()):
    """Prometheus text exposition, as swift-prometheus writes it (histograms as _bucket/_sum/_count)."""
    lines = []
    for name, (kind, labels) in metrics.items():
        if name in leave_out:
            continue
        lines.append(f"# TYPE {name} {kind}")
        sep = "," if labels else ""
        if kind == "histogram":
            for le in ("0.005", "0.1", "1.0", "+Inf"):
                lines.append(f'{name}_bucket{{{labels}{sep}le="{le}"}} 1')
            lines.append(f"{name}_sum{{{labels}}} 0.01" if labels else f"{name}_sum 0.01")
            lines.append(f"{name}_count{{{labels}}} 1" if labels else f"{name}_count 1")
        else:
            lines.append(f"{name}{{{labels}}} 0" if labels else f"{name} 0")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run(*args):
    result = subprocess.run([sys.executable, CHECK, "--promtool", PROMTOOL, *args], capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


def main():
    passed, failed = 0, 0

    def expect(name, condition, output):
        nonlocal passed, failed
        if condition:
            passed += 1
            print(f"promql-metrics-selftest: ok  {name}")
        else:
            failed += 1
            print(f"promql-metrics-selftest: FAILED {name}\n{output}")

    spec = importlib.util.spec_from_file_location("promql_metrics", CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = module.metric_names(module.substitute_grafana_variables(
        'histogram_quantile(0.99, sum by (source, le) (rate(a_bucket{source=~"${source:regex}", le!="x"}[$__rate_interval] '
        'offset 1h))) > on (source) group_left(sink) max without (instance) (b) * 2 and {__name__="c"} '
        'unless sum(rate(d[5m:1m])) by (job) > bool 1e3 or time() - e @ start()'))
    expect("metric_names reads only metric names", names == {"a_bucket", "b", "c", "d", "e"}, names)
    expect("label_values(metric{...}, label) gives the selector",
           module.variable_query_expression('label_values(hookway_sink_up{job="x"}, sink)') == 'hookway_sink_up{job="x"}', "")

    with tempfile.TemporaryDirectory() as tmp:
        serve, consume = os.path.join(tmp, "serve.txt"), os.path.join(tmp, "consume.txt")
        dump(SERVE, serve)
        dump(CONSUME, consume)
        status, output = run("--metrics", serve, "--metrics", consume)
        expect("the real rules and dashboard pass", status == 0 and output.endswith("all exported"), output)
        print(f"  {output}")

        # An alert on a metric nobody exports.
        with open(os.path.join(ROOT, "deploy/prometheus/alerts.yml")) as f:
            rules = yaml.safe_load(f)
        rules["groups"][1]["rules"].append({"alert": "Unknown", "expr": "rate(hookway_no_such_metric_total[5m]) > 0"})
        bad_rules = os.path.join(tmp, "alerts.yml")
        with open(bad_rules, "w") as f:
            yaml.safe_dump(rules, f)
        status, output = run("--metrics", serve, "--metrics", consume, "--rules", bad_rules)
        expect("an unknown metric in a rule fails",
               status == 1 and "Unknown: hookway_no_such_metric_total is not exported" in output, output)

        # A panel on a misspelt metric, and one that does not parse.
        with open(os.path.join(ROOT, "deploy/grafana/hookway.json")) as f:
            dashboard = json.load(f)
        dashboard["panels"].append({"type": "timeseries", "title": "Typo", "targets": [
            {"refId": "A", "expr": 'sum by (sink) (hookway_sink_lag{sink=~"$sink"})'},
            {"refId": "B", "expr": "sum by (sink (hookway_sink_up)"}]})
        bad_dashboard = os.path.join(tmp, "hookway.json")
        with open(bad_dashboard, "w") as f:
            json.dump(dashboard, f)
        status, output = run("--metrics", serve, "--metrics", consume, "--dashboard", bad_dashboard)
        expect("an unknown metric in a panel fails",
               status == 1 and 'panel "Typo" target A: hookway_sink_lag is not exported' in output, output)
        expect("an expression that does not parse fails",
               status == 1 and 'panel "Typo" target B: does not parse' in output, output)

        # A dump without the spool limit (a binary that no longer exports it).
        dump(SERVE, serve, leave_out={"hookway_spool_limit_bytes"})
        status, output = run("--metrics", serve, "--metrics", consume)
        expect("a metric missing from the dumps fails",
               status == 1 and "HookwaySpoolFilling: hookway_spool_limit_bytes is not exported" in output, output)
        # Without the consume dump, every sink metric is missing.
        dump(SERVE, serve)
        status, output = run("--metrics", serve)
        expect("the sink metrics come from the consume dump", status == 1 and "hookway_sink_up is not exported" in output, output)

    print(f"promql-metrics-selftest: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
