import Crypto
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

/// Arbitrary bytes must never crash an adapter: each either throws a ``WebhookError`` or
/// returns. Bodies are also correctly signed, so the parsers behind the signature checks see them.
@Suite struct RobustnessTests {
    static let seeds = [
        BitCapitalAdapterTests.userBody, BitpowrAdapterTests.example, BitsoAdapterTests.example, KoyweAdapterTests.example,
        KoyweAdapterTests.headerBody, BitnobAdapterTests.example, StandardWebhooksAdapterTests.invoice,
        #"{"email":"ana@example.com"}"#, #"{"id":"e","type":"order.completed","data":{"orderId":1e999999}}"#,
    ]
    static let now = at(seconds: 1_700_000_000)

    static func source(_ kind: String, withKeys: Bool = false) -> SourceConfig {
        var s = SourceConfig(name: kind, provider: kind, secrets: [secret("whsec_c2VjcmV0")])
        switch kind {
        case KoyweProvider.name:
            s.options = KoyweOptions(validation: ValidationCallbackConfig(bearer: secret("b"), allowEmails: ["*@example.com"]))
        case BitsoProvider.name where withKeys:
            // Bitso is fuzzed both ways: without keys the parser sees every body, with (unusable)
            // keys the RSA path locates and compacts the payload span of every body.
            s.options = BitsoOptions(publicKeys: ["k": "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----"])
        default: break
        }
        return s
    }

    /// Headers that make `body` pass each scheme's signature check.
    static func signedHeaders(_ kind: String, body: [UInt8]) -> [(name: String, value: String)] {
        let key = utf8("whsec_c2VjcmV0")
        func mac<H: HashFunction>(_ h: H.Type, _ parts: [[UInt8]], key: [UInt8] = key) -> [UInt8] {
            MessageAuthentication.hmac(h, key: key, parts: parts)
        }
        switch kind {
        case BitCapitalProvider.name:
            return [
                ("X-Request-Timestamp", "1700000000"), ("X-Request-Signature", Sign.hex(mac(SHA256.self, [utf8("POST,/fuzz,1700000000,"), body]))),
            ]
        case BitpowrProvider.name: return [("x-webhook-secret", "whsec_c2VjcmV0")]
        case BitsoProvider.name: return [("x-bitso-webhook-event-signature", "AAAA")]
        case KoyweProvider.name: return [("Koywe-Signature", Sign.hex(mac(SHA256.self, [body])))]
        case BitnobProvider.name: return [("x-bitnob-signature", Sign.hex(mac(SHA512.self, [body])))]
        case StandardWebhooksProvider.name:
            return [
                ("webhook-id", "m"), ("webhook-timestamp", "1700000000"),
                ("webhook-signature", "v1," + DigestCoding.base64String(mac(SHA256.self, [utf8("m.1700000000."), body], key: utf8("secret")))),
            ]
        default: return []
        }
    }

    @Test(arguments: ProviderRegistry.names)
    func arbitraryBytesNeverCrash(_ kind: String) {
        guard let adapter = ProviderRegistry.adapter(named: kind) else {
            Issue.record("no adapter for \(kind)")
            return
        }
        let src = Self.source(kind)
        let keyed = Self.source(kind, withKeys: true)
        var outcomes = 0
        var rng = SplitMix64(state: 7)
        for body in fuzzBodies(seeds: Self.seeds, count: 2000, seed: UInt64(kind.utf8.count)) {
            let signed = WebhookRequest(target: "/fuzz", headers: Self.signedHeaders(kind, body: body), body: body, receivedAt: Self.now)
            let headerValue = String(decoding: body.prefix(80), as: UTF8.self)
            let garbage = WebhookRequest(
                target: "/fuzz?\(rng.next())",
                headers: Self.signedHeaders(kind, body: body).map { ($0.name, headerValue) }
                    + [("Authorization", "Bearer " + headerValue), ("x-bitso-key-id", headerValue)],
                body: body,
                urlToken: rng.next() % 2 == 0 ? headerValue : nil,
                receivedAt: Self.now
            )
            for (req, source) in [(signed, src), (garbage, src), (signed, keyed)] {
                do {
                    _ = try adapter.handle(req, source: source)
                    outcomes += 1
                } catch {
                    #expect([400, 401].contains(error.status))
                }
                _ = try? WebhookIntake().process(req, source: source)
            }
        }
        // The signed mutations of valid seeds reach normalization at least sometimes.
        #expect(outcomes > 0)
    }
}
