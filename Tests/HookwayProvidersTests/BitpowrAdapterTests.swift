import HookwayCore
import Testing

@testable import HookwayProviders

@Suite struct BitpowrAdapterTests {
    let adapter = BitpowrAdapter()
    let source = SourceConfig(name: "bitpowr", provider: "bitpowr", secrets: [secret("bitpowr-secret-123")])
    static let example =
        #"{"event":"transaction.deposit.success","data":{"uid":"c5b1e0f4-3a8e-4b7c-9d2e-6f1a2b3c4d5e","status":"success","type":"DEPOSIT","amount":0.00012,"assetType":"ETH","chain":"ETHEREUM","hash":"0x4f6c1b9e2d7a8c3e5f01b2a4c6d8e0f1a3b5c7d9e1f20314253647586970a1b2","transactionRef":"BTPWR-7Q2K9X"}}"#

    func request(_ body: String, header: String? = "Yml0cG93ci1zZWNyZXQtMTIz") -> WebhookRequest {
        WebhookRequest(
            target: "/webhooks/bitpowr",
            headers: header.map { [("x-webhook-secret", $0)] } ?? [],
            body: utf8(body),
            receivedAt: at(seconds: 1_700_000_000)
        )
    }

    func handle(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> Event? {
        event { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    @Test func exampleNormalizes() throws {
        let e = try #require(handle(request(Self.example)))
        #expect(e.id == "bitpowr:transaction.deposit.success:c5b1e0f4-3a8e-4b7c-9d2e-6f1a2b3c4d5e")
        #expect(e.type == "bitpowr.transaction.deposit.success")
        #expect(e.subject == "c5b1e0f4-3a8e-4b7c-9d2e-6f1a2b3c4d5e")
        #expect(e.data.entity?.kind == "transaction")
        #expect(e.data.status == "success")
        #expect(e.data.amount == "0.00012")
        #expect(e.data.currency == "ETH")
        #expect(e.data.reference == "BTPWR-7Q2K9X")
        #expect(e.authMethod == .token)
        #expect(e.time == e.receivedAt)
    }

    @Test func rawSecretIsAccepted() {
        #expect(handle(request(Self.example, header: "bitpowr-secret-123"))?.authMethod == .token)
    }

    @Test func headerCodes() {
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(request(Self.example, header: nil), source: source) } == .missingSignature)
        #expect(
            errorCode { () throws(WebhookError) in try adapter.handle(request(Self.example, header: "d3Jvbmc="), source: source) }
                == .invalidSignature
        )
        #expect(
            errorCode { () throws(WebhookError) in try adapter.handle(request(Self.example, header: "Yml0cG93ci1zZWNyZXQtMTIZ"), source: source) }
                == .invalidSignature
        )
    }

    @Test func secondSecretVerifies() {
        let rotating = SourceConfig(name: "bitpowr", provider: "bitpowr", secrets: [secret("old"), secret("bitpowr-secret-123")])
        #expect(handle(request(Self.example), rotating) != nil)
    }

    @Test func sourceWithoutSecretsNeedsNoHeader() {
        let open = SourceConfig(name: "bitpowr", provider: "bitpowr", token: secret("tok"))
        let e = handle(request(Self.example, header: nil), open)
        #expect(e?.authMethod == AuthMethod.none)
        var req = request(Self.example, header: nil)
        req.urlToken = "tok"
        let viaIntake = event { () throws(WebhookError) in try WebhookIntake().process(req, source: open) }
        #expect(viaIntake?.authMethod == .token)
    }

    @Test func referenceFallsBackToHashAndIdToDataId() {
        let body = #"{"event":"ADDRESS.Created","data":{"id":"addr-1","hash":"0xabc"}}"#
        let e = handle(request(body))
        #expect(e?.data.event == "address.created")
        #expect(e?.data.entity == EntityRef(kind: "address", id: "addr-1"))
        #expect(e?.data.reference == "0xabc")
        #expect(e?.data.status == nil)
        #expect(e?.id == "bitpowr:address.created:addr-1")
    }

    @Test func noUidFallsBackToBodyHash() {
        let body = #"{"event":"accounts.frozen","data":{}}"#
        let e = handle(request(body))
        #expect(e?.id == EventID.fallback(source: "bitpowr", body: utf8(body)))
        #expect(e?.subject == nil)
    }

    @Test func unknownEventUsesTheRule() {
        let e = handle(request(#"{"event":"wallets.Created_Now","data":{"uid":"w1"}}"#))
        #expect(e?.data.event == "wallets.created_now")
        #expect(e?.data.entity?.kind == "wallet")
    }

    @Test(
        arguments: [
            ("0.000123456789012345678", "0.000123456789012345678"), ("1.2E-7", "0.00000012"), ("1.5e3", "1500"),
            ("100.10", "100.10"), (#""100.10""#, "100.10"), (#""1.5e3""#, nil), ("true", nil), (#""abc""#, nil),
        ] as [(String, String?)]
    )
    func amounts(_ literal: String, expected: String?) {
        let e = handle(request(#"{"event":"transaction.success","data":{"uid":"u1","amount":\#(literal)}}"#))
        #expect(e?.data.amount == expected)
    }

    @Test func statusesGetDistinctIds() {
        let a = handle(request(#"{"event":"transaction.pending","data":{"uid":"u1"}}"#))
        let b = handle(request(#"{"event":"transaction.success","data":{"uid":"u1"}}"#))
        #expect(a?.id != b?.id)
    }

    @Test(arguments: [#"{"event":"x"}"#, #"{"data":{}}"#, #"{"event":"x","data":[]}"#, "nope", ""])
    func malformed(_ body: String) {
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(request(body), source: source) } == .malformedPayload)
    }

    @Test func catalogHas43Events() {
        #expect(BitpowrAdapter.catalog.count == 43)
        #expect(Set(BitpowrAdapter.catalog.map(\.name)).count == 43)
        let kinds = Dictionary(BitpowrAdapter.catalog.map { ($0.name, $0.entityKind) }, uniquingKeysWith: { a, _ in a })
        #expect(kinds["accounts.policy.updated"] == "account")
        #expect(kinds["assets.created"] == "asset")
        #expect(kinds["address.blocked"] == "address")
        #expect(kinds["customer.attached_to_address"] == "customer")
        #expect(kinds["transaction.queue"] == "transaction")
    }

    @Test(arguments: BitpowrAdapter.catalog)
    func catalogSampleRoundTrip(_ entry: CatalogEvent) {
        checkSampleRoundTrip(adapter, entry, source: source)
        checkSampleRoundTrip(adapter, entry, source: SourceConfig(name: "bp2", provider: "bitpowr", token: secret("t0k")))
    }
}
