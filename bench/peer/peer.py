#!/usr/bin/env python3
"""The benchmark's peer: what a competent team would write in Python instead of Hookway.

aiohttp, WORKERS processes sharing the port with SO_REUSEPORT; each has one confluent-kafka
producer (enable.idempotence=true, acks=all, linger.ms=2 like routes.json). A request:
reads the raw body, checks x-bitnob-signature (hex HMAC-SHA512, hmac.compare_digest), parses
the JSON, builds a CloudEvent (same attributes as Hookway's), produces it to the same two kinds
of topics Hookway's routes.json picks for btc.lightning.received.success (prefixed `peer.`
so the runs do not mix) and answers 200 only after both delivery reports arrived.

    peer.py PORT BROKERS [WORKERS]      secret: $BITNOB_WEBHOOK_SECRET or bitnob_test_secret
"""
import asyncio
import hashlib
import hmac
import json
import os
import sys
import threading
from datetime import datetime, timezone

from aiohttp import web
from workers import run_app, serve
from confluent_kafka import KafkaException, Producer

SECRET = os.environ.get("BITNOB_WEBHOOK_SECRET", "bitnob_test_secret").encode()
TOPIC_PREFIX = "peer."


def topics_for(event):
    topics = [TOPIC_PREFIX + "webhooks.bitnob." + event]
    if event.endswith(".received.success"):
        topics.append(TOPIC_PREFIX + "payments.deposits")
    return topics


class AsyncProducer:
    """confluent-kafka's Producer with delivery reports turned into asyncio futures: a thread
    polls for reports and resolves futures on the event loop."""

    def __init__(self, brokers, loop):
        self.loop = loop
        self.producer = Producer({
            "bootstrap.servers": brokers,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 2,
            "client.id": "bench-peer",
        })
        self.running = True
        self.thread = threading.Thread(target=self._poll, daemon=True)
        self.thread.start()

    def _poll(self):
        while self.running:
            self.producer.poll(0.1)

    def produce(self, topic, key, value, headers):
        fut = self.loop.create_future()

        def ack(err, msg):
            if err:
                self.loop.call_soon_threadsafe(_set_exception, fut, KafkaException(err))
            else:
                self.loop.call_soon_threadsafe(_set_result, fut, msg)

        while True:
            try:
                self.producer.produce(topic, value, key, headers=headers, on_delivery=ack)
                return fut
            except BufferError:
                self.producer.poll(0.01)

    def close(self):
        self.running = False
        self.producer.flush(10)


def _set_result(fut, value):
    if not fut.done():
        fut.set_result(value)


def _set_exception(fut, exc):
    if not fut.done():
        fut.set_exception(exc)


def error(status, code, message):
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def webhook(request):
    body = await request.read()
    signature = request.headers.get("x-bitnob-signature")
    if not signature:
        return error(401, "missing_signature", "x-bitnob-signature is missing")
    expected = hmac.new(SECRET, body, hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        return error(401, "invalid_signature", "signature does not match")
    try:
        payload = json.loads(body)
        event = payload["event"].lower()
        data = payload["data"]
        entity_id = data["id"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return error(400, "malformed_payload", "not a Bitnob webhook")
    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event_id = f"bitnob:{event}:{entity_id}"
    ce_type = "bitnob." + event
    cloud_event = {
        "specversion": "1.0", "id": event_id, "source": "/webhooks/bitnob", "type": ce_type,
        "subject": entity_id, "time": now, "datacontenttype": "application/json",
        "authmethod": "signature", "receivedat": now,
        "data": {
            "provider": "bitnob", "source": "bitnob", "event": event,
            "entity": {"kind": "transaction", "id": entity_id},
            "status": (data.get("status") or "").lower() or None,
            "amount": data.get("amount"), "currency": data.get("currency"),
            "reference": data.get("reference"), "payload": payload,
        },
    }
    value = json.dumps(cloud_event, separators=(",", ":")).encode()
    headers = [
        ("content-type", b"application/cloudevents+json; charset=utf-8"),
        ("ce_id", event_id.encode()), ("ce_type", ce_type.encode()),
        ("ce_source", b"/webhooks/bitnob"), ("ce_subject", entity_id.encode()),
    ]
    producer = request.app["producer"]
    topics = topics_for(event)
    try:
        await asyncio.wait_for(
            asyncio.gather(*(producer.produce(t, entity_id.encode(), value, headers) for t in topics)), timeout=4.0)
    except (asyncio.TimeoutError, KafkaException) as e:
        return web.json_response(
            {"error": {"code": "broker_unavailable", "message": str(e)}}, status=503, headers={"Retry-After": "5"})
    return web.json_response({"id": event_id, "type": ce_type, "topics": topics})



def worker(port, brokers):
    async def on_startup(app):
        app["producer"] = AsyncProducer(brokers, asyncio.get_running_loop())

    async def on_cleanup(app):
        app["producer"].close()

    run_app(port, webhook, on_startup, on_cleanup)


if __name__ == "__main__":
    serve(worker, topics_for("btc.lightning.received.success"))
