#!/usr/bin/env python3
"""A stand-in CRM for `make run`: accepts every request on 127.0.0.1:8090, answers 200 and
appends it (method, path, idempotency key, traceparent, body) as one JSON line to var/crm-requests.log."""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1] if len(sys.argv) > 1 else "var/crm-requests.log"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8090


class Handler(BaseHTTPRequestHandler):
    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "method": self.command, "path": self.path,
                 "idempotencyKey": self.headers.get("Idempotency-Key"), "traceparent": self.headers.get("traceparent"),
                 "body": body}
        with open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    do_POST = do_PUT = do_PATCH = do_GET = do_DELETE = handle_any

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
