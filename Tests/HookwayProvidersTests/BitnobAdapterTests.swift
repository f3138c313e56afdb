import Crypto
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

@Suite struct BitnobAdapterTests {
    let adapter = BitnobAdapter()
    let source = SourceConfig(name: "bitnob", provider: "bitnob", secrets: [secret("bitnob_test_secret")])
    static let example =
        #"{"event":"payout.transfer.success","data":{"id":"1ad3d098-e6f4-4811-9a74-ae5371b3d722","fees":"0","type":"debit","amount":"35.81","action":"ngn_account_payout","status":"success","channel":"payout","reference":"45b873bd49fa","companyId":"45422f21-9a0e-479e-9e10-615556448a78","callbackUrl":""}}"#
    static let sha512 =
        "5fbb24acc82859bb86ec23433f8e08ebebf516e0d9e4e6c9230aaabefe5f471fcfa1dcaa5e0f08665f6af14857debfa2f4d48b5c73a4c1a30a15ec5e69eabf91"
    static let sha256 = "80dd8783cc0bdf4a5fee0a6f97882e173bdff919495037f3b0b68285efa843d0"

    func request(_ body: String, signature: String?, timestamp: String? = nil, now: Int64 = 1_700_000_000) -> WebhookRequest {
        var headers: [(name: String, value: String)] = []
        if let signature { headers.append(("x-bitnob-signature", signature)) }
        if let timestamp { headers.append(("X-Bitnob-Timestamp", timestamp)) }
        return WebhookRequest(target: "/webhooks/bitnob", headers: headers, body: utf8(body), receivedAt: at(seconds: now))
    }

