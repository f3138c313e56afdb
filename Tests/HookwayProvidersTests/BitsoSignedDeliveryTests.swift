import Foundation
import HookwayCore
import HookwayRuntime
import Testing
import _CryptoExtras

@testable import HookwayProviders

/// Bitso with its RSA signature required: keys from the JSON of Bitso's "List webhook public
/// keys" endpoint, samples signed with the sender's key, the newer record kinds.
@Suite struct BitsoSignedDeliveryTests {
    let adapter = BitsoAdapter()
    static let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let otherKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    /// The endpoint's answer: base64 DER SubjectPublicKeyInfo per key id, in Bitso's envelope.
    static func keyList(_ keys: [(String, _RSA.Signing.PrivateKey)]) -> String {
        let entries = keys.map { #"{"key_id":"\#($0.0)","public_key":"\#($0.1.publicKey.derRepresentation.base64EncodedString())"}"# }
        return #"{"success":true,"payload":[\#(entries.joined(separator: ","))]}"#
    }

    static func source(keyList: String) throws -> SourceConfig {
        let dir = NSTemporaryDirectory() + "bitso-keys-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try keyList.write(toFile: dir + "/keys.json", atomically: true, encoding: .utf8)
        let routes = #"""
            {"version":1,"sources":{"bitso":{"provider":"bitso","token":"env:T","publicKeys":"file:keys.json"}},
             "routes":[{"name":"all","match":{},"to":["t"]}]}
            """#
        try routes.write(toFile: dir + "/routes.json", atomically: true, encoding: .utf8)
        let result = RoutesConfigLoader.load(path: dir + "/routes.json", environment: ["T": "t0k3n"])
        let config = try #require(result.config, "\(result.problems)")
        #expect(config.referencedFiles == [dir + "/keys.json"])
        return try #require(config.sources["bitso"])
    }

    static var senderKey: Secret { secret(key.pemRepresentation) }

    @Test func keyListFromBitsoVerifiesBySignedKeyID() throws {
        let src = try Self.source(keyList: Self.keyList([("k-old", Self.otherKey), ("k-new", Self.key)]))
        #expect(Set(src.bitso.publicKeys.keys) == ["k-old", "k-new"])
        let sample = try #require(
            adapter.sample(
                event: "funding.complete",
                source: src,
                now: at(seconds: 1_700_000_000),
                tampered: false,
                senderKey: Self.senderKey
            )
        )
        #expect(sample.headers.contains { $0.name == "x-bitso-key-id" && $0.value == "k-new" })
        let e = event { () throws(WebhookError) in
            try WebhookIntake().process(request(for: sample, source: src, now: at(seconds: 1_700_000_000)), source: src)
        }
        #expect(e?.authMethod == .signature)
        #expect(e?.data.amount == "100.00")
    }

    @Test func aListWithoutTheSigningKeyRefusesTheDelivery() throws {
        let signing = try Self.source(keyList: Self.keyList([("k-new", Self.key)]))
        let sample = try #require(
            adapter.sample(
                event: "withdrawal.complete",
                source: signing,
                now: at(seconds: 1_700_000_000),
                tampered: false,
                senderKey: Self.senderKey
            )
        )
        let rotatedAway = try Self.source(keyList: Self.keyList([("k-new", Self.otherKey)]))
        let code = errorCode { () throws(WebhookError) in
            try WebhookIntake().process(request(for: sample, source: rotatedAway, now: at(seconds: 1_700_000_000)), source: rotatedAway)
        }
        #expect(code == .invalidSignature)
    }

    @Test func aSignedSourceHasNoSampleWithoutTheSenderKey() throws {
        let src = try Self.source(keyList: Self.keyList([("k", Self.key)]))
        #expect(adapter.sample(event: "funding.complete", source: src, now: at(seconds: 1_700_000_000), tampered: false) == nil)
    }

    @Test(arguments: [
        (#"[{"key_id":"a","public_key":"%K"}]"#, true),
        (#"{"payload":[{"keyId":"a","publicKey":"%K"}]}"#, true),
        (#"{"payload":[{"key_id":"a"}]}"#, false),
        (#"{"payload":[{"key_id":"a","public_key":"not base64!"}]}"#, false),
        (#"{"payload":[]}"#, false),
        (#"{"success":true}"#, false),
        ("not json", false),
    ])
    func keyListShapes(_ template: String, _ valid: Bool) throws {
        let text = template.replacingOccurrences(of: "%K", with: Self.key.publicKey.derRepresentation.base64EncodedString())
        let dir = NSTemporaryDirectory() + "bitso-list-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/keys.json", atomically: true, encoding: .utf8)
        let routes =
            #"{"version":1,"sources":{"bitso":{"provider":"bitso","publicKeys":"file:keys.json"}},"routes":[{"name":"all","match":{},"to":["t"]}]}"#
        let result = RoutesConfigLoader.parse(utf8(routes), baseDirectory: dir, environment: [:])
        #expect((result.config != nil) == valid, "\(result.problems)")
        if !valid { #expect(result.errors.allSatisfy { $0.path.hasPrefix("$.sources.bitso.publicKeys") }, "\(result.problems)") }
    }

    @Test(arguments: BitsoAdapter.catalog)
    func everyEventSamplesSignedAndVerifies(_ entry: CatalogEvent) throws {
        let src = try Self.source(keyList: Self.keyList([("k", Self.key)]))
        checkSampleRoundTrip(adapter, entry, source: src, senderKey: Self.senderKey)
    }

    @Test func newerRecordKindsNormalizeWithTheirOwnKindAndId() {
        let src = SourceConfig(name: "bitso", provider: "bitso", token: secret("t0k3n"))
        for (body, type, kind) in [
            (
                #"{"event":"dynamic_qr_code","payload":{"id":"qr_9","status":"complete","amount":"250.00","currency":"mxn"}}"#,
                "dynamic_qr_code.complete", "dynamic_qr_code"
            ),
            (
                #"{"event":"payment_intent","payload":{"id":"pi_7","status":"pending","amount":"10.5","currency":"mxn"}}"#, "payment_intent.pending",
                "payment_intent"
            ),
        ] {
            let req = WebhookRequest(
                target: "/webhooks/bitso/t0k3n",
                headers: [],
                body: utf8(body),
                urlToken: "t0k3n",
                receivedAt: at(seconds: 1_700_000_000)
            )
            let e = event { () throws(WebhookError) in try WebhookIntake().process(req, source: src) }
            #expect(e?.type == "bitso.\(type)")
            #expect(e?.data.entity?.kind == kind)
            #expect(e?.id.hasPrefix("bitso:\(kind):") == true)
        }
    }
}
