#!/usr/bin/env python3
"""Event index benchmark (issue 32).

    index.py HOOKWAY_BIN BROKERS OUTDIR PG_URL EVENTS ROWS

1. throughput: EVENTS `received` outcomes (each with its event's attributes and topic position)
   and as many `booked` outcomes go to an outcome topic; `hookway consume --sink index` writes them
   into PostgreSQL; events/s from the first indexed event to the last.
2. queries: ROWS events (and two outcomes each) are generated in SQL in a fresh database; then the
   time of a trace and of a subject search, as SQL (EXPLAIN ANALYZE's execution time) and as the
   `hookway trace` / `hookway events --subject` commands (process start included).
Prints one JSON line per scenario.
"""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

HOOKWAY, BROKERS, OUT, PG, EVENTS, ROWS = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
PSQL = next(p for p in ["/usr/lib/postgresql/15/bin/psql", "/usr/bin/psql"] if os.path.exists(p))


def psql(url, sql):
    return subprocess.run([PSQL, url, "-At", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def database(name):
    psql(PG, f"CREATE DATABASE {name}")
    return PG.replace("/postgres?", f"/{name}?")


def routes(url, topic, path):
    with open(path, "w") as f:
        json.dump({"version": 1, "kafka": {"brokers": BROKERS, "outcomeTopic": topic,
                                           "consumer": {"fetch.wait.max.ms": "10"}},
                   "sources": {}, "routes": [],
                   "sinks": {"index": {"kind": "index", "topics": [topic], "database": url, "concurrency": 512,
                                       "batchSize": 2000}}}, f)


def throughput():
    url = database("idx_tp")
    topic = f"bench.outcomes.{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": BROKERS})
    for f in admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)]).values():
        f.result(15)
    p = Producer({"bootstrap.servers": BROKERS, "linger.ms": 20, "batch.num.messages": 10000, "queue.buffering.max.messages": 1000000})
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    for i in range(EVENTS):
        eid = f"bitso:funding:f{i}:complete"
        received = {"eventid": eid, "kind": "received", "at": now, "attempt": 0, "replay": False,
                    "topics": [{"topic": "payments.deposits", "partition": i % 6, "offset": i}],
                    "event": {"source": "/webhooks/bitso", "type": "bitso.funding.complete", "subject": f"f{i}", "time": now,
                              "receivedat": now, "authmethod": "signature", "amount": f"{i}.00", "currency": "mxn", "status": "complete"}}
        booked = {"eventid": eid, "kind": "booked", "sink": "ledger", "at": now, "attempt": 1, "replay": False}
        for o in (received, booked):
            while True:
                try:
                    p.produce(topic, key=eid, value=json.dumps(o, separators=(",", ":")))
                    break
                except BufferError:
                    p.poll(0.1)
        if i % 10000 == 0:
            p.poll(0)
    p.flush(120)
    path = os.path.join(OUT, "routes-index.json")
    routes(url, topic, path)
    log = open(os.path.join(OUT, "consume-index.log"), "w")
    env = dict(os.environ, HOOKWAY_CONFIG=path, HOOKWAY_LOG_LEVEL="warning")
    proc = subprocess.Popen([HOOKWAY, "consume", "--sink", "index"], stdout=log, stderr=log, env=env)
    t0 = None
    count = 0
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        try:
            count = int(psql(url, "SELECT count(*) FROM index_outcomes WHERE kind = 'booked'"))
        except subprocess.CalledProcessError:
            count = 0
        if count > 0 and t0 is None:
            t0, c0 = time.monotonic(), count
        if count >= EVENTS:
            break
        time.sleep(0.2)
    elapsed = time.monotonic() - t0 if t0 else float("nan")
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    return {"scenario": "throughput", "events": EVENTS, "outcomes": 2 * EVENTS, "indexed_events": count,
            "seconds": round(elapsed, 1), "events_per_s": round((count - c0) / elapsed, 0) if t0 else 0,
            "outcomes_per_s": round(2 * (count - c0) / elapsed, 0) if t0 else 0}


def queries():
    url = database("idx_q")
    # The schema, as the sink makes it: a short `consume` (its retention pass migrates at start).
    path = os.path.join(OUT, "routes-query.json")
    routes(url, "hookway.outcomes", path)
    env = dict(os.environ, HOOKWAY_CONFIG=path, HOOKWAY_LOG_LEVEL="warning")
    proc = subprocess.Popen([HOOKWAY, "consume", "--sink", "index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not psql(url, "SELECT to_regclass('index_events')"):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    t = time.monotonic()
    psql(url, f"""
        INSERT INTO index_events (id, source, type, subject, time, receivedat, received_ms, authmethod, amount, currency, status)
        SELECT 'bitso:funding:f' || g || ':complete', '/webhooks/bitso',
               CASE WHEN g % 3 = 0 THEN 'bitso.withdrawal.complete' ELSE 'bitso.funding.complete' END,
               'subject-' || (g % 200000), '2026-12-07T00:00:00.000Z', '2026-12-07T00:00:00.000Z',
               1796601600000 + g, 'signature', g || '.00', 'mxn', 'complete'
        FROM generate_series(1, {ROWS}) g;
        INSERT INTO index_positions (event_id, topic, partition, "offset")
        SELECT 'bitso:funding:f' || g || ':complete', 'payments.deposits', g % 6, g FROM generate_series(1, {ROWS}) g;
        INSERT INTO index_outcomes (event_id, kind, sink, at, at_ms, attempt, replay)
        SELECT 'bitso:funding:f' || g || ':complete', 'received', '', '2026-12-07T00:00:00.000Z', 1796601600000 + g, 0, false FROM generate_series(1, {ROWS}) g;
        INSERT INTO index_outcomes (event_id, kind, sink, at, at_ms, attempt, replay)
        SELECT 'bitso:funding:f' || g || ':complete', 'booked', 'ledger', '2026-12-07T00:00:00.100Z', 1796601600100 + g, 1, false FROM generate_series(1, {ROWS}) g;
        ANALYZE;
    """)
    fill = time.monotonic() - t
    eid = f"bitso:funding:f{ROWS // 2}:complete"

    def sql_ms(sql):
        plan = psql(url, "EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        return round(json.loads(plan)[0]["Execution Time"], 2)

    trace_sql = (sql_ms(f"SELECT * FROM index_events WHERE id = '{eid}'")
                 + sql_ms(f"SELECT * FROM index_outcomes WHERE event_id = '{eid}' ORDER BY at_ms, attempt")
                 + sql_ms(f"SELECT * FROM index_positions WHERE event_id = '{eid}'"))
    search_sql = sql_ms("SELECT * FROM index_events WHERE subject = 'subject-4242' ORDER BY received_ms DESC, id LIMIT 50")

    def command_ms(args, runs=5):
        times = []
        for _ in range(runs):
            t = time.monotonic()
            r = subprocess.run([HOOKWAY] + args, env=env, capture_output=True, text=True)
            times.append((time.monotonic() - t) * 1000)
            assert r.returncode == 0, r.stderr
        times.sort()
        return round(times[len(times) // 2], 1)

    return {"scenario": "queries", "rows": ROWS, "fill_s": round(fill, 1),
            "trace_sql_ms": round(trace_sql, 2), "subject_search_sql_ms": search_sql,
            "trace_command_ms_median": command_ms(["trace", eid]),
            "events_subject_command_ms_median": command_ms(["events", "--subject", "subject-4242"]),
            "version_command_ms_median": command_ms(["--help"])}


for result in [throughput(), queries()]:
    print(json.dumps(result), flush=True)
