import Crypto
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

@Suite struct BitCapitalAdapterTests {
    let adapter = BitCapitalAdapter()
    let source = SourceConfig(name: "bitcapital", provider: "bitcapital", secrets: [secret("bc_test_secret")])
    static let userBody = #"{"id":"092a4f3c-e465-4f1d-ac8b-3287164368b3","entity":"user","status":"ready"}"#
    static let txBody = #"{"id":"5b1e6f0a-9c2d-4e7b-8f31-0d2c4a9e7b15","entity":"transaction","status":"executed"}"#

    func request(target: String = "/webhooks/bitcapital", ts: String, body: String, signature: String?, now: Timestamp) -> WebhookRequest {
        var headers: [(name: String, value: String)] = [("X-Request-Timestamp", ts)]
        if let signature { headers.append(("X-Request-Signature", signature)) }
        return WebhookRequest(target: target, headers: headers, body: utf8(body), receivedAt: now)
    }

    func signed(target: String = "/webhooks/bitcapital", ts: String, body: String, key: String = "bc_test_secret") -> String {
        Sign.hmacHex(SHA256.self, key: key, "POST,\(target),\(ts),\(body)")
    }

    @Test func vectorsMatch() {
        #expect(signed(ts: "1700000000000", body: Self.userBody) == "5a209bd9bbb65c3c3c42a8bece0186c28c987206feff1e51cb7e971f25aacc1b")
        #expect(
            signed(target: "/webhooks/bitcapital?domain=main", ts: "1700000000", body: Self.txBody)
                == "faa8474f0b547eab274663ffca313cd0469fac578243777e53025685d6073aa0"
        )
    }

    @Test func millisecondVectorNormalizes() throws {
        let req = request(
            ts: "1700000000000",
            body: Self.userBody,
            signature: "5a209bd9bbb65c3c3c42a8bece0186c28c987206feff1e51cb7e971f25aacc1b",
            now: at(seconds: 1_700_000_010)
        )
        let e = try #require(event { () throws(WebhookError) in try adapter.handle(req, source: source) })
        #expect(e.id == "bitcapital:user:092a4f3c-e465-4f1d-ac8b-3287164368b3:ready")
        #expect(e.type == "bitcapital.user.ready")
        #expect(e.subject == "092a4f3c-e465-4f1d-ac8b-3287164368b3")
        #expect(e.data.entity == EntityRef(kind: "user", id: "092a4f3c-e465-4f1d-ac8b-3287164368b3"))
        #expect(e.data.status == "ready")
        #expect(e.data.amount == nil && e.data.currency == nil && e.data.reference == nil)
        #expect(e.authMethod == .signature)
        #expect(e.time == at(seconds: 1_700_000_010).rfc3339)
        #expect(e.source == "/webhooks/bitcapital")
    }

    @Test func secondsVectorWithQueryVerifies() throws {
        let req = request(
            target: "/webhooks/bitcapital?domain=main",
            ts: "1700000000",
            body: Self.txBody,
            signature: "FAA8474F0B547EAB274663FFCA313CD0469FAC578243777E53025685D6073AA0",
            now: at(seconds: 1_699_999_975)
        )
        let e = try #require(event { () throws(WebhookError) in try adapter.handle(req, source: source) })
        #expect(e.id == "bitcapital:transaction:5b1e6f0a-9c2d-4e7b-8f31-0d2c4a9e7b15:executed")
        #expect(e.data.event == "transaction.executed")
        // Without the query the signature does not verify: the target is signed as received.
        let noQuery = request(
            ts: "1700000000",
            body: Self.txBody,
            signature: signed(target: "/webhooks/bitcapital?domain=main", ts: "1700000000", body: Self.txBody),
            now: at(seconds: 1_700_000_000)
        )
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(noQuery, source: source) } == .invalidSignature)
    }

    @Test func signedPathOverridesTheReceivedPath() throws {
        var proxied = source
        proxied.options = BitCapitalOptions(signedPath: "/hooks/bc")
        let sig = signed(target: "/hooks/bc?domain=main", ts: "1700000000", body: Self.txBody)
        let req = request(
            target: "/webhooks/bitcapital?domain=main",
            ts: "1700000000",
            body: Self.txBody,
            signature: sig,
            now: at(seconds: 1_700_000_000)
        )
        #expect(event { () throws(WebhookError) in try adapter.handle(req, source: proxied) } != nil)
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(req, source: source) } == .invalidSignature)
    }

    @Test(arguments: [
        ("missing signature", nil as String?, "1700000000", WebhookError.Code.missingSignature),
        ("wrong signature", String(repeating: "0", count: 64), "1700000000", .invalidSignature),
        ("not hex", String(repeating: "z", count: 64), "1700000000", .invalidSignature),
        ("short", "abcd", "1700000000", .invalidSignature),
        ("non-integer timestamp", "SIGN", "17e8", .invalidSignature),
    ])
    func rejections(_ label: String, signature: String?, ts: String, code: WebhookError.Code) {
        let sig = signature == "SIGN" ? signed(ts: ts, body: Self.userBody) : signature
        let req = request(ts: ts, body: Self.userBody, signature: sig, now: at(seconds: 1_700_000_000))
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(req, source: source) } == code, "\(label)")
    }

    @Test func missingTimestampIsMissingSignature() {
        let req = WebhookRequest(
            target: "/webhooks/bitcapital",
            headers: [("X-Request-Signature", signed(ts: "1", body: Self.userBody))],
            body: utf8(Self.userBody),
            receivedAt: at(seconds: 1)
        )
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(req, source: source) } == .missingSignature)
    }

    @Test func staleTimestampIsRejectedAfterSignatureCheck() {
        let good = request(
            ts: "1700000000",
            body: Self.userBody,
            signature: signed(ts: "1700000000", body: Self.userBody),
            now: at(seconds: 1_700_000_031)
        )
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(good, source: source) } == .staleTimestamp)
        let early = request(
            ts: "1700000000",
            body: Self.userBody,
            signature: signed(ts: "1700000000", body: Self.userBody),
            now: at(seconds: 1_699_999_969)
        )
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(early, source: source) } == .staleTimestamp)
        let edge = request(
            ts: "1700000000",
            body: Self.userBody,
            signature: signed(ts: "1700000000", body: Self.userBody),
            now: at(seconds: 1_700_000_030)
        )
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(edge, source: source) } == nil)
        // A forged signature on a stale request is invalid, not stale.
        let forged = request(ts: "1700000000", body: Self.userBody, signature: String(repeating: "a", count: 64), now: at(seconds: 1_800_000_000))
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(forged, source: source) } == .invalidSignature)
        var lenient = source
        lenient.toleranceSeconds = 120
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(good, source: lenient) } == nil)
    }

    @Test func secondSecretVerifies() {
        let rotating = SourceConfig(name: "bitcapital", provider: "bitcapital", secrets: [secret("old"), secret("bc_test_secret")])
        let req = request(
            ts: "1700000000",
            body: Self.userBody,
            signature: signed(ts: "1700000000", body: Self.userBody),
            now: at(seconds: 1_700_000_000)
        )
        #expect(event { () throws(WebhookError) in try adapter.handle(req, source: rotating) }?.authMethod == .signature)
    }

    @Test func signatureIsOverRawBytes() {
        let spaced = "{ \"status\" : \"ready\",\n \"entity\":\"user\", \"id\":\"092a4f3c-e465-4f1d-ac8b-3287164368b3\" }"
        let req = request(ts: "1700000000", body: spaced, signature: signed(ts: "1700000000", body: spaced), now: at(seconds: 1_700_000_000))
        let e = event { () throws(WebhookError) in try adapter.handle(req, source: source) }
        #expect(e?.id == "bitcapital:user:092a4f3c-e465-4f1d-ac8b-3287164368b3:ready")
        // The same JSON re-serialized is other bytes: the signature no longer verifies.
        let reserialized = request(
            ts: "1700000000",
            body: Self.userBody,
            signature: signed(ts: "1700000000", body: spaced),
            now: at(seconds: 1_700_000_000)
        )
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(reserialized, source: source) } == .invalidSignature)
    }

    @Test func statusesGetDistinctIdsAndCaseIsLowered() {
        let body = #"{"id":"5b1e6f0a-9c2d-4e7b-8f31-0d2c4a9e7b15","entity":"Transaction","status":"AUTHORIZED"}"#
        let a = event { () throws(WebhookError) in
            try adapter.handle(
                request(ts: "1700000000", body: body, signature: signed(ts: "1700000000", body: body), now: at(seconds: 1_700_000_000)),
                source: source
            )
        }
        let b = event { () throws(WebhookError) in
            try adapter.handle(
                request(ts: "1700000000", body: Self.txBody, signature: signed(ts: "1700000000", body: Self.txBody), now: at(seconds: 1_700_000_000)),
                source: source
            )
        }
        #expect(a?.data.event == "transaction.authorized")
        #expect(a?.data.status == "authorized")
        #expect(a?.data.entity?.kind == "transaction")
        #expect(a?.id != b?.id)
    }

    @Test(arguments: [#"{"id":"x","entity":"user"}"#, #"not json"#, #"[]"#, #"{"id":1,"entity":"user","status":"ready"}"#])
    func malformedAfterValidSignature(_ body: String) {
        let req = request(ts: "1700000000", body: body, signature: signed(ts: "1700000000", body: body), now: at(seconds: 1_700_000_000))
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(req, source: source) } == .malformedPayload)
    }

    @Test(arguments: BitCapitalAdapter.catalog)
    func catalogSampleRoundTrip(_ entry: CatalogEvent) {
        checkSampleRoundTrip(adapter, entry, source: source)
        var withToken = source
        withToken.token = secret("tok")
        checkSampleRoundTrip(adapter, entry, source: withToken)
    }

    @Test func catalogListsTheSeedEvent() {
        #expect(BitCapitalAdapter.catalog.contains(CatalogEvent(name: "user.ready", entityKind: "user")))
    }
}
