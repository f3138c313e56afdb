#!/usr/bin/env python3
"""A local stand-in for the providers' REST APIs, for tests and `make run` — not a provider.

It implements the endpoints Hookway's API clients call (PROVIDER-APIS.md) and verifies each
provider's documented authentication, refusing what the provider would refuse:

  /bitso/v3/fundings/{fid}/ ...      Authorization: Bitso key:nonce:hex(HMAC-SHA256(secret, nonce+METHOD+path+body));
                                      a nonce not above the key's last one is refused (code 0201)
  /bitnob/api/transactions/{id} ...  X-Auth-Client/-Timestamp (±300 s)/-Nonce (never reused)/-Signature
  /bitpowr/api/v1/transactions/{uid} Authorization: Bearer base64(publicKey:secretKey)
  /koywe/api/v1/auth/sign-in, .../orders/{id}   JWT (HS256, own key) with exp; expired → 401
  /bitcapital/oauth/token, /bitcapital/transactions/{id}   OAuth Basic → bearer, plus
                                      X-Request-Signature over METHOD,PATH,TIMESTAMP (±30 s)

Control endpoints (no auth; loopback only):
  POST /_standin/entities  {"provider", "kind", "record", "visibleAfterMs"?}   seed or replace
  POST /_standin/delete    {"provider", "kind", "id"}
  POST /_standin/faults    {"provider", "responses": [{"status", "headers"?, "body"?}, ...]}
                           the next requests to that provider get these answers, in order
  POST /_standin/tokens    {"tokenTtlSeconds": n, "revoke": true}   token lifetime; revoke all issued tokens
  POST /_standin/webhooks  {"provider", "id", "event", "createdAgoMs"?, "delivered"?, "merchantId"?,
                            "request": {"url", "headers", "body"}}   a webhook the provider sent (or failed to);
                           Bitso's retry API and Koywe's replay deliver "request" again, a moment later
  GET  /_standin/webhooks  the stored webhooks with their delivery attempts

Replay APIs (auth as above):
  POST /bitso/v3/webhooks/retry/preview, /bitso/v3/webhooks/retry   {from_date, to_date, event, delivered?, limit?}
        with Bitso's documented rules (both dates required, ≤ 3 days apart, not in the future, ≤ 60 days back)
        — the paths are Hookway's guesses (Bitso's pages do not show them)
  GET  /koywe/api/v1/organizations/{org}/webhook-events?from&to&merchantId&page&limit,
       .../webhook-events/{id}/deliveries, POST .../webhook-events/{id}/replay {endpointId?}
  GET  /bitnob/api/webhooks/{webhookId}/events?webhook_id&page&limit   Bitnob's delivery events
       ({object: event, id, webhook_id, type, delivery_status, delivery_attempts, max_attempts,
       http_status_code, error_message, created_at}); POST .../events/{id}/retry re-sends one
       — the paths are Hookway's defaults (Bitnob's pages do not show them)
  GET  /_standin/requests  what was asked and answered: [{"provider","method","path","status","reason"}]
  POST /_standin/reset

Usage: provider_api.py --port 0 --credentials FILE [--seed FILE]   (prints "listening PORT")
  credentials: {"bitso": {"key", "secret"}, "bitnob": {"clientId", "clientSecret"}, ...}; "env:NAME" values are read
  from the environment. Seed records may say "now" for a time field.
"""
import argparse, base64, hashlib, hmac, json, os, threading, time, urllib.request, urllib.error
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

LOCK = threading.Lock()
STATE = {}
JWT_KEY = b"standin-koywe-jwt-key"


def reset(credentials):
    STATE.clear()
    STATE.update({
        "credentials": credentials,
        "entities": {},          # (provider, kind, id) -> {"record", "visibleAt", "order"}
        "faults": {},            # provider -> [responses]
        "bitso_nonce": {},       # key -> last nonce
        "bitnob_nonces": set(),
        "koywe_ttl": 3600,
        "bitcapital_tokens": set(),
        "requests": [],
        "order": 0,
        "webhooks": [],          # {"provider", "id", "event", "createdAt" (ms), "delivered", "merchantId", "request", "attempts"}
    })


