#!/usr/bin/env python3
"""Produces N ~1 KB CloudEvents for the ledger sink benchmark (bench/run).

Each event is what `hookway serve` publishes for a Bitnob btc.lightning.received.success
webhook (same attributes, headers, key = subject), so it matches the repository's ledger
posting rule `bitnob.*.received.success`: debit assets:bitnob:{data.currency}, credit
liabilities:customers:{data.payload.data.customerEmail} (5,000 distinct customers).
Prints `PRODUCED n=N amount_sum=S seconds=T`; S is the exact sum of the amounts, which the
ledger's assets:bitnob:BTC balance must equal afterwards.

    ledger_produce.py BROKERS TOPIC N [PARTITIONS]
"""
import json
import sys
import time
import uuid
from decimal import Decimal

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

brokers, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
partitions = int(sys.argv[4]) if len(sys.argv) > 4 else 6
admin = AdminClient({"bootstrap.servers": brokers})
admin.list_topics(timeout=15)  # fails fast when the broker is not there
for f in admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)]).values():
    try:
        f.result(10)
    except Exception:
        pass
p = Producer({
    "bootstrap.servers": brokers, "enable.idempotence": True, "acks": "all",
    "linger.ms": 20, "batch.size": 1000000, "queue.buffering.max.messages": 500000,
    "compression.type": "none",
})
ns = uuid.uuid5(uuid.NAMESPACE_URL, "hookway-bench/ledger")
failed = 0


def report(err, _msg):
    global failed
    if err:
        failed += 1


# One template, filled per event (json.dumps per event would make the producer the bottleneck).
event = "btc.lightning.received.success"
now = "2025-01-15T10:00:00.000Z"
template = json.dumps({
    "specversion": "1.0", "id": f"bitnob:{event}:@ID@", "source": "/webhooks/bitnob", "type": "bitnob." + event,
    "subject": "@ID@", "time": now, "datacontenttype": "application/json", "authmethod": "signature",
    "receivedat": now, "data": {
        "provider": "bitnob", "source": "bitnob", "event": event, "entity": {"kind": "transaction", "id": "@ID@"},
        "status": "success", "amount": "@AMOUNT@", "currency": "BTC", "reference": "@REF@",
        "payload": {"event": event, "data": {
            "id": "@ID@", "amount": "@AMOUNT@", "currency": "BTC", "status": "success", "type": "credit",
            "channel": "lightning", "reference": "@REF@", "fees": "0.00000010", "customerEmail": "@EMAIL@",
            "companyId": "e3fd0dac-e2dd-525e-a761-7f2151ee1515",
            "callbackUrl": "https://merchant.example.com/hooks/bitnob",
            "createdAt": now}}}}, separators=(",", ":"))
template = template.replace("%", "%%").replace("@ID@", "%(id)s").replace("@AMOUNT@", "%(amount)s") \
    .replace("@REF@", "%(ref)s").replace("@EMAIL@", "%(email)s")
ce_type = b"bitnob." + event.encode()
prefix = ns.hex[:8]
total_sats = 0
t0 = time.time()
for i in range(n):
    tid = f"{prefix}-{i >> 32 & 0xffff:04x}-{i >> 16 & 0xffff:04x}-8{i & 0xfff:03x}-{i * 2654435761 % (1 << 48):012x}"
    sats = 1000 + (i * 7919) % 90000
    total_sats += sats
    amount = f"0.{sats:08d}"
    value = (template % {"id": tid, "amount": amount, "ref": tid[-12:], "email": f"customer{i % 5000}@example.com"}).encode()
    key = tid.encode()
    headers = [("content-type", b"application/cloudevents+json; charset=utf-8"), ("ce_id", b"bitnob:" + event.encode() + b":" + key),
               ("ce_type", ce_type), ("ce_source", b"/webhooks/bitnob"), ("ce_subject", key)]
    while True:
        try:
            p.produce(topic, value, key, headers=headers, on_delivery=report)
            break
        except BufferError:
            p.poll(0.05)
    if i % 1000 == 0:
        p.poll(0)
total = Decimal(total_sats) / Decimal(10 ** 8)
if p.flush(120) != 0 or failed:
    print(f"ledger_produce: {failed} failed, {len(p)} unflushed", file=sys.stderr)
    sys.exit(1)
print(f"PRODUCED n={n} amount_sum={total} value_bytes={len(value)} seconds={time.time() - t0:.1f}")
