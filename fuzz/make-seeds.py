#!/usr/bin/env python3
"""Regenerates fuzz/corpus/<target>/ seeds from the PROVIDERS.md examples, the bad-input corpus
(Tests/Fixtures/bad-inputs) and the routes fixtures. Run from the repository root."""
import base64, glob, hashlib, json, os, shutil, struct, zlib

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "fuzz", "corpus")

def reset(target):
    d = os.path.join(corpus, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d

def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

EXAMPLES = {
    "bitcapital": b'{"id":"092a4f3c-e465-4f1d-ac8b-3287164368b3","entity":"user","status":"ready"}',
    "bitpowr": b'{"event":"transaction.deposit.success","data":{"uid":"c5b1e0f4-3a8e-4b7c-9d2e-6f1a2b3c4d5e","status":"success","type":"DEPOSIT","amount":0.00012,"assetType":"ETH","chain":"ETHEREUM","hash":"0x4f6c","transactionRef":"BTPWR-7Q2K9X"}}',
    "bitso": b'{"event":"funding","payload":{"fid":"037c4c00e17c592fc7b6d9bad2261be8","status":"complete","created_at":"2023-05-17T23:12:00+00:00","currency":"mxn","method":"praxis","amount":"100.00","asset":"mxn","network":"spei","details":{"clave_rastreo":"2023051740014BMOV0000495448940"}}}',
    "koywe": b'{"eventName":"crypto_delivered","orderId":"5a3288ea-0bd4-44d2-af11-aae1f88bbd61","timeStamp":"2022-10-26T22:36:41.658Z","signature":"78f231597d6fed5fdc35ab8d9f137e461a9765febb42fb7ab1c9322cf82b48c2"}',
    "koywe-validation": b'{"email":"ana@example.com"}',
    "koywe-new": b'{"id":"evt_1","type":"order.completed","data":{"orderId":"o-1","status":"COMPLETED"}}',
    "bitnob": b'{"event":"payout.transfer.success","data":{"id":"1ad3d098-e6f4-4811-9a74-ae5371b3d722","fees":"0","type":"debit","amount":"35.81","action":"ngn_account_payout","status":"success","channel":"payout","reference":"45b873bd49fa","companyId":"45422f21-9a0e-479e-9e10-615556448a78","callbackUrl":""}}',
    "acme": b'{"type":"invoice.paid","timestamp":"2024-05-01T10:00:00Z","data":{"id":"inv_1","amount":"25.00","currency":"USD"}}',
}

def case_bodies():
    for path in sorted(glob.glob(os.path.join(root, "Tests/Fixtures/bad-inputs/*.json"))):
        c = json.load(open(path))
        if "bodyRepeat" in c:
            r = c["bodyRepeat"]
            count = min(r.get("count", 0), 2000)  # keep seeds small
            body = (r.get("prefix", "") + r.get("unit", "") * count + r.get("suffix", "")).encode()
        elif "bodyBase64" in c:
            body = base64.b64decode(c["bodyBase64"])
        else:
            body = c.get("body", "").encode()
        yield c, body

# json: provider examples and every bad-input body.
d = reset("json")
for k, v in EXAMPLES.items():
    write(d, "example-" + k, v)
for c, body in case_bodies():
    write(d, c["name"], body)
for name, text in {"numbers": b'[0,-0,1.5e3,1.2E-7,100.10,0.000123456789012345678,1e999999,-1e-999999]',
                   "escapes": b'["\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/", "\xc3\xa9"]',
                   "bom": b'\xef\xbb\xbf{"a":1}', "dup": b'{"a":1,"a":{"b":[true,false,null]}}'}.items():
    write(d, name, text)

# providers: selector byte, header values ('\n'-separated), NUL, body. See fuzz/targets/providers.swift.
SOURCES = ["bitcapital", "bitpowr", "bitso", "bitso-signed", "koywe", "bitnob", "acme"]
d = reset("providers")
def sel(source, sign=False, fresh=False, variant=False, token=False, query=False):
    return bytes([SOURCES.index(source) | sign << 3 | fresh << 4 | variant << 5 | token << 6 | query << 7])
for source in SOURCES:
    body = EXAMPLES["bitso" if source.startswith("bitso") else source]
    for flags in [dict(), dict(sign=True, fresh=True), dict(sign=True, fresh=True, variant=True), dict(sign=True, token=True),
                  dict(sign=True, fresh=True, query=True)]:
        name = source + "-" + ("-".join(k for k in flags) or "plain")
        write(d, name, sel(source, **flags) + b"abc\n1700000000000\ntest-key\n\nq=1\x00" + body)
write(d, "koywe-validation", sel("koywe", sign=True, variant=True) + b"\x00" + EXAMPLES["koywe-validation"])
write(d, "koywe-new-api", sel("koywe", sign=True) + b"\x00" + EXAMPLES["koywe-new"])
for c, body in case_bodies():
    if c["source"] not in SOURCES:
        continue
    values = b"\n".join(v.encode() for v in list(c.get("headers", {}).values())[:4])
    write(d, c["name"], sel(c["source"], sign=bool(c.get("sign")), fresh=True) + values + b"\x00" + body)

# routes: the repository's routes.json and the routes fixtures (good and bad).
d = reset("routes")
files = [os.path.join(root, "routes.json")] + sorted(glob.glob(os.path.join(root, "Tests/Fixtures/routes/*/*.json")))
for path in files:
    write(d, os.path.relpath(path, root).replace("/", "_"), open(path, "rb").read())

# spool: framed records as Spool writes them ("HWS1", u32 length, u32 CRC-32, payload).
d = reset("spool")
def u32(n): return struct.pack("<I", n)
def field(b): return u32(len(b)) + b
def record(topics, key, value, headers, at=1_700_000_000_000):
    p = struct.pack("<q", at) + u32(len(topics)) + b"".join(field(t) for t in topics) + field(key) + field(value)
    p += u32(len(headers)) + b"".join(field(k) + field(v) for k, v in headers)
    return b"HWS1" + u32(len(p)) + u32(zlib.crc32(p)) + p
r1 = record([b"webhooks.bitnob"], b"1ad3d098", EXAMPLES["bitnob"], [(b"ce_id", b"bitnob:x"), (b"content-type", b"application/cloudevents+json")])
r2 = record([b"a", b"b", b"c"], b"", b"{}", [])
write(d, "one", r1)
write(d, "two", r1 + r2)
write(d, "torn", r1 + r2[:-5])
write(d, "garbage-between", r1 + b"\x00junk" + r2)
write(d, "bad-crc", r1[:8] + b"\xde\xad\xbe\xef" + r1[12:] + r2)
# Odd first byte: the target frames the rest itself (a payload seed).
write(d, "payload-only", b"\x01" + r2[12:])
print("seeds:", {t: len(os.listdir(os.path.join(corpus, t))) for t in sorted(os.listdir(corpus))})
