#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver for the tests (issue 30): decodes what Hookway's exporter really
sends with the official OpenTelemetry protobuf definitions (PyPI `opentelemetry-proto`, installed
by scripts/bootstrap into .tools/venv) and serves the spans it received as JSON.

    .tools/venv/bin/python scripts/otlp-receiver.py --port PORT

POST /v1/traces  ExportTraceServiceRequest (application/x-protobuf, gzip or not) -> 200
GET  /spans      [{"service", "traceId", "spanId", "parentSpanId", "name", "kind", "status",
                   "attributes": {k: str}, "links": [{"traceId", "spanId"}],
                   "events": [{"name", "attributes"}]}]
Anything that does not decode is answered 400 and counted in GET /errors.
With --discard (bench/tracing-ab) it only counts the exports and their bytes (GET /count)."""
import argparse, gzip, json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

LOCK = threading.Lock()
SPANS = []
ERRORS = []
COUNT = {"exports": 0, "bytes": 0}
DISCARD = False
KINDS = {v: k.replace("SPAN_KIND_", "").lower() for k, v in Span.SpanKind.items()}
STATUS = {v: k.replace("STATUS_CODE_", "").lower() for k, v in Status.StatusCode.items()}


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    v = getattr(any_value, kind)
    if kind in ("array_value", "kvlist_value", "bytes_value"):
        return str(v)
    return str(v).lower() if kind == "bool_value" else str(v)


def attributes(pairs):
    return {kv.key: value(kv.value) for kv in pairs}


def decode(body):
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for s in scope_spans.spans:
                spans.append({
                    "service": resource.get("service.name"),
                    "traceId": s.trace_id.hex(), "spanId": s.span_id.hex(), "parentSpanId": s.parent_span_id.hex(),
                    "name": s.name, "kind": KINDS.get(s.kind, str(s.kind)), "status": STATUS.get(s.status.code, ""),
                    "attributes": attributes(s.attributes),
                    "links": [{"traceId": l.trace_id.hex(), "spanId": l.span_id.hex()} for l in s.links],
                    "events": [{"name": e.name, "attributes": attributes(e.attributes)} for e in s.events],
                    "startNanos": s.start_time_unix_nano, "endNanos": s.end_time_unix_nano,
                })
    return spans


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/v1/traces":
            return self.reply(404, b"", "text/plain")
        if DISCARD:
            with LOCK:
                COUNT["exports"] += 1
                COUNT["bytes"] += len(body)
            return self.reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")
        try:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if not (self.headers.get("Content-Type") or "").startswith("application/x-protobuf"):
                raise ValueError("content type %r is not application/x-protobuf" % self.headers.get("Content-Type"))
            spans = decode(body)
        except Exception as error:  # anything that is not a valid export is the exporter's bug
            with LOCK:
                ERRORS.append(str(error))
            return self.reply(400, str(error).encode(), "text/plain")
        with LOCK:
            SPANS.extend(spans)
        self.reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

    def do_GET(self):
        with LOCK:
            data = {"/spans": SPANS, "/errors": ERRORS, "/count": COUNT}.get(self.path)
            body = json.dumps(data).encode() if data is not None else None
        if body is None:
            return self.reply(404, b"", "text/plain")
        self.reply(200, body, "application/json")

    def log_message(self, *args):
        pass


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--discard", action="store_true")
args = parser.parse_args()
DISCARD = args.discard
ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