    func signed(_ body: String) -> WebhookRequest { request(body, signature: Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", body)) }

    func handle(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> Event? {
        event { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    func code(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> WebhookError.Code? {
        errorCode { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    @Test func vectorsMatch() {
        #expect(Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", Self.example) == Self.sha512)
        #expect(Sign.hmacHex(SHA256.self, key: "bitnob_test_secret", "1700000000." + Self.example) == Self.sha256)
    }

    @Test func sha512ExampleNormalizes() throws {
        let e = try #require(handle(request(Self.example, signature: Self.sha512)))
        #expect(e.id == "bitnob:payout.transfer.success:1ad3d098-e6f4-4811-9a74-ae5371b3d722")
        #expect(e.type == "bitnob.payout.transfer.success")
        #expect(e.subject == "1ad3d098-e6f4-4811-9a74-ae5371b3d722")
        #expect(e.data.entity?.kind == "payout")
        #expect(e.data.status == "success")
        #expect(e.data.amount == "35.81")
        #expect(e.data.currency == nil)
        #expect(e.data.reference == "45b873bd49fa")
        #expect(e.authMethod == .signature)
        #expect(e.time == e.receivedAt)
    }

    @Test func timestampedSha256Verifies() {
        #expect(handle(request(Self.example, signature: Self.sha256, timestamp: "1700000000")) != nil)
        #expect(handle(request(Self.example, signature: Self.sha256.uppercased(), timestamp: "1700000000", now: 1_700_000_300)) != nil)
    }

    @Test func codes() {
        #expect(code(request(Self.example, signature: nil)) == .missingSignature)
        #expect(code(request(Self.example, signature: Self.sha256)) == .missingSignature)
        #expect(code(request(Self.example, signature: String(repeating: "0", count: 128))) == .invalidSignature)
        #expect(code(request(Self.example, signature: String(Self.sha512.dropLast(2)))) == .invalidSignature)
        #expect(code(request(Self.example, signature: "g" + Self.sha512.dropFirst())) == .invalidSignature)
        #expect(code(request(Self.example, signature: Self.sha256, timestamp: "1700000001")) == .invalidSignature)
        #expect(code(request(Self.example, signature: Self.sha256, timestamp: "soon")) == .invalidSignature)
        #expect(code(request(Self.example, signature: Self.sha256, timestamp: "1700000000", now: 1_700_000_301)) == .staleTimestamp)
        #expect(code(request(Self.example, signature: Self.sha256, timestamp: "1700000000", now: 1_699_999_699)) == .staleTimestamp)
        #expect(code(request(Self.example, signature: String(repeating: "a", count: 64), timestamp: "1", now: 1_700_000_000)) == .invalidSignature)
    }

    @Test func millisecondTimestamps() {
        let sig = Sign.hmacHex(SHA256.self, key: "bitnob_test_secret", "1700000000123." + Self.example)
        #expect(handle(request(Self.example, signature: sig, timestamp: "1700000000123")) != nil)
    }

    @Test func secondSecretVerifies() {
        let rotating = SourceConfig(name: "bitnob", provider: "bitnob", secrets: [secret("old"), secret("bitnob_test_secret")])
        #expect(handle(request(Self.example, signature: Self.sha512), rotating) != nil)
    }

    @Test func signatureIsOverRawBytes() {
        let spaced = "{\"data\": {\"status\": \"failed\", \"id\": \"p1\"},\n \"event\": \"PAYOUT.transfer.failed\"}"
        let e = handle(signed(spaced))
        #expect(e?.data.event == "payout.transfer.failed")
        #expect(e?.id == "bitnob:payout.transfer.failed:p1")
        let compact = #"{"data":{"status":"failed","id":"p1"},"event":"PAYOUT.transfer.failed"}"#
        #expect(code(request(compact, signature: Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", spaced))) == .invalidSignature)
    }

    @Test func sameDeliveryTwiceSameIdAndStatusesDiffer() {
        let a = handle(signed(Self.example))
        let b = handle(signed(Self.example))
        #expect(a?.id == b?.id)
        let failed = Self.example.replacingOccurrences(of: "payout.transfer.success", with: "payout.transfer.failed")
        #expect(handle(signed(failed))?.id != a?.id)
    }

    @Test func kindsAndFallbacks() {
        #expect(
            handle(signed(#"{"event":"btc.lightning.received.success","data":{"id":"t1","amount":"0.0001","currency":"BTC"}}"#))?.data.entity?.kind
                == "transaction"
        )
        #expect(handle(signed(#"{"event":"payouts.created","data":{"id":"t1"}}"#))?.data.entity?.kind == "payout")
        #expect(handle(signed(#"{"event":"usdt.received","data":{"id":"t1"}}"#))?.data.entity?.kind == "transaction")
        let noID = #"{"event":"payout.transfer.success","data":{"amount":"1"}}"#
        #expect(handle(signed(noID))?.id == EventID.fallback(source: "bitnob", body: utf8(noID)))
        #expect(handle(signed(#"{"event":"x.y","data":{"id":"t1","fees":5}}"#))?.data.currency == nil)
    }

    @Test(
        arguments: [
            (#""0.000123456789012345678""#, "0.000123456789012345678"), ("1.2E-7", "0.00000012"), ("1.5e3", "1500"),
            (#""100.10""#, "100.10"), ("100.10", "100.10"), (#""1,000""#, nil), ("null", nil),
        ] as [(String, String?)]
    )
    func amounts(_ literal: String, expected: String?) {
        #expect(handle(signed(#"{"event":"payout.transfer.success","data":{"id":"p","amount":\#(literal)}}"#))?.data.amount == expected)
    }

    @Test(arguments: [#"{"event":"x"}"#, #"{"data":{}}"#, #"{"event":"x","data":"s"}"#, "]", #"{"event":"","data":{}}"#])
    func malformedAfterValidSignature(_ body: String) {
        #expect(code(signed(body)) == .malformedPayload)
    }

    @Test(arguments: BitnobAdapter.catalog)
    func catalogSampleRoundTrip(_ entry: CatalogEvent) {
        checkSampleRoundTrip(adapter, entry, source: source)
    }
}
