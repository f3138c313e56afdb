import Crypto
import Foundation
import HookwayCore
import HookwayKafka
import HookwayProviders
import HookwayRuntime
import HookwayTesting
import Testing
import _CryptoExtras

/// The providers' current schemes and events through a real ingress to Kafka: Bitso's required
/// RSA signature with keys from a saved key list (and its rotation), Standard Webhooks `v1a`,
/// and every event the current docs added, with the type, subject and amount consumers see.
@Suite struct ProviderSchemesIngressTests {
    static let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let rotatedKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let edKey = Curve25519.Signing.PrivateKey()

    static func keyList(_ id: String, _ key: _RSA.Signing.PrivateKey) -> String {
        #"{"success":true,"payload":[{"key_id":"\#(id)","public_key":"\#(key.publicKey.derRepresentation.base64EncodedString())"}]}"#
    }

    /// Routes with two more sources: `bitsosig` (token + RSA keys from `keysPath`) and
    /// `acmekeys` (Standard Webhooks with only an ed25519 key).
    static func routes(topic: String, keysPath: String) -> String {
        IngressHarness.routes(
            topic: topic,
            extraSources: """
                ,
                "bitsosig": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN", "publicKeys": "file:\(keysPath)" },
                "acmekeys": { "provider": "standardwebhooks", "publicKeys": ["whpk_\(edKey.publicKey.rawRepresentation.base64EncodedString())"] }
                """
        )
    }

    static func keysFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "bitso-keys-\(UUID().uuidString).json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Sends `event`'s sample for `sourceName`; the answer.
    static func send(
        _ ingress: IngressHarness,
        _ config: RoutesConfig,
        _ sourceName: String,
        _ event: String,
        senderKey: Secret?,
        tampered: Bool = false
    ) async throws -> IngressHarness.Answer {
        let source = try #require(config.sources[sourceName])
        let adapter = try #require(ProviderRegistry.adapter(named: source.provider))
        let sample = try #require(adapter.sample(event: event, source: source, now: .now(), tampered: tampered, senderKey: senderKey))
        return try await ingress.send(sample.target(source: sourceName), headers: sample.headers, body: sample.body)
    }

    @Test func newEventsReachKafkaWithTheirTypeSubjectAndAmount() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let keys = try Self.keysFile(Self.keyList("k1", Self.rsaKey))
        let ingress = try await IngressHarness.start(routes: Self.routes(topic: topic, keysPath: keys))
        try await withTeardown({ await ingress.stop() }) {
            let config = try #require(RoutesConfigLoader.load(path: ingress.configPath).config)
            let rsa = Secret(reference: "test:rsa", bytes: Array(Self.rsaKey.pemRepresentation.utf8))
            let ed = Secret(reference: "test:ed", bytes: Array(("whsk_" + Self.edKey.rawRepresentation.base64EncodedString()).utf8))
            // (source, event, sender key, expected amount, expected amountSource)
            var cases: [(String, String, Secret?, String, String?)] = [("acmekeys", "invoice.paid", ed, "25.00", nil)]
            for name in ["dynamic_qr_code.complete", "payment_intent.pending", "funding.complete"] {
                cases.append(("bitsosig", name, rsa, name.hasPrefix("funding") ? "100.00" : "250.00", nil))
            }
            for entry in BitnobAdapter.catalog where !entry.name.hasPrefix("btc.") && !entry.name.hasPrefix("payout.") {
                let amount = entry.name.hasPrefix("stablecoin.") ? "125.50" : entry.name.hasPrefix("payouts.") ? "100.00" : "5000.00"
                cases.append(("bitnob", entry.name, nil, amount, entry.name.hasPrefix("stablecoin.") ? "centAmount" : nil))
            }
            for entry in KoyweAdapter.catalog where entry.name.hasPrefix("order.") { cases.append(("koywe", entry.name, nil, "150000", nil)) }

            var expected: [String: (type: String, amount: String, amountSource: String?)] = [:]
            for (source, name, key, amount, amountSource) in cases {
                let answer = try await Self.send(ingress, config, source, name, senderKey: key)
                #expect(answer.status == 200, "\(source) \(name): \(answer.body)")
                let provider = try #require(config.sources[source]).provider
                let id = try #require(answer.json?["id"]?.stringValue, "\(answer.body)")
                expected[id] = ("\(provider).\(name)", amount, amountSource)
                let tampered = try await Self.send(ingress, config, source, name, senderKey: key, tampered: true)
                #expect(tampered.status == 401, "\(source) \(name) tampered: \(tampered.body)")
            }
            let messages = try await ingress.consume([topic], count: cases.count)
            #expect(messages.count == cases.count)
            for message in messages {
                let event = try Event.decode(try #require(message.value))
                let want = try #require(expected[event.id], "unexpected \(event.id)")
                #expect(event.type == want.type)
                #expect(event.subject?.isEmpty == false, "\(event.type) has no subject")
                #expect(event.data.amount == want.amount, "\(event.type)")
                #expect(event.data.amountSource == want.amountSource, "\(event.type)")
                #expect(event.authMethod == .signature, "\(event.type)")
            }
        }
    }

    @Test func savingANewBitsoKeyListRotatesTheKeys() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let keys = try Self.keysFile(Self.keyList("k1", Self.rsaKey))
        let ingress = try await IngressHarness.start(routes: Self.routes(topic: topic, keysPath: keys))
        try await withTeardown({ await ingress.stop() }) {
            let old = Secret(reference: "test:old", bytes: Array(Self.rsaKey.pemRepresentation.utf8))
            let new = Secret(reference: "test:new", bytes: Array(Self.rotatedKey.pemRepresentation.utf8))
            var config = try #require(RoutesConfigLoader.load(path: ingress.configPath).config)
            #expect(try await Self.send(ingress, config, "bitsosig", "funding.complete", senderKey: old).status == 200)

            // Saved the way an operator would: write a new file, rename it over the old one.
            try Self.keyList("k2", Self.rotatedKey).write(toFile: keys, atomically: true, encoding: .utf8)
            config = try #require(RoutesConfigLoader.load(path: ingress.configPath).config)
            // The effect is the event: the new key verifies once the watcher reloaded the list.
            let deadline = ContinuousClock.now + .seconds(15)
            var status = 0
            while status != 200, ContinuousClock.now < deadline {
                status = try await Self.send(ingress, config, "bitsosig", "funding.complete", senderKey: new).status
                if status != 200 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == 200)
            // The rotated-away key no longer verifies, under its own id or the new one.
            #expect(try await Self.send(ingress, config, "bitsosig", "funding.complete", senderKey: old).status == 401)
        }
    }
}
