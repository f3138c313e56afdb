#!/usr/bin/env python3
"""Renders bench/run's results.jsonl as a docs/benchmarks.md section, or inserts a section.

    report.py RESULTS.jsonl RUN_DIR ELAPSED_S > section.md
    report.py --insert section.md docs/benchmarks.md   # new section on top, older ones kept below
"""
import datetime
import glob
import json
import os
import platform
import subprocess
import sys

TITLE = "# Benchmarks"


def insert(section_path, doc_path):
    section = open(section_path).read().rstrip() + "\n"
    old = open(doc_path).read() if os.path.exists(doc_path) else ""
    if old.startswith(TITLE + "\n"):
        rest = old[len(TITLE) + 1:].lstrip("\n")
    else:
        rest = old.lstrip("\n")
    os.makedirs(os.path.dirname(doc_path), exist_ok=True)
    with open(doc_path, "w") as f:
        f.write(TITLE + "\n\n" + section + ("\n" + rest if rest else ""))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:
        return ""


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def mem_gib():
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0


def fmt(v, nd=2):
    return f"{v:,.{nd}f}" if isinstance(v, (int, float)) else str(v)


def ok(b):
    return "✅ holds" if b else "❌ misses"


def main():
    results_path, run_dir, elapsed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    rows = [json.loads(l) for l in open(results_path) if l.strip()]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rel = lambda s: s.replace(root + "/", "")
    http = [r for r in rows if r["phase"] == "http"]
    openl = next((r for r in rows if r["phase"] == "open"), None)
    ledgers = [r for r in rows if r["phase"] == "ledger"]
    cg = {r["server"]: r for r in rows if r["phase"] == "callgrind" and "ir" in r}
    cg_errors = [r for r in rows if r["phase"] == "callgrind" and "error" in r]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = sh(f"git -C {root} rev-parse --short HEAD")
    dirty = sh(f"git -C {root} status --porcelain --untracked-files=no -- Sources Package.swift Package.resolved routes.json")
    out = []
    w = out.append
    w(f"## Ingress benchmark — {now}")
    w("")
    w(f"`make bench` (bench/run), {elapsed // 60} min {elapsed % 60} s. Machine: {os.cpu_count()} cores (`nproc` {sh('nproc')}), "
      f"{cpu_model()}, {mem_gib():.1f} GiB RAM, {sh('. /etc/os-release && echo $PRETTY_NAME')}, kernel {platform.release()}, "
      f"{sh('swift --version 2>&1 | head -1')}. Commit {commit}"
      + (" with uncommitted changes in Sources/ (other engineers' work in progress)" if dirty else "") + ". "
      "One Tansu broker (memory storage, same host) for every HTTP server; load generator on the same 2 cores.")
    w("")
    if http:
        w("### Closed loop (wrk, bench/bitnob.lua)")
        w("")
        w("| server | conns | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-2xx | socket errors | CPU s (user+sys) | CPU µs/req | broker CPU µs/req | peak RSS MB | machine load |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in http:
            note = " (ids repeat)" if r["ids_repeated"] and r["server"] != "bare" else ""
            w(f"| {r['server']}{note} | {r['connections']} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'])} | {fmt(r['p90_ms'])} | {fmt(r['p99_ms'])} | "
              f"{fmt(r['p999_ms'])} | {fmt(r['max_ms'], 1)} | {r['non2xx']} | {r['socket_errors']} | {fmt(r['cpu_s'], 1)} | "
              f"{fmt(r['cpu_us_per_req'], 0)} | {fmt(r.get('broker_cpu_us_per_req', '–'), 0)} | {fmt(r['peak_rss_mb'], 1)} | {r['load']} |")
        w("")
        w("Broker CPU µs/req is the Tansu process's CPU over the same run divided by the requests: "
          "on these 2 cores it is taken from the server under test (bare sends nothing to Kafka, so its broker does nothing).")
        w("")
    targets = []
    by = {(r["server"], r["connections"]): r for r in http}
    conns = sorted({r["connections"] for r in http})
    if http:
        w("Ratios:")
        w("")
        for c in conns:
            h, p, b = by.get(("hookway", c)), by.get(("peer", c)), by.get(("bare", c))
            h1, lean = by.get(("hookway-1topic", c)), by.get(("lean", c))
            if h and p:
                x = h["rps"] / p["rps"] if p["rps"] else float("inf")
                w(f"- {c} connections: hookway/peer = **{x:.2f}×** (CloudEvent to 2 topics each)")
            if h1 and lean:
                x = h1["rps"] / lean["rps"] if lean["rps"] else float("inf")
                w(f"- {c} connections: hookway-1topic/lean = **{x:.2f}×** (one topic each; target ≥ 1.5× at 64: {ok(x >= 1.5)})")
                if c == 64:
                    targets.append(("hookway ≥ 1.5 × the lean peer's req/s, 64 conns (one topic each)", f"{x:.2f}×", x >= 1.5))
            h1t = by.get(("hookway-1topic-task", c))
            if h1 and h1t and h1t["rps"]:
                w(f"- {c} connections: webhooks on the event loop vs in Hummingbird's tasks (HOOKWAY_INGRESS_PATH=task) = "
                  f"**{h1['rps'] / h1t['rps']:.2f}×** req/s, CPU per request {h1['cpu_us_per_req']:.0f} µs vs {h1t['cpu_us_per_req']:.0f} µs, "
                  f"peak RSS {h1['peak_rss_mb']:.0f} MB vs {h1t['peak_rss_mb']:.0f} MB")
            if h1 and b:
                x = h1["rps"] / b["rps"] if b["rps"] else 0
                w(f"- {c} connections: hookway-1topic/bare = **{x * 100:.0f} %** (target ≥ 50 % at 64: {ok(x >= 0.5)})")
                if c == 64:
                    targets.append(("hookway ≥ 50 % of bare req/s, 64 conns", f"{x * 100:.0f} %", x >= 0.5))
                y = h1["cpu_us_per_req"] / b["cpu_us_per_req"] if b["cpu_us_per_req"] else float("inf")
                w(f"- {c} connections: CPU per request hookway-1topic/bare = **{y:.2f}×** "
                  f"({h1['cpu_us_per_req']:.0f} µs vs {b['cpu_us_per_req']:.0f} µs; target ≤ 2× at 64: {ok(y <= 2)})")
                if c == 64:
                    targets.append(("hookway CPU per request ≤ 2 × bare's, 64 conns", f"{y:.2f}×", y <= 2))
        h256 = by.get(("hookway", max(conns)))
        if h256:
            targets.append((f"hookway peak RSS ≤ 100 MB, {h256['connections']} conns", f"{h256['peak_rss_mb']:.0f} MB", h256["peak_rss_mb"] <= 100))
            errs = h256["non2xx"] + h256["socket_errors"]
        w("")
    if openl:
        w(f"### Open loop, hookway at {openl['rate']:.0f} req/s for {openl['duration_s']:.0f} s (bench/openloop.c)")
        w("")
        w("Latency from each request's *intended* send time (no coordinated omission); "
          f"{openl['connections']} keep-alive connections, {openl['warmup_s']:.0f} s warm-up at the same rate not recorded.")
        w("")
        w("| sent | recorded | 2xx | non-2xx | socket errors | achieved req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | max send lag ms | CPU s | peak RSS MB | machine load |")
        w("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        w(f"| {openl['sent']} | {openl['recorded']} | {openl['ok']} | {openl['non2xx']} | {openl['sockerr']} | {fmt(openl['achieved_rps'], 0)} | "
          f"{fmt(openl['p50_ms'])} | {fmt(openl['p90_ms'])} | {fmt(openl['p99_ms'])} | {fmt(openl['p999_ms'])} | {fmt(openl['max_ms'], 1)} | "
          f"{fmt(openl['max_send_lag_ms'])} | {fmt(openl['cpu_s'], 1)} | {fmt(openl['peak_rss_mb'], 1)} | {openl['load']} |")
        w("")
        errors = openl["non2xx"] + openl["sockerr"]
        targets.append((f"open loop {openl['rate']:.0f} req/s: p99 ≤ 10 ms, no errors", f"p99 {openl['p99_ms']:.2f} ms, {errors} errors",
                        openl["p99_ms"] <= 10 and errors == 0))
    if ledgers:
        w("### Ledger sink (hookway consume --sink ledger)")
        w("")
        w("CloudEvents of ~1 KB (bench/ledger_produce.py: the repository's `bitnob.*.received.success` posting rule, "
          "5,000 customer accounts) produced first to `payments.deposits` (1 or 6 partitions) on a fresh broker, then one "
          "`hookway consume --sink ledger` with the repository's routes.json (group commit, `maxInFlight` 128, `batchSize` 256), "
          "its database a fresh SQLite file (WAL, synchronous=NORMAL) or a fresh database on a local PostgreSQL 15 (default "
          "settings: fsync on, synchronous_commit on); progress = `SELECT COUNT(*) FROM ledger_transactions` every 0.25 s.")
        w("")
        w("| database | partitions | events booked | of | complete | events/s (first booking → last) | events/s (incl. start-up) | start-up s | booking s | balance = Σ amounts | CPU s | peak RSS MB | machine load |")
        w("|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|")
        for ledger in ledgers:
            w(f"| {ledger.get('database', 'sqlite')} | {ledger.get('partitions', 6)} | {ledger['events']:,} | {ledger['target']:,} | {'yes' if ledger['complete'] else 'no (budget reached)'} | {fmt(ledger['events_per_s'], 0)} | "
              f"{fmt(ledger['events_per_s_wall'], 0)} | {fmt(ledger['startup_s'], 1)} | {fmt(ledger['steady_s'], 1)} | "
              f"{'n/a' if ledger['balance_ok'] is None else ('yes' if ledger['balance_ok'] else 'NO')} | {fmt(ledger['cpu_s'], 1)} | {fmt(ledger['peak_rss_mb'], 1)} | {ledger['load']} |")
        w("")
        for ledger in ledgers:
            if ledger.get("database", "sqlite") != "sqlite":
                continue
            targets.append((f"ledger ≥ 5,000 events/s (SQLite, {ledger.get('partitions', 6)} partitions)",
                            f"{ledger['events_per_s']:,.0f} events/s" + ("" if ledger["complete"] else f" ({ledger['events']:,} of {ledger['target']:,})"),
                            ledger["events_per_s"] >= 5000))
    if cg:
        w("### Instructions per request (bench/callgrind)")
        w("")
        w("| server | requests | Ir total | Ir per request |")
        w("|---|---:|---:|---:|")
        for s in ("bare", "hookway"):
            if s in cg:
                r = cg[s]
                w(f"| {s} | {r['requests']:,} | {r['ir']:,} | {r['ir_per_req']:,} |")
        if "bare" in cg and "hookway" in cg:
            w("")
            w(f"hookway/bare instructions per request: {cg['hookway']['ir_per_req'] / cg['bare']['ir_per_req']:.1f}×")
        w("")
    if cg_errors:
        w("### Instructions per request (bench/callgrind)")
        w("")
        for r in cg_errors:
            w(f"- {r['server']}: **not measured** — {r['error']}")
        w("")
    if targets:
        w("### Targets")
        w("")
        w("| target | measured | |")
        w("|---|---|---|")
        for name, val, good in targets:
            w(f"| {name} | {val} | {ok(good)} |")
        w("")
    w("### Commands")
    w("")
    w("```")
    order = {"bare": 0, "peer": 1, "lean": 2, "hookway": 3, "hookway-1topic": 4, "hookway-1topic-task": 5}
    def key(f):
        name, _, c = os.path.basename(f)[4:-4].rpartition("-")
        return (order.get(name, 9), int(c) if c.isdigit() else 0)
    for f in sorted(glob.glob(os.path.join(run_dir, "wrk-*.txt")), key=key) + [os.path.join(run_dir, "openloop.txt")]:
        if os.path.exists(f):
            w(rel(open(f).readline().strip()))
    w("python3 bench/ledger_produce.py 127.0.0.1:PORT payments.deposits N PARTITIONS; hookway consume --sink ledger   # LEDGER_RUNS=\"sqlite:6:1000000 sqlite:1 postgres:6 postgres:1\"")
    w("bench/callgrind   # valgrind --tool=callgrind --instr-atstart=no --dump-instr=no, 2,000 sequential requests")
    w("```")
    w("")
    w("Servers: `BenchBare PORT`; `.tools/bench-venv/bin/python bench/peer/peer.py PORT BROKER 2`; "
      "`.tools/bench-venv/bin/python bench/peer/lean.py PORT BROKER 2`; hookway-1topic is `hookway serve` with one route to "
      "`webhooks.{provider}.{event}` and linger.ms 1 (hookway-1topic-task: the same with `HOOKWAY_INGRESS_PATH=task`); "
      "`HOOKWAY_CONFIG=<copy of routes.json> HOOKWAY_BROKERS=… HOOKWAY_PORT=… HOOKWAY_LOG_LEVEL=warning hookway serve` "
      "(config/dev.env secrets). Each server gets a 5 s wrk warm-up at 32 connections first. Raw logs: `" + rel(run_dir) + "` (not committed).")
    print("\n".join(out))


if __name__ == "__main__":
    if sys.argv[1] == "--insert":
        insert(sys.argv[2], sys.argv[3])
    else:
        main()
