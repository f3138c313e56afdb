import Crypto
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

/// What Bitnob's current senders add: `sha256=` prefixes, `X-Bitnob-Event`, new event
/// families, `centAmount` in minor units, `fees` as string or number.
@Suite struct BitnobCurrentSendersTests {
    let adapter = BitnobAdapter()
    let source = SourceConfig(name: "bitnob", provider: "bitnob", secrets: [secret("bitnob_test_secret")])

    func request(_ body: String, signature: String, headers: [(name: String, value: String)] = [], now: Int64 = 1_700_000_000) -> WebhookRequest {
        WebhookRequest(
            target: "/webhooks/bitnob",
            headers: [("x-bitnob-signature", signature)] + headers,
            body: utf8(body),
            receivedAt: at(seconds: now)
        )
    }

    func outcome(_ req: WebhookRequest, warnings: inout [IntakeWarning]) -> Event? {
        var collected: [IntakeWarning] = []
        let e = event { () throws(WebhookError) in try WebhookIntake().process(req, source: source, limits: Limits(), warnings: &collected) }
        warnings = collected
        return e
    }

    func handle(_ req: WebhookRequest) -> Event? {
        var ignored: [IntakeWarning] = []
        return outcome(req, warnings: &ignored)
    }

    static let body = #"{"event":"deposit.success","data":{"id":"d1","amount":"20000","currency":"NGN","fees":5}}"#

    @Test(arguments: ["", "sha256=", "sha512="])
    func prefixedClassicSignature(_ prefix: String) {
        let sig = prefix + Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", Self.body)
        #expect(handle(request(Self.body, signature: sig))?.type == "bitnob.deposit.success")
    }

    @Test(arguments: ["", "sha256="])
    func prefixedTimestampedSignature(_ prefix: String) {
        let sig = prefix + Sign.hmacHex(SHA256.self, key: "bitnob_test_secret", "1700000000." + Self.body)
        #expect(handle(request(Self.body, signature: sig, headers: [("X-Bitnob-Timestamp", "1700000000")]))?.data.amount == "20000")
    }

    @Test func aWrongPrefixedSignatureIsInvalid() {
        let sig = "sha256=" + Sign.hmacHex(SHA512.self, key: "wrong", Self.body)
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(request(Self.body, signature: sig), source: source) } == .invalidSignature)
    }

    @Test func theEventHeaderNamesAnEventTheBodyDoesNot() {
        let body = #"{"data":{"id":"t1","amount":"10.00","currency":"NGN","status":"initiated"}}"#
        let sig = Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", body)
        let e = handle(request(body, signature: sig, headers: [("X-Bitnob-Event", "Transfer.Initiated")]))
        #expect(e?.type == "bitnob.transfer.initiated")
        #expect(e?.data.entity == EntityRef(kind: "transfer", id: "t1"))
        #expect(e?.id == "bitnob:transfer.initiated:t1")
        // The body's own `event` wins over the header.
        let named = #"{"event":"transfer.completed","data":{"id":"t1"}}"#
        let both = handle(
            request(named, signature: Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", named), headers: [("X-Bitnob-Event", "transfer.failed")])
        )
        #expect(both?.data.event == "transfer.completed")
        #expect(both?.data.status == "completed")
        // No event anywhere is still a 400.
        let none = #"{"data":{"id":"t1"}}"#
        #expect(
            errorCode { () throws(WebhookError) in
                try adapter.handle(request(none, signature: Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", none)), source: source)
            } == .malformedPayload
        )
    }

    @Test(arguments: [
        (#"12550"#, "USDC", "125.50"), (#""12550""#, "usdt", "125.50"), ("5", "BTC", "0.00000005"), ("150000", "CLP", "150000"),
        ("1234", "KWD", "1.234"), (#""007""#, "NGN", "0.07"), ("0", "USD", "0.00"),
    ])
    func centAmountIsConvertedExactly(_ cents: String, _ currency: String, _ expected: String) {
        let body = #"{"event":"stablecoin.usdc.received.success","data":{"id":"s1","centAmount":\#(cents),"currency":"\#(currency)","fees":"0.1"}}"#
        var warnings: [IntakeWarning] = []
        let e = outcome(request(body, signature: Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", body)), warnings: &warnings)
        #expect(e?.data.amount == expected)
        #expect(e?.data.amountSource == "centAmount")
        #expect(e?.jsonValue["data"]?["amountSource"]?.stringValue == "centAmount")
        #expect(warnings.isEmpty)
    }

    @Test(arguments: [(#"12550"#, #""currency":"XX1","#), ("12.5", #""currency":"USD","#), ("12550", "")])
    func centAmountThatCannotBeConvertedIsLeftOutWithAWarning(_ cents: String, _ currency: String) {
        let body = #"{"event":"stablecoin.usdc.received.success","data":{"id":"s1",\#(currency)"centAmount":\#(cents)}}"#
        var warnings: [IntakeWarning] = []
        let e = outcome(request(body, signature: Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", body)), warnings: &warnings)
        #expect(e?.data.amount == nil)
        #expect(e?.data.amountSource == nil)
        #expect(warnings.map(\.code) == [.amountNotDerived])
    }

    @Test func aDecimalAmountWinsOverCentAmount() {
        let body = #"{"event":"stablecoin.usdt.received.success","data":{"id":"s2","amount":"125.5","centAmount":12550,"currency":"USDT"}}"#
        let e = handle(request(body, signature: Sign.hmacHex(SHA512.self, key: "bitnob_test_secret", body)))
        #expect(e?.data.amount == "125.5")
        #expect(e?.data.amountSource == nil)
    }

    @Test func newFamiliesHaveTheirKinds() {
        let kinds = Dictionary(BitnobAdapter.catalog.map { ($0.name, $0.entityKind) }, uniquingKeysWith: { a, _ in a })
        #expect(kinds["stablecoin.usdc.received.success"] == "transaction")
        #expect(kinds["payouts.withdrawal.expired"] == "payout")
        #expect(kinds["transfer.success"] == "transfer")
        #expect(kinds["deposit.succeeded"] == "deposit")
        #expect(BitnobAdapter.catalog.count == 17)
    }
}
