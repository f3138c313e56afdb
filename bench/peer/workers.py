"""What both Python peers share: their topics created up front, and WORKERS processes serving
one port (SO_REUSEPORT), stopped together on SIGTERM/SIGINT."""
import multiprocessing
import os
import signal
import sys

from aiohttp import web
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic


def serve(worker, topics):
    """`PROG PORT BROKERS [WORKERS]`: creates `topics` (6 partitions) and runs `worker(port, brokers)` in each process."""
    port, brokers = int(sys.argv[1]), sys.argv[2]
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    admin = AdminClient({"bootstrap.servers": brokers})
    for fut in admin.create_topics([NewTopic(t, num_partitions=6, replication_factor=1) for t in topics]).values():
        try:
            fut.result(10)
        except (KafkaException, TimeoutError):
            pass  # exists already, or the broker is slow: the first produce creates it
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=worker, args=(port, brokers), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()

    def stop(*_):
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGINT)
        for p in procs:
            p.join(15)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for p in procs:
        p.join()


async def healthz(_request):
    return web.json_response({"status": "ok"})


def run_app(port, webhook, on_startup, on_cleanup):
    """One worker's aiohttp app: `POST /webhooks/bitnob` and `GET /healthz` on the shared port."""
    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/webhooks/bitnob", webhook)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    web.run_app(app, host="127.0.0.1", port=port, reuse_port=True, access_log=None, print=None)
