import Foundation
import HookwayCore
import Testing
import _CryptoExtras

@testable import HookwayProviders

@Suite struct BitsoAdapterTests {
    let adapter = BitsoAdapter()
    let source = SourceConfig(name: "bitso", provider: "bitso", token: secret("t0k3n"))
    static let example =
        #"{"event":"funding","payload":{"fid":"037c4c00e17c592fc7b6d9bad2261be8","status":"complete","created_at":"2023-05-17T23:12:00+00:00","currency":"mxn","method":"praxis","amount":"100.00","asset":"mxn","network":"spei","details":{"clave_rastreo":"2023051740014BMOV0000495448940"}}}"#
    static let payloadSpan =
        #"{"fid":"037c4c00e17c592fc7b6d9bad2261be8","status":"complete","created_at":"2023-05-17T23:12:00+00:00","currency":"mxn","method":"praxis","amount":"100.00","asset":"mxn","network":"spei","details":{"clave_rastreo":"2023051740014BMOV0000495448940"}}"#
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    func request(_ body: String, token: String? = "t0k3n", headers: [(name: String, value: String)] = []) -> WebhookRequest {
        WebhookRequest(
            target: "/webhooks/bitso" + (token.map { "/\($0)" } ?? ""),
            headers: headers,
            body: utf8(body),
            peer: IPAddress("10.0.0.7"),
            urlToken: token,
            receivedAt: at(seconds: 1_700_000_000)
        )
    }

    func handle(_ req: WebhookRequest, _ src: SourceConfig? = nil) -> Event? {
        event { () throws(WebhookError) in try adapter.handle(req, source: src ?? source) }
    }

    static func sign(_ text: String, with key: _RSA.Signing.PrivateKey = key) -> String {
        let sig = try! key.signature(for: utf8(text), padding: .insecurePKCS1v1_5)
        return sig.rawRepresentation.base64EncodedString()
    }

    var signedSource: SourceConfig {
        var s = source
        s.options = BitsoOptions(publicKeys: [
            "test-key": Self.key.publicKey.pemRepresentation, "other-key": Self.otherKey.publicKey.pemRepresentation,
        ])
        return s
    }

    @Test func exampleNormalizes() throws {
        let e = try #require(handle(request(Self.example)))
        #expect(e.id == "bitso:funding:037c4c00e17c592fc7b6d9bad2261be8:complete")
        #expect(e.type == "bitso.funding.complete")
        #expect(e.subject == "037c4c00e17c592fc7b6d9bad2261be8")
        #expect(e.data.entity?.kind == "funding")
        #expect(e.data.status == "complete")
        #expect(e.data.amount == "100.00")
        #expect(e.data.currency == "mxn")
        #expect(e.data.reference == "2023051740014BMOV0000495448940")
        #expect(e.time == e.receivedAt)
        #expect(e.authMethod == AuthMethod.none)
    }

    @Test func withdrawalWithRippleHashAndCapitalizedNames() {
        let body =
            #"{"event":"Withdrawal","payload":{"wid":"p4u8d7f0768ee91d3b33bee6483132i8","status":"Processing","currency":"xrp","amount":"57","details":{"ripple_transaction_hash":"33EA42FC"}}}"#
        let e = handle(request(body))
        #expect(e?.data.event == "withdrawal.processing")
        #expect(e?.data.entity == EntityRef(kind: "withdrawal", id: "p4u8d7f0768ee91d3b33bee6483132i8"))
        #expect(e?.data.reference == "33EA42FC")
        #expect(e?.data.amount == "57")
        #expect(e?.id == "bitso:withdrawal:p4u8d7f0768ee91d3b33bee6483132i8:processing")
    }

