#!/usr/bin/env python3
"""Sink limits benchmark (issue 29): `hookway consume` running the CRM sink against a local CRM
stand-in that answers in 20 ms, can be taken down (503) and counts what it accepted.

    sinks.py HOOKWAY_BIN BROKERS OUTDIR [OUTAGE_SECONDS]

Scenarios, each on fresh topics:
  concurrency  1, 4, 16: delivered events/s (and whether each subject's events arrived in order)
  rate         rateLimit 50/s, burst 1, concurrency 16, for 60 s: the achieved rate
SINKS_SCENARIOS picks some (c1,c4,c16,rate,outage: the default is all).
  outage       a steady stream of 20 events/s; the CRM down for OUTAGE_SECONDS (default 60);
               concurrency SINKS_OUTAGE_CONCURRENCY (default 64: the backlog of a 5-minute outage,
               6,000 events at 20 ms, takes 3.75 s at 32 and 1.9 s at 64);
               circuitBreaker {consecutiveFailures 5, probeIntervalMs 5000}: dead letters, lost
               events, calls while down, and how long after the CRM came back the last event
               was delivered
Prints one JSON line per scenario.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

HOOKWAY, BROKERS, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
OUTAGE = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0


class CRM:
    """Answers after `delay` seconds; 503 while down. Records accepted ids with their time."""

    def __init__(self, delay=0.02):
        self.delay, self.down, self.lock = delay, False, threading.Lock()
        self.accepted, self.refused, self.order = {}, 0, {}
        crm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are two writes: without this, Nagle and the client's delayed ACK
            # add 40 ms to every answer.
            disable_nagle_algorithm = True

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                time.sleep(crm.delay)
                with crm.lock:
                    down = crm.down
                    if down:
                        crm.refused += 1
                    elif body["id"] not in crm.accepted:
                        crm.accepted[body["id"]] = time.monotonic()
                        crm.order.setdefault(body["subject"], []).append(body["seq"])
                self.send_response(503 if down else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            # The default listen backlog of 5 drops the SYNs of a pool reconnecting at once
            # (after an outage); their retransmits wait 1 + 2 + 4 + 8 s.
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self):
        with self.lock:
            return len(self.accepted)


def make_topics(*names):
    admin = AdminClient({"bootstrap.servers": BROKERS})
    for f in admin.create_topics([NewTopic(n, num_partitions=6, replication_factor=1) for n in names]).values():
        f.result(15)


def event(i, subject):
    eid = f"bench:{uuid.uuid4().hex}"
    return eid, json.dumps({
        "specversion": "1.0", "id": eid, "source": "/webhooks/bench", "type": "bench.deposit.success",
        "subject": subject, "time": "2026-12-07T00:00:00.000Z", "datacontenttype": "application/json",
        "authmethod": "signature", "receivedat": "2026-12-07T00:00:00.000Z",
        "data": {"provider": "bench", "source": "bench", "event": "deposit.success", "amount": "1.00", "currency": "BTC",
                 "payload": {"seq": i}}}, separators=(",", ":"))


class Stream:
    """Produces events (key = subject) and remembers their ids."""

    def __init__(self, topic, subjects=64):
        self.topic, self.subjects, self.ids, self.i = topic, subjects, [], 0
        self.p = Producer({"bootstrap.servers": BROKERS, "enable.idempotence": True, "acks": "all", "linger.ms": 5})

    def send(self, n):
        for _ in range(n):
            subject = f"s{self.i % self.subjects}"
            eid, value = event(self.i, subject)
            self.p.produce(self.topic, key=subject, value=value)
            self.ids.append(eid)
            self.i += 1
        self.p.flush(30)


def consume(routes, name):
    path = os.path.join(OUT, f"routes-{name}.json")
    with open(path, "w") as f:
        json.dump(routes, f)
    log = open(os.path.join(OUT, f"consume-{name}.log"), "w")
    env = dict(os.environ, HOOKWAY_CONFIG=path, HOOKWAY_BROKERS=BROKERS, HOOKWAY_LOG_LEVEL="warning")
    return subprocess.Popen([HOOKWAY, "consume", "--sink", "crm"], stdout=log, stderr=log, env=env)


def routes(topic, crm, **sink):
    return {"version": 1, "sources": {}, "routes": [], "sinks": {"crm": dict(
        {"kind": "crm", "topics": [topic], "deadLetterTopic": topic + ".dlq", "url": f"http://127.0.0.1:{crm.port}/deals",
         "body": {"id": "{id}", "subject": "{subject}", "seq": "{data.payload.seq}"}}, **sink)}}


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def dead_letters(topic):
    c = Consumer({"bootstrap.servers": BROKERS, "group.id": f"count-{uuid.uuid4()}", "enable.auto.commit": False})
    total = 0
    for p in c.list_topics(topic, timeout=10).topics[topic].partitions:
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        total += high - low
    c.close()
    return total


def wait_for(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def in_order(crm):
    return all(seqs == sorted(seqs) for seqs in crm.order.values())


def concurrency(n, seconds_of_work=6):
    # About the same wall time at every level: 20 ms per call, n calls at once.
    events = int(seconds_of_work * n / 0.02)
    crm, topic = CRM(), f"bench.sinks.c{n}.{uuid.uuid4().hex[:6]}"
    make_topics(topic, topic + ".dlq")
    stream = Stream(topic)
    stream.send(events)
    proc = consume(routes(topic, crm, concurrency=n), f"c{n}")
    wait_for(lambda: crm.count() >= 1, 60)
    t0, c0 = time.monotonic(), crm.count()
    wait_for(lambda: crm.count() >= events, 300)
    rate = (crm.count() - c0) / (time.monotonic() - t0)
    stop(proc)
    return {"scenario": "concurrency", "concurrency": n, "events": events, "delivered": crm.count(),
            "events_per_s": round(rate, 1), "per_subject_order_kept": in_order(crm)}


def rate_limit(seconds=60, limit=50):
    crm, topic = CRM(delay=0.0), f"bench.sinks.rate.{uuid.uuid4().hex[:6]}"
    make_topics(topic, topic + ".dlq")
    stream = Stream(topic)
    stream.send(int(limit * seconds * 1.3))
    proc = consume(routes(topic, crm, concurrency=16, rateLimit={"perSecond": limit, "burst": 1}), "rate")
    wait_for(lambda: crm.count() >= 1, 60)
    time.sleep(2)  # past the start
    c0, t0 = crm.count(), time.monotonic()
    time.sleep(seconds)
    achieved = (crm.count() - c0) / (time.monotonic() - t0)
    stop(proc)
    return {"scenario": "rate", "limit_per_s": limit, "seconds": seconds, "achieved_per_s": round(achieved, 2),
            "error_pct": round(100 * (achieved - limit) / limit, 2)}


def outage(seconds, per_second=20, slots=int(os.environ.get("SINKS_OUTAGE_CONCURRENCY", "64"))):
    crm, topic = CRM(), f"bench.sinks.outage.{uuid.uuid4().hex[:6]}"
    make_topics(topic, topic + ".dlq")
    stream = Stream(topic)
    proc = consume(routes(topic, crm, concurrency=slots, retry={"attempts": 5, "backoffMs": 200, "maxBackoffMs": 2000},
                          circuitBreaker={"consecutiveFailures": 5, "probeIntervalMs": 5000}), "outage")
    stop_stream = threading.Event()

    def produce():
        while not stop_stream.is_set():
            stream.send(per_second // 10)
            time.sleep(0.1)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    time.sleep(10)
    with crm.lock:
        crm.down = True
    went_down = time.monotonic()
    time.sleep(seconds)
    with crm.lock:
        crm.down = False
        refused = crm.refused
    came_back = time.monotonic()
    before_back = set(stream.ids)
    time.sleep(10)
    stop_stream.set()
    producer.join()
    produced = set(stream.ids)
    wait_for(lambda: crm.count() >= len(produced), 120)
    last = max(crm.accepted[i] for i in before_back if i in crm.accepted)
    first = min(t for t in crm.accepted.values() if t >= came_back)
    # Deliveries per second after the circuit closed: where the drain is slow.
    drain = [0] * 30
    for t in crm.accepted.values():
        if first <= t < first + 30:
            drain[int(t - first)] += 1
    stop(proc)
    lost = len(produced - set(crm.accepted))
    return {"scenario": "outage", "outage_s": seconds, "stream_per_s": per_second, "produced": len(produced),
            "delivered": crm.count(), "lost": lost, "dead_letters": dead_letters(topic + ".dlq"),
            "calls_while_down": refused, "calls_without_breaker_at_least": int(per_second * seconds),
            "concurrency": slots, "first_delivery_s_after_back": round(first - came_back, 2),
            "delivered_per_second_after_closing": drain,
            "backlog_cleared_s_after_back": round(last - came_back, 2), "backlog_cleared_s_after_circuit_closed": round(last - first, 2), "backlog_events": len(before_back), "down_s": round(came_back - went_down, 1)}


SCENARIOS = {"c1": lambda: concurrency(1), "c4": lambda: concurrency(4), "c16": lambda: concurrency(16),
             "rate": rate_limit, "outage": lambda: outage(OUTAGE)}
for name in os.environ.get("SINKS_SCENARIOS", "c1,c4,c16,rate,outage").split(","):
    print(json.dumps(SCENARIOS[name]()), flush=True)
