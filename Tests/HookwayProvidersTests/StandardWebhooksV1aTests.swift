import Crypto
import Foundation
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwayProviders

/// Standard Webhooks `v1a`: ed25519 signatures over `{id}.{timestamp}.{body}`, verified with
/// `whpk_` public keys, beside (or instead of) `v1` HMAC.
@Suite struct StandardWebhooksV1aTests {
    let adapter = StandardWebhooksAdapter()
    /// The spec libraries' asymmetric signing vector (libraries/go/webhook_asymmetric_test.go):
    /// the 32-byte seed, message, timestamp and body, and the signature they give.
    static let specSeed = "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
    static let specID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let specTimestamp = "1614265330"
    static let specBody = #"{"test": 2432232314}"#
    static let specSignature = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="

    static let key = Curve25519.Signing.PrivateKey()
    static let otherKey = Curve25519.Signing.PrivateKey()

    static func source(keys: [Curve25519.Signing.PublicKey], secrets: [Secret] = []) -> SourceConfig {
        SourceConfig(
            name: "acme",
            provider: "standardwebhooks",
            secrets: secrets,
            options: StandardWebhooksOptions(ed25519PublicKeys: keys.map { Array($0.rawRepresentation) })
        )
    }

    static func sign(_ key: Curve25519.Signing.PrivateKey, id: String, ts: String, body: String) -> String {
        "v1a," + (try! key.signature(for: utf8("\(id).\(ts).\(body)"))).base64EncodedString()
    }

    func request(_ body: String, signature: String, id: String = "msg_1", ts: String = "1714557600", now: Int64 = 1_714_557_600) -> WebhookRequest {
        WebhookRequest(
            target: "/webhooks/acme",
            headers: [("webhook-id", id), ("webhook-timestamp", ts), ("webhook-signature", signature)],
            body: utf8(body),
            receivedAt: at(seconds: now)
        )
    }

    func code(_ req: WebhookRequest, _ src: SourceConfig) -> WebhookError.Code? {
        errorCode { () throws(WebhookError) in try adapter.handle(req, source: src) }
    }

    static let body = #"{"type":"invoice.paid","data":{"id":"inv_1","amount":"25.00","currency":"USD"}}"#

    @Test func specVectorVerifiesWithThePublicKeyOfItsSeed() throws {
        let seed = try #require(Data(base64Encoded: Self.specSeed))
        let publicKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed).publicKey
        let req = request(#"{"type":"test","test": 2432232314}"#, signature: Self.specSignature)
        // The vector's own body (no `type`): the signature verifies, then the payload lacks the event field.
        let spec = request(Self.specBody, signature: Self.specSignature, id: Self.specID, ts: Self.specTimestamp, now: 1_614_265_330)
        #expect(code(spec, Self.source(keys: [publicKey])) == .malformedPayload)
        // One byte of the body changed: the signature no longer verifies.
        #expect(code(req, Self.source(keys: [publicKey])) == .invalidSignature)
        // Ed25519 is deterministic: Hookway's signer gives the spec's signature for the spec's seed.
        let signer = try #require(StandardWebhooksAdapter.signingKey(from: secret("whsk_" + Self.specSeed)))
        #expect(Self.sign(signer, id: Self.specID, ts: Self.specTimestamp, body: Self.specBody) == Self.specSignature)
    }

    @Test func v1aVerifiesWithAnyConfiguredKey() {
        let src = Self.source(keys: [Self.otherKey.publicKey, Self.key.publicKey])
        let e = event { () throws(WebhookError) in
            try adapter.handle(request(Self.body, signature: Self.sign(Self.key, id: "msg_1", ts: "1714557600", body: Self.body)), source: src)
        }
        #expect(e?.id == "msg_1")
        #expect(e?.authMethod == .signature)
        #expect(e?.data.amount == "25.00")
    }

    @Test func wrongKeyTamperedBodyOrNoKeysIsInvalid() {
        let sig = Self.sign(Self.key, id: "msg_1", ts: "1714557600", body: Self.body)
        #expect(code(request(Self.body, signature: sig), Self.source(keys: [Self.otherKey.publicKey])) == .invalidSignature)
        #expect(code(request(Self.body + " ", signature: sig), Self.source(keys: [Self.key.publicKey])) == .invalidSignature)
        #expect(code(request(Self.body, signature: sig, id: "msg_2"), Self.source(keys: [Self.key.publicKey])) == .invalidSignature)
        // A v1a signature means nothing to a source with only HMAC secrets.
        #expect(
            code(request(Self.body, signature: sig), Self.source(keys: [], secrets: [secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]))
                == .invalidSignature
        )
        // Truncated and non-base64 entries are skipped, not crashed on.
        #expect(code(request(Self.body, signature: "v1a, v1a,AAAA v1a,!!!"), Self.source(keys: [Self.key.publicKey])) == .invalidSignature)
    }

    @Test func aSourceMayListBothKindsAndEitherVerifies() {
        let secretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let src = Self.source(keys: [Self.key.publicKey], secrets: [secret(secretText)])
        let v1 = Sign.standardWebhooks(id: "msg_1", timestamp: "1714557600", body: utf8(Self.body), secret: secretText)
        let v1a = Self.sign(Self.key, id: "msg_1", ts: "1714557600", body: Self.body)
        for header in [v1, v1a, "\(v1a) \(v1)", "v1,AAAA \(v1a)", "v2,xyz \(v1)"] {
            #expect(code(request(Self.body, signature: header), src) == nil, "\(header)")
        }
    }

    @Test func staleTimestampIsCheckedAfterAV1aSignatureVerifies() {
        let sig = Self.sign(Self.key, id: "msg_1", ts: "1714557600", body: Self.body)
        #expect(code(request(Self.body, signature: sig, now: 1_714_557_600 + 301), Self.source(keys: [Self.key.publicKey])) == .staleTimestamp)
    }

    @Test func moreThanEightEntriesIsRefusedBeforeAnyVerification() {
        let sig = Self.sign(Self.key, id: "msg_1", ts: "1714557600", body: Self.body)
        let header = Array(repeating: "v1a,AAAA", count: 8).joined(separator: " ") + " " + sig
        #expect(code(request(Self.body, signature: header), Self.source(keys: [Self.key.publicKey])) == .invalidSignature)
    }

    @Test(arguments: StandardWebhooksAdapter.catalog)
    func publicKeyOnlySourceSamplesWithTheSenderKey(_ entry: CatalogEvent) {
        let src = Self.source(keys: [Self.key.publicKey])
        let senderKey = secret("whsk_" + Self.key.rawRepresentation.base64EncodedString())
        checkSampleRoundTrip(adapter, entry, source: src, senderKey: senderKey)
        // Without the sender's key there is nothing to sign with.
        #expect(adapter.sample(event: entry.name, source: src, now: at(seconds: 1_700_000_000), tampered: false) == nil)
    }
}
