#!/usr/bin/env python3
"""Writes N signed Bitnob webhook deliveries for the load generators (bench/bitnob.lua,
bench/openloop.c): one line per request, `<hex HMAC-SHA512(secret, body)>\t<body>`.

wrk's LuaJIT has no HMAC, so bodies are signed here once and the clients cycle through the
file: every line has its own `data.id` (uuid derived from TAG and the line number), so ids are
unique within a file; a client that sends more than N requests starts over (ids then repeat).

    gen_bodies.py OUT N TAG [SECRET]
"""
import hashlib
import hmac
import sys
import uuid

out, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
secret = (sys.argv[4] if len(sys.argv) > 4 else "bitnob_test_secret").encode()
ns = uuid.uuid5(uuid.NAMESPACE_URL, "hookway-bench/" + tag)
company = uuid.uuid5(uuid.NAMESPACE_URL, "hookway-bench/company")
# A BOLT-11 invoice-sized string: Bitnob's lightning transactions carry the payment request.
invoice = "lnbc210n1pj" + hashlib.sha512(b"invoice").hexdigest()[:180]

with open(out, "w") as f:
    for i in range(n):
        tid = uuid.uuid5(ns, str(i))
        h = tid.hex
        sats = 1000 + (i * 7919) % 90000
        body = (
            '{"event":"btc.lightning.received.success","data":{'
            f'"id":"{tid}","amount":"0.{sats:08d}","currency":"BTC","status":"success",'
            f'"type":"credit","channel":"lightning","reference":"{h[:12]}","fees":"0.00000010",'
            f'"customerEmail":"customer{i % 5000}@example.com","companyId":"{company}",'
            f'"callbackUrl":"https://merchant.example.com/hooks/bitnob","paymentRequest":"{invoice}",'
            f'"description":"Lightning deposit {h[12:24]}","createdAt":"2025-01-15T10:{i // 60 % 60:02d}:{i % 60:02d}.000Z"'
            "}}"
        )
        sig = hmac.new(secret, body.encode(), hashlib.sha512).hexdigest()
        f.write(sig)
        f.write("\t")
        f.write(body)
        f.write("\n")