    @Test func otherEventsUseIdAndTheirOwnKind() {
        let e = handle(request(#"{"event":"payment_intent","payload":{"id":"pi_1","status":"succeeded","details":{"tx_hash":"0xfeed"}}}"#))
        #expect(e?.data.event == "payment_intent.succeeded")
        #expect(e?.data.entity == EntityRef(kind: "payment_intent", id: "pi_1"))
        #expect(e?.data.reference == "0xfeed")
    }

    @Test func noStatusOrIdFallsBack() {
        let body = #"{"event":"funding","payload":{"fid":"f1"}}"#
        let e = handle(request(body))
        #expect(e?.data.event == "funding")
        #expect(e?.id == EventID.fallback(source: "bitso", body: utf8(body)))
    }

    @Test(arguments: [#"{"payload":{}}"#, #"{"event":"funding"}"#, "<html>", #"{"event":3,"payload":{}}"#])
    func onlyNonJSONOrNoEventOrPayloadIs400(_ body: String) {
        #expect(errorCode { () throws(WebhookError) in try adapter.handle(request(body), source: source) } == .malformedPayload)
    }

    @Test func oddPayloadsAreStillAccepted() {
        #expect(handle(request(#"{"event":"funding","payload":"weird"}"#)) != nil)
        #expect(handle(request(#"{"event":"funding","payload":{"fid":"f","status":"complete","amount":"1e3"}}"#))?.data.amount == nil)
    }

    @Test func tokenRulesViaIntake() {
        let intake = WebhookIntake()
        #expect(event { () throws(WebhookError) in try intake.process(request(Self.example), source: source) }?.authMethod == .token)
        #expect(errorCode { () throws(WebhookError) in try intake.process(request(Self.example, token: "wrong"), source: source) } == .invalidToken)
        #expect(errorCode { () throws(WebhookError) in try intake.process(request(Self.example, token: nil), source: source) } == .invalidToken)
    }

    // MARK: RSA

    @Test func compactSpanIsWhatGetsSigned() {
        #expect(BitsoSignature.signedBytes(of: utf8(Self.example)) == utf8(Self.payloadSpan))
        let pretty = "{\n  \"event\": \"funding\",\n  \"payload\": {\n    \"fid\" : \"a b\",\t\"n\": [1, 2]\r\n  }\n}"
        #expect(BitsoSignature.signedBytes(of: utf8(pretty)) == utf8(#"{"fid":"a b","n":[1,2]}"#))
        #expect(BitsoSignature.compact(utf8(#"{"a":"x\" y\\", "b" : 1}"#)[...]) == utf8(#"{"a":"x\" y\\","b":1}"#))
    }

    @Test func prettyPrintedPayloadVerifies() throws {
        let pretty = """
            {
              "event": "funding",
              "payload": {
                "fid": "037c4c00e17c592fc7b6d9bad2261be8", "status": "complete",
                "created_at": "2023-05-17T23:12:00+00:00", "currency": "mxn", "method": "praxis",
                "amount": "100.00", "asset": "mxn", "network": "spei",
                "details": { "clave_rastreo": "2023051740014BMOV0000495448940" }
              }
            }
            """
        let sig = Self.sign(Self.payloadSpan)
        let withKeyID = request(pretty, headers: [("x-bitso-webhook-event-signature", sig), ("x-bitso-key-id", "test-key")])
        let e = try #require(handle(withKeyID, signedSource))
        #expect(e.authMethod == .signature)
        #expect(e.id == "bitso:funding:037c4c00e17c592fc7b6d9bad2261be8:complete")
        // No key id: every key is tried.
        let noKeyID = request(Self.example, headers: [("X-Bitso-Webhook-Event-Signature", sig)])
        #expect(handle(noKeyID, signedSource)?.authMethod == .signature)
        // Through the intake the signature wins over the token as authmethod.
        #expect(event { () throws(WebhookError) in try WebhookIntake().process(withKeyID, source: signedSource) }?.authMethod == .signature)
    }

    @Test func rsaRejections() {
        let sig = Self.sign(Self.payloadSpan)
        let reordered =
            #"{"event":"funding","payload":{"status":"complete","fid":"037c4c00e17c592fc7b6d9bad2261be8","created_at":"2023-05-17T23:12:00+00:00","currency":"mxn","method":"praxis","amount":"100.00","asset":"mxn","network":"spei","details":{"clave_rastreo":"2023051740014BMOV0000495448940"}}}"#
        let otherAmount = Self.example.replacingOccurrences(of: "100.00", with: "900.00")
        let cases: [(WebhookRequest, WebhookError.Code)] = [
            (request(reordered, headers: [("x-bitso-webhook-event-signature", sig), ("x-bitso-key-id", "test-key")]), .invalidSignature),
            (request(otherAmount, headers: [("x-bitso-webhook-event-signature", sig), ("x-bitso-key-id", "test-key")]), .invalidSignature),
            (request(Self.example, headers: [("x-bitso-webhook-event-signature", sig), ("x-bitso-key-id", "unknown")]), .invalidSignature),
            (request(Self.example, headers: [("x-bitso-webhook-event-signature", sig), ("x-bitso-key-id", "other-key")]), .invalidSignature),
            (
                request(Self.example, headers: [("x-bitso-webhook-event-signature", "%%%not base64"), ("x-bitso-key-id", "test-key")]),
                .invalidSignature
            ),
            (request(Self.example, headers: [("x-bitso-key-id", "test-key")]), .missingSignature),
            (request("not json", headers: [("x-bitso-webhook-event-signature", sig)]), .invalidSignature),
        ]
        for (req, code) in cases {
            #expect(errorCode { () throws(WebhookError) in try adapter.handle(req, source: signedSource) } == code)
        }
    }

    @Test(arguments: BitsoAdapter.catalog)
    func catalogSampleRoundTrip(_ entry: CatalogEvent) {
        checkSampleRoundTrip(adapter, entry, source: source)
        checkSampleRoundTrip(adapter, entry, source: SourceConfig(name: "bitso-ip", provider: "bitso", allowFrom: [CIDRBlock("10.0.0.0/8")!]))
    }
}