BITSO_RETRY_EVENTS = {"funding", "withdrawal", "payin", "payout", "payin_intent", "dynamic_qr_code", "payment_intent"}


def parse_time(text):
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except (AttributeError, ValueError):
        return None


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def deliver_later(hook):
    """Sends a stored webhook again, a moment later, as the provider's retry would."""
    def send():
        req = hook["request"]
        request = urllib.request.Request(req["url"], data=req["body"].encode(), method="POST")
        for k, v in req.get("headers", {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                code = r.status
        except urllib.error.HTTPError as e:
            code = e.code
        except OSError:
            code = 0
        with LOCK:
            hook["attempts"].append({"status": code, "at": iso(now_ms())})
            if 200 <= code < 300:
                hook["delivered"] = True
    threading.Timer(0.1, send).start()


def hook_view(hook):
    return {k: hook[k] for k in ("provider", "id", "event", "delivered", "attempts")} | {"createdAt": iso(hook["createdAt"])}


def now_ms():
    return int(time.time() * 1000)


def seed(entry):
    STATE["order"] += 1
    record = dict(entry["record"])
    for k, v in record.items():
        if v == "now":  # seed files date their records at start-up
            record[k] = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
    rid = str(record.get(id_field(entry["provider"], entry["kind"]), record.get("id")))
    STATE["entities"][(entry["provider"], entry["kind"], rid)] = {
        "record": record, "visibleAt": now_ms() + int(entry.get("visibleAfterMs", 0)), "order": STATE["order"]}


def id_field(provider, kind):
    return {("bitso", "funding"): "fid", ("bitso", "withdrawal"): "wid", ("bitnob", "transaction"): "transaction_id",
            ("bitpowr", "transaction"): "uid"}.get((provider, kind), "id")


def lookup(provider, kind, rid):
    e = STATE["entities"].get((provider, kind, rid))
    if e is None or e["visibleAt"] > now_ms():
        return None
    return e["record"]


def listing(provider, kind):
    items = [e for (p, k, _), e in STATE["entities"].items() if p == provider and k == kind and e["visibleAt"] <= now_ms()]
    items.sort(key=lambda e: e["order"], reverse=True)
    return [e["record"] for e in items]


class Refusal(Exception):
    def __init__(self, status, body, reason):
        self.status, self.body, self.reason = status, body, reason


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(ttl):
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps({"sub": "standin", "exp": int(time.time()) + ttl}).encode())
    sig = b64url(hmac.new(JWT_KEY, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def check_jwt(token):
    try:
        head, body, sig = token.split(".")
    except ValueError:
        raise Refusal(401, {"message": "malformed token"}, "koywe: malformed token")
    good = b64url(hmac.new(JWT_KEY, f"{head}.{body}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(good, sig):
        raise Refusal(401, {"message": "invalid token"}, "koywe: bad token signature")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if claims["exp"] <= time.time():
        raise Refusal(401, {"message": "token expired"}, "koywe: expired token")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def answer(self, status, body, headers=None, provider="", reason=""):
        data = json.dumps(body).encode() if not isinstance(body, (bytes, bytearray)) else bytes(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        if provider:
            STATE["requests"].append({"provider": provider, "method": self.command, "path": self.path,
                                      "status": status, "reason": reason})

    def handle_any(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        segments = [s for s in parts.path.split("/") if s]
        with LOCK:
            if segments and segments[0] == "_standin":
                return self.control(method, segments[1:], raw)
            provider = segments[0] if segments else ""
            faults = STATE["faults"].get(provider)
            if faults:
                f = faults.pop(0)
                return self.answer(f["status"], f.get("body", {"message": "injected"}), f.get("headers"), provider,
                                   "injected %d" % f["status"])
            try:
                handler = getattr(self, "api_" + provider, None)
                if handler is None:
                    return self.answer(404, {"message": "no such provider"}, provider=provider, reason="unknown provider")
                status, body = handler(method, "/" + "/".join(segments[1:]) + ("/" if parts.path.endswith("/") else ""),
                                       parts, raw)
                self.answer(status, body, provider=provider, reason="ok" if status < 400 else "not found")
            except Refusal as r:
                self.answer(r.status, r.body, provider=provider, reason=r.reason)

    def control(self, method, segments, raw):
        body = json.loads(raw) if raw else {}
        what = segments[0] if segments else ""
        if what == "entities" and method == "POST":
            for entry in body if isinstance(body, list) else [body]:
                seed(entry)
            return self.answer(200, {"ok": True})
        if what == "delete":
            STATE["entities"].pop((body["provider"], body["kind"], str(body["id"])), None)
            return self.answer(200, {"ok": True})
        if what == "faults":
            STATE["faults"].setdefault(body["provider"], []).extend(body["responses"])
            return self.answer(200, {"ok": True})
        if what == "tokens":  # Koywe sign-in tokens
            global JWT_KEY
            if "tokenTtlSeconds" in body:
                STATE["koywe_ttl"] = int(body["tokenTtlSeconds"])
            if body.get("revoke"):
                JWT_KEY = hashlib.sha256(JWT_KEY).digest()  # every token issued so far stops verifying
            return self.answer(200, {"ok": True})
        if what == "webhooks" and method == "POST":
            for entry in body if isinstance(body, list) else [body]:
                STATE["webhooks"].append({
                    "provider": entry["provider"], "id": str(entry["id"]), "event": entry["event"],
                    "createdAt": now_ms() - int(entry.get("createdAgoMs", 0)), "delivered": bool(entry.get("delivered", False)),
                    "merchantId": entry.get("merchantId"), "webhookId": entry.get("webhookId", "wh_standin"),
                    "request": entry["request"], "attempts": []})
            return self.answer(200, {"ok": True})
        if what == "webhooks":
            return self.answer(200, [hook_view(h) for h in STATE["webhooks"]])
        if what == "requests":
            return self.answer(200, STATE["requests"])
        if what == "reset":
            reset(STATE["credentials"])
            return self.answer(200, {"ok": True})
        return self.answer(404, {"message": "unknown control"})

    # --- Bitso -------------------------------------------------------------------------------
    def api_bitso(self, method, path, parts, raw):
        creds = STATE["credentials"]["bitso"]
        auth = self.headers.get("Authorization", "")
        refused = Refusal(401, {"success": False, "error": {"code": "0201", "message": "Invalid Nonce or Invalid Credentials"}},
                          "bitso: ")
        if not auth.startswith("Bitso "):
            refused.reason += "no Bitso authorization"
            raise refused
        try:
            key, nonce, signature = auth[6:].split(":")
        except ValueError:
            refused.reason += "malformed authorization"
            raise refused
        request_path = parts.path + ("?" + parts.query if parts.query else "")  # the path as sent is the path signed
        expected = hmac.new(creds["secret"].encode(), (nonce + method + request_path).encode() + raw, hashlib.sha256).hexdigest()
        if key != creds["key"] or not hmac.compare_digest(expected, signature):
            refused.reason += "bad signature"
            raise refused
        if int(nonce) <= STATE["bitso_nonce"].get(key, 0):
            refused.reason += "reused nonce"
            raise refused
        STATE["bitso_nonce"][key] = int(nonce)
        segs = [s for s in path.split("/") if s]          # v3, fundings, [id]
        if segs[:3] == ["v3", "webhooks", "retry"] and method == "POST" and len(segs) <= 4:
            return self.bitso_retry(preview=segs[3:] == ["preview"], raw=raw)
        if len(segs) < 2 or segs[0] != "v3" or segs[1] not in ("fundings", "withdrawals"):
            return 404, {"success": False, "error": {"code": "0404", "message": "not found"}}
        kind = segs[1][:-1]
        if len(segs) == 3:
            record = lookup("bitso", kind, segs[2])
            if record is None:
                return 404, {"success": False, "error": {"code": "0404", "message": "not found"}}
            return 200, {"success": True, "payload": [record]}
        query = parse_qs(parts.query)
        items = listing("bitso", kind)
        marker = query.get("marker", [None])[0]
        if marker:
            ids = [r.get(id_field("bitso", kind)) for r in items]
            items = items[ids.index(marker) + 1:] if marker in ids else []
        limit = int(query.get("limit", ["25"])[0])
        return 200, {"success": True, "payload": items[:limit]}

    def bitso_retry(self, preview, raw):
        """Bitso's retry API with its documented rules; a violation is a 400 as Bitso answers it."""
        def bad(message):
            return 400, {"success": False, "error": {"code": "0102", "message": message}}
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return bad("body is not JSON")
        start, end = parse_time(body.get("from_date")), parse_time(body.get("to_date"))
        if start is None or end is None:
            return bad("from_date and to_date are required date-times")
        if start >= end:
            return bad("from_date must be before to_date")
        if end - start > 3 * 86_400_000:
            return bad("the interval between from_date and to_date must not exceed 3 days")
        if end > now_ms() + 5_000:
            return bad("to_date must not be in the future")
        if start < now_ms() - 60 * 86_400_000:
            return bad("from_date must be no more than 60 days in the past")
        if body.get("event") not in BITSO_RETRY_EVENTS:
            return bad("event must be one of the documented event types")
        delivered = bool(body.get("delivered", False))
        matching = [h for h in STATE["webhooks"] if h["provider"] == "bitso" and h["event"] == body["event"]
                    and start <= h["createdAt"] <= end and h["delivered"] == delivered]
        if "limit" in body:
            matching = matching[:max(1, int(body["limit"]))]
        if preview:
            return 200, {"success": True, "payload": {"count": len(matching)}}
        for hook in matching:
            deliver_later(hook)
        return 202, {"success": True, "payload": {"scheduled": len(matching)}}

    # --- Bitnob ------------------------------------------------------------------------------
    def api_bitnob(self, method, path, parts, raw):
        creds = STATE["credentials"]["bitnob"]
        client = self.headers.get("X-Auth-Client", "")
        ts = self.headers.get("X-Auth-Timestamp", "")
        nonce = self.headers.get("X-Auth-Nonce", "")
        signature = self.headers.get("X-Auth-Signature", "")
        expected = hmac.new(creds["clientSecret"].encode(), f"{client}:{ts}:{nonce}:".encode() + raw, hashlib.sha256).hexdigest()
        if client != creds["clientId"] or not hmac.compare_digest(expected, signature):
            raise Refusal(401, {"success": False, "message": "invalid signature"}, "bitnob: bad signature")
        if not ts.isdigit() or abs(int(ts) - time.time()) > 300:
            raise Refusal(401, {"success": False, "message": "timestamp outside tolerance"}, "bitnob: stale timestamp")
        if not (8 <= len(nonce) <= 128) or nonce in STATE["bitnob_nonces"]:
            raise Refusal(401, {"success": False, "message": "nonce reused"}, "bitnob: reused nonce")
        STATE["bitnob_nonces"].add(nonce)
        segs = [s for s in path.split("/") if s]          # api, transactions, [id]
        if segs[:2] == ["api", "webhooks"] and len(segs) >= 4 and segs[3] == "events":
            return self.bitnob_events(method, segs[2], segs[4:], parts)
        if segs[:2] != ["api", "transactions"]:
            return 404, {"success": False, "message": "not found"}
        if len(segs) == 3:
            record = lookup("bitnob", "transaction", segs[2])
            if record is None:
                return 404, {"success": False, "message": "Transaction not found"}
            return 200, {"success": True, "message": "Transaction retrieved successfully", "data": record}
        items = listing("bitnob", "transaction")
        return 200, {"success": True, "data": {"transactions": items, "has_more": False, "next_cursor": None}}

    def bitnob_events(self, method, webhook, rest, parts):
        if parse_qs(parts.query).get("webhook_id", [webhook])[0] != webhook:
            return 400, {"success": False, "message": "webhook_id does not match the path"}
        hooks = [h for h in STATE["webhooks"] if h["provider"] == "bitnob" and h["webhookId"] == webhook]

        def view(h):
            failed = not h["delivered"]
            last = h["attempts"][-1]["status"] if h["attempts"] else (200 if h["delivered"] else 0)
            return {"object": "event", "id": h["id"], "webhook_id": webhook, "type": h["event"],
                    "delivery_status": "failed" if failed else "success", "delivery_attempts": max(1, len(h["attempts"])),
                    "max_attempts": 4, "http_status_code": last, "error_message": None if not failed else "no 2xx",
                    "created_at": iso(h["createdAt"])}
        if not rest and method == "GET":
            query = parse_qs(parts.query)
            page, limit = int(query.get("page", ["1"])[0]), int(query.get("limit", ["20"])[0])
            items = sorted(hooks, key=lambda h: h["createdAt"], reverse=True)[(page - 1) * limit:page * limit]
            return 200, {"success": True, "data": [view(h) for h in items]}
        hook = next((h for h in hooks if rest and h["id"] == rest[0]), None)
        if hook is None:
            return 404, {"success": False, "message": "Event not found"}
        if rest[1:] == ["retry"] and method == "POST":
            deliver_later(hook)
            return 200, {"success": True, "message": "Event delivery retry queued", "data": view(hook)}
        return 404, {"success": False, "message": "not found"}

    # --- Bitpowr -----------------------------------------------------------------------------
    def api_bitpowr(self, method, path, parts, raw):
        creds = STATE["credentials"]["bitpowr"]
        token = base64.b64encode(f"{creds['publicKey']}:{creds['secretKey']}".encode()).decode()
        if self.headers.get("Authorization", "") != "Bearer " + token:
            raise Refusal(401, {"status": "error", "message": "Unauthorized"}, "bitpowr: bad bearer")
        segs = [s for s in path.split("/") if s]          # api, v1, transactions, [uid]
        if segs[:3] != ["api", "v1", "transactions"]:
            return 404, {"status": "error", "message": "not found"}
        if len(segs) == 4:
            record = lookup("bitpowr", "transaction", segs[3])
            if record is None:
                return 404, {"status": "error", "message": "Transaction not found"}
            return 200, {"status": "success", "data": record}
        items = listing("bitpowr", "transaction")
        return 200, {"status": "success", "data": items, "page": "1", "totalPages": 1}

    # --- Koywe -------------------------------------------------------------------------------
    def api_koywe(self, method, path, parts, raw):
        creds = STATE["credentials"]["koywe"]
        segs = [s for s in path.split("/") if s]          # api, v1, ...
        if segs[:4] == ["api", "v1", "auth", "sign-in"] and method == "POST":
            body = json.loads(raw or b"{}")
            if body.get("apiKey") != creds["apiKey"] or body.get("secret") != creds["secret"]:
                raise Refusal(401, {"message": "invalid credentials"}, "koywe: bad sign-in")
            return 200, {"token": make_jwt(STATE["koywe_ttl"])}
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise Refusal(401, {"message": "missing token"}, "koywe: no token")
        check_jwt(auth[7:])
        if len(segs) >= 5 and segs[2] == "organizations" and segs[4] == "webhook-events":
            if segs[3] != creds["organizationId"]:
                raise Refusal(403, {"message": "not your organization"}, "koywe: wrong organization")
            return self.koywe_webhook_events(method, segs[5:], parts, raw)
        # api v1 organizations ORG merchants MER orders [id]
        if len(segs) < 7 or segs[2] != "organizations" or segs[4] != "merchants" or segs[6] != "orders":
            return 404, {"message": "not found"}
        if segs[3] != creds["organizationId"] or segs[5] != creds["merchantId"]:
            raise Refusal(403, {"message": "not your organization"}, "koywe: wrong organization")
        if len(segs) == 8:
            record = lookup("koywe", "order", segs[7])
            return (404, {"message": "Order not found"}) if record is None else (200, record)
        return 200, {"pagination": {"pageNumber": 1, "pageSize": 50}, "orders": listing("koywe", "order")}

    def koywe_webhook_events(self, method, rest, parts, raw):
        hooks = [h for h in STATE["webhooks"] if h["provider"] == "koywe"]
        if not rest and method == "GET":
            query = parse_qs(parts.query)
            start = parse_time(query.get("from", [""])[0]) if "from" in query else 0
            end = parse_time(query.get("to", [""])[0]) if "to" in query else now_ms()
            if start is None or end is None:
                return 400, {"message": "from and to must be ISO 8601 date-times"}
            merchant = query.get("merchantId", [None])[0]
            items = [h for h in hooks if start <= h["createdAt"] <= end and (merchant is None or h["merchantId"] in (None, merchant))]
            items.sort(key=lambda h: h["createdAt"], reverse=True)
            page, limit = int(query.get("page", ["1"])[0]), int(query.get("limit", ["20"])[0])
            chosen = items[(page - 1) * limit:page * limit]
            return 200, {"data": [{"id": h["id"], "type": h["event"], "createdAt": iso(h["createdAt"]), "resourceType": "order"}
                                  for h in chosen], "pagination": {"page": page, "limit": limit, "total": len(items)}}
        hook = next((h for h in hooks if rest and h["id"] == rest[0]), None)
        if hook is None:
            return 404, {"message": "Webhook event not found"}
        if rest[1:] == ["deliveries"] and method == "GET":
            status = 200 if hook["delivered"] else (hook["attempts"][-1]["status"] if hook["attempts"] else 503)
            return 200, {"data": [{"endpointId": "we_standin", "deliveryStatus": "DELIVERED" if hook["delivered"] else "FAILED",
                                   "retryCount": len(hook["attempts"]), "lastStatusCode": status}]}
        if rest[1:] == ["replay"] and method == "POST":
            deliver_later(hook)
            return 202, {"message": "Replay scheduled"}
        return 404, {"message": "not found"}

    # --- Bit Capital -------------------------------------------------------------------------
    def api_bitcapital(self, method, path, parts, raw):
        creds = STATE["credentials"]["bitcapital"]
        if path.rstrip("/") == "/oauth/token" and method == "POST":
            basic = base64.b64encode(f"{creds['clientId']}:{creds['clientSecret']}".encode()).decode()
            if self.headers.get("Authorization", "") != "Basic " + basic or b"grant_type=client_credentials" not in raw:
                raise Refusal(401, {"error": "invalid_client"}, "bitcapital: bad client credentials")
            token = base64.b16encode(hashlib.sha256(str(time.time()).encode()).digest()[:12]).decode()
            STATE["bitcapital_tokens"].add(token)
            return 200, {"access_token": token, "token_type": "bearer", "expires_in": 1800}
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in STATE["bitcapital_tokens"]:
            raise Refusal(401, {"error": "invalid_token"}, "bitcapital: bad token")
        ts = self.headers.get("X-Request-Timestamp", "")
        signature = self.headers.get("X-Request-Signature", "")
        signed = f"{method},{parts.path},{ts}"
        expected = hmac.new(creds["clientSecret"].encode(), signed.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Refusal(401, {"error": "invalid_signature"}, "bitcapital: bad request signature")
        stamp = int(ts) / (1000 if len(ts) > 11 else 1)
        if abs(stamp - time.time()) > 30:
            raise Refusal(401, {"error": "expired_signature"}, "bitcapital: stale request timestamp")
        segs = [s for s in path.split("/") if s]
        if len(segs) == 2 and segs[0] in ("transactions", "users", "payments"):
            record = lookup("bitcapital", segs[0][:-1], segs[1])
            return (404, {"message": "not found"}) if record is None else (200, record)
        if len(segs) == 3 and segs[0] == "wallets" and segs[2] == "transactions":
            return 200, listing("bitcapital", "transaction")
        return 404, {"message": "not found"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--credentials", required=True)
    ap.add_argument("--seed")
    args = ap.parse_args()
    with open(args.credentials) as f:
        credentials = json.load(f)
    for values in credentials.values():  # "env:NAME" values come from the environment
        for k, v in values.items():
            if isinstance(v, str) and v.startswith("env:"):
                values[k] = os.environ[v[4:]]
    reset(credentials)
    if args.seed:
        with open(args.seed) as f:
            for entry in json.load(f):
                seed(entry)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    print("listening %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
