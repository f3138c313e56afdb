#!/usr/bin/env python3
"""The lean peer (issue 18): the smallest Python a team would write for the same promise.

aiohttp, WORKERS processes sharing the port (SO_REUSEPORT). Per request: hmac.compare_digest of
the hex HMAC-SHA512 of the raw body, json.loads, one confluent-kafka produce of the raw body
(key = data.id) to `webhooks.{provider}.{event}` (prefixed `lean.` so runs do not mix) with
acks=all, enable.idempotence=true, linger.ms=1. Delivery reports come from producer.poll(0)
every 1 ms in an asyncio task on the same loop; 200 only after the report, 503 on a delivery
error or after 4 s.

    lean.py PORT BROKERS [WORKERS]      secret: $BITNOB_WEBHOOK_SECRET or bitnob_test_secret
"""
import asyncio
import hashlib
import hmac
import json
import os
import sys

from aiohttp import web
from workers import run_app, serve
from confluent_kafka import KafkaException, Producer

SECRET = os.environ.get("BITNOB_WEBHOOK_SECRET", "bitnob_test_secret").encode()
PREFIX = "lean.webhooks.bitnob."


async def webhook(request):
    body = await request.read()
    signature = request.headers.get("x-bitnob-signature", "")
    expected = hmac.new(SECRET, body, hashlib.sha512).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        return web.json_response({"error": {"code": "invalid_signature"}}, status=401)
    try:
        payload = json.loads(body)
        event = payload["event"].lower()
        key = str(payload["data"]["id"]).encode()
    except (ValueError, KeyError, TypeError, AttributeError):
        return web.json_response({"error": {"code": "malformed_payload"}}, status=400)
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def report(err, _msg):
        # Called from producer.poll(0), i.e. on this loop's thread.
        if not done.done():
            done.set_result(err)

    topic = PREFIX + event
    while True:
        try:
            request.app["producer"].produce(topic, body, key, on_delivery=report)
            break
        except BufferError:
            await asyncio.sleep(0.001)
    try:
        err = await asyncio.wait_for(done, timeout=4.0)
    except asyncio.TimeoutError:
        err = "timed out"
    if err is not None:
        return web.json_response({"error": {"code": "broker_unavailable", "message": str(err)}}, status=503,
                                 headers={"Retry-After": "5"})
    return web.json_response({"id": f"bitnob:{event}:{key.decode()}", "topics": [topic]})



def worker(port, brokers):
    async def poll(app):
        producer = app["producer"]
        while True:
            producer.poll(0)
            await asyncio.sleep(0.001)

    async def on_startup(app):
        app["producer"] = Producer({
            "bootstrap.servers": brokers, "acks": "all", "enable.idempotence": True, "linger.ms": 1,
            "client.id": "bench-lean",
        })
        app["poller"] = asyncio.get_running_loop().create_task(poll(app))

    async def on_cleanup(app):
        app["poller"].cancel()
        app["producer"].flush(10)

    run_app(port, webhook, on_startup, on_cleanup)


if __name__ == "__main__":
    serve(worker, [PREFIX + "btc.lightning.received.success"])
