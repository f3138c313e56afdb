public import HookwayCore
import Crypto

/// Bitnob transaction and payout webhooks (seed 004).
///
/// `x-bitnob-signature` is hex HMAC-SHA512(secret, body). Newer senders add
/// `X-Bitnob-Timestamp` and sign `{timestamp}.{body}` with HMAC-SHA256 (tolerance ±300 s).
/// The digest length decides which: 128 hex digits are SHA-512, 64 the timestamped SHA-256.
public struct BitnobAdapter: ProviderAdapter {
    public static let kind = ProviderKind.bitnob
    static let signatureHeader = "x-bitnob-signature"
    static let timestampHeader = "X-Bitnob-Timestamp"
    static let defaultToleranceSeconds = 300

    public init() {}

    public static let catalog: [CatalogEvent] = [
        CatalogEvent(name: "btc.lightning.received.success", entityKind: "transaction"),
        // The seed titles both payout hooks "Payout Transfer Failed" but calls the first one
        // successful; Bitnob's published examples name it `payout.transfer.success`.
        CatalogEvent(name: "payout.transfer.success", entityKind: "payout"),
        CatalogEvent(name: "payout.transfer.failed", entityKind: "payout"),
    ]

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        guard let text = request.header(Self.signatureHeader), !text.isEmpty else {
            throw .missingSignature("\(Self.signatureHeader) header is missing")
        }
        guard let signature = DigestCoding.hex(text) else { throw .invalidSignature("\(Self.signatureHeader) is not hex") }
        let keys = source.secrets.map(\.bytes)
        switch signature.count {
        case SHA512.byteCount:
            guard MessageAuthentication.anyKeyVerifies(SHA512.self, keys: keys, parts: [request.body], expected: signature) else {
                throw .invalidSignature("no configured secret verifies \(Self.signatureHeader)")
            }
        case SHA256.byteCount:
            guard let timestamp = request.header(Self.timestampHeader), !timestamp.isEmpty else {
                throw .missingSignature("a 64-digit \(Self.signatureHeader) needs \(Self.timestampHeader)")
            }
            guard let signedAt = SigningTime.milliseconds(from: timestamp) else {
                throw .invalidSignature("\(Self.timestampHeader) is not an integer")
            }
            let parts = [Array("\(timestamp).".utf8), request.body]
            guard MessageAuthentication.anyKeyVerifies(SHA256.self, keys: keys, parts: parts, expected: signature) else {
                throw .invalidSignature("no configured secret verifies \(Self.signatureHeader)")
            }
            let tolerance = source.toleranceSeconds ?? Self.defaultToleranceSeconds
            guard SigningTime.isWithinTolerance(signedAtMilliseconds: signedAt, now: request.receivedAt, toleranceSeconds: tolerance)
            else { throw .staleTimestamp("\(Self.timestampHeader) is more than \(tolerance) s from now") }
        default:
            throw .invalidSignature("\(Self.signatureHeader) is neither 128 (SHA-512) nor 64 (SHA-256) hex digits")
        }

        let payload = try Payload.object(request.body)
        let event = try Payload.requiredString(payload, "event").lowercased()
        let record = try Payload.requiredObject(payload, "data")
        let entityID = Payload.identifier(record["id"])
        let data = EventData(
            provider: Self.kind.rawValue, source: source.name, event: event,
            entity: entityID.map { EntityRef(kind: Self.entityKind(of: event), id: $0) },
            status: Payload.status(record, "status"),
            amount: ExactDecimal.amountText(from: record["amount"]),
            // Payouts carry no currency; it is never guessed.
            currency: Payload.string(record, "currency"),
            reference: Payload.string(record, "reference"), payload: payload)
        let id = entityID.map { "bitnob:\(event):\($0)" } ?? EventID.fallback(source: source.name, body: request.body)
        return .event(Event(id: id, data: data, authMethod: .signature, receivedAt: request.receivedAt))
    }

    /// `payout` for a `payout`/`payouts` prefix, else `transaction`.
    static func entityKind(of event: String) -> String {
        let first = EventNaming.firstSegment(event)
        return first == "payout" || first == "payouts" ? "payout" : "transaction"
    }

    /// A classic SHA-512 delivery (what the seed documents).
    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        guard !event.isEmpty else { return nil }
        let id = SampleSupport.uuid("bitnob \(event) \(now.millisecondsSinceEpoch)")
        let failed = event.hasSuffix(".failed")
        let record: [(String, JSONValue)]
        if Self.entityKind(of: event) == "payout" {
            record = [
                ("id", .string(id)), ("fees", .string("0")), ("type", .string("debit")), ("amount", .string("35.81")),
                ("action", .string("ngn_account_payout")), ("status", .string(failed ? "failed" : "success")),
                ("channel", .string("payout")), ("reference", .string(String(SampleSupport.hexID(id).prefix(12)))),
                ("companyId", .string(SampleSupport.uuid("bitnob company"))), ("callbackUrl", .string("")),
            ]
        } else {
            record = [
                ("id", .string(id)), ("amount", .string("0.00021")), ("currency", .string("BTC")),
                ("status", .string(failed ? "failed" : "success")), ("type", .string("credit")),
                ("channel", .string("lightning")), ("reference", .string(String(SampleSupport.hexID(id).prefix(12)))),
                // Bitnob's transaction webhooks name the customer; ledger rules key accounts on it.
                ("customerEmail", .string("customer@example.com")),
            ]
        }
        let body = SampleSupport.json([("event", .string(event)), ("data", .object(record.map { JSONMember($0.0, $0.1) }))])
        let mac = MessageAuthentication.hmac(SHA512.self, key: SampleSupport.signingKey(source, tampered: tampered), parts: [body])
        return SampleDelivery(
            pathSuffix: SampleSupport.pathSuffix(source, wrong: false),
            headers: [("Content-Type", "application/json"), (Self.signatureHeader, DigestCoding.hexString(mac))], body: body)
    }
}
