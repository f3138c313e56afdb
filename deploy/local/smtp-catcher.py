#!/usr/bin/env python3
"""SMTP on :1025 that keeps every message in memory, and GET /api/v1/messages on :8025 in
Mailpit's shape ({"total": N, "messages": [{"Subject", "From", "To"}, ...]}), so the compose
smoke checks one API against Mailpit or this stand-in. Development and tests only."""
import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

MESSAGES = []
LOCK = threading.Lock()


class Keep:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with LOCK:
            MESSAGES.append({
                "Subject": str(message.get("Subject", "")),
                "From": envelope.mail_from,
                "To": list(envelope.rcpt_tos),
                "Size": len(envelope.content),
            })
        return "250 Message accepted"


class API(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/api/v1/messages"):
            with LOCK:
                body = json.dumps({"total": len(MESSAGES), "messages": MESSAGES}).encode()
            self.send_response(200)
        elif self.path == "/livez":
            body = b"ok"
            self.send_response(200)
        else:
            body = b"not found"
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    controller = Controller(Keep(), hostname="0.0.0.0", port=1025)
    controller.start()
    ThreadingHTTPServer(("0.0.0.0", 8025), API).serve_forever()
