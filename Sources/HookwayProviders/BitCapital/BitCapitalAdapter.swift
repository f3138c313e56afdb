import Crypto
public import HookwayCore

/// Bit Capital domain postbacks (seed 000): a user or transaction changed status.
///
/// `X-Request-Signature` is lowercase hex HMAC-SHA256 over `POST,{target},{timestamp},{body}`,
/// where the target is the path and query exactly as received (a rewriting proxy sets the
/// source's `signedPath`), and `X-Request-Timestamp` is in seconds or, from the SDKs,
/// milliseconds. Tolerance ±30 s.
public struct BitCapitalAdapter: ProviderAdapter {
    static let defaultToleranceSeconds = 30

    public init() {}

    /// The seed lists `user.ready`; the SDK's other statuses follow `entity.status`.
    public static let catalog: [CatalogEvent] = [
        ("user", "ready"), ("user", "pending_documents"), ("user", "manual_verification"), ("user", "rejected"),
        ("user", "blocked"), ("transaction", "pending"), ("transaction", "authorized"), ("transaction", "executed"),
        ("transaction", "failed"),
    ].map { CatalogEvent(name: "\($0.0).\($0.1)", entityKind: $0.0) }

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        guard let signatureText = request.header("X-Request-Signature"), !signatureText.isEmpty else {
            throw .missingSignature("X-Request-Signature header is missing")
        }
        guard let timestampText = request.header("X-Request-Timestamp"), !timestampText.isEmpty else {
            throw .missingSignature("X-Request-Timestamp header is missing")
        }
        guard let signature = DigestCoding.hex(signatureText), signature.count == SHA256.byteCount else {
            throw .invalidSignature("X-Request-Signature is not 64 hex digits")
        }
        guard let signedAt = SigningTime.milliseconds(from: timestampText, unit: .secondsOrMilliseconds) else {
            throw .invalidSignature("X-Request-Timestamp is not an integer")
        }
        let target = Self.signedTarget(received: request.target, signedPath: source.bitCapital.signedPath)
        let parts = Self.signedParts(target: target, timestamp: timestampText, body: request.body)
        guard MessageAuthentication.anyKeyVerifies(SHA256.self, keys: source.secrets.map(\.bytes), parts: parts, expected: signature)
        else { throw .invalidSignature("no configured secret verifies X-Request-Signature") }
        let tolerance = source.toleranceSeconds ?? Self.defaultToleranceSeconds
        guard SigningTime.isWithinTolerance(signedAtMilliseconds: signedAt, now: request.receivedAt, toleranceSeconds: tolerance)
        else { throw .staleTimestamp("X-Request-Timestamp is more than \(tolerance) s from now") }

        let payload = try Payload.object(request.body)
        let id = try Payload.requiredString(payload, "id")
        let kind = try Payload.requiredString(payload, "entity").lowercased()
        let status = try Payload.requiredString(payload, "status").lowercased()
        return .event(
            Self.event(
                payload: payload,
                kind: kind,
                id: id,
                status: status,
                source: source,
                authMethod: .signature,
                receivedAt: request.receivedAt,
                payloadBody: request.body
            )
        )
    }

    /// The event of a postback `{"id", "entity", "status"}` — also what `hookway reconcile`
    /// builds from an API entity, so a recovered event has the postback's id.
    /// `payloadBody`: the body `payload` was parsed from, when there is one.
    static func event(
        payload: JSONValue,
        kind: String,
        id: String,
        status: String,
        source: SourceConfig,
        authMethod: AuthMethod,
        receivedAt: Timestamp,
        payloadBody: [UInt8]? = nil
    )
        -> Event
    {
        let data = EventData(
            provider: BitCapitalProvider.name,
            source: source.name,
            event: "\(kind).\(status)",
            entity: EntityRef(kind: kind, id: id),
            status: status,
            payload: payload,
            payloadBody: payloadBody
        )
        // No event time in the payload: the timestamp header dates this attempt's signing.
        return Event(id: "bitcapital:\(kind):\(id):\(status)", data: data, authMethod: authMethod, receivedAt: receivedAt)
    }

    /// The target Bit Capital signed: `signedPath` replaces the path received (keeping the
    /// received query unless `signedPath` has its own).
    static func signedTarget(received: String, signedPath: String?) -> String {
        guard let signedPath, !signedPath.isEmpty else { return received }
        if signedPath.contains("?") { return signedPath }
        guard let q = received.firstIndex(of: "?") else { return signedPath }
        return signedPath + received[q...]
    }

    static func signedParts(target: String, timestamp: String, body: [UInt8]) -> [[UInt8]] {
        [Array("POST,\(target),\(timestamp),".utf8), body]
    }

    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        let segments = event.split(separator: ".", maxSplits: 1)
        guard segments.count == 2 else { return nil }
        let suffix = SampleSupport.pathSuffix(source, wrong: false)
        let received = suffix.map { "/webhooks/\(source.name)/\($0)" } ?? "/webhooks/\(source.name)"
        let body = SampleSupport.json([
            ("id", .string(SampleSupport.entityID(SampleSupport.uuid("bitcapital \(event) \(now.millisecondsSinceEpoch)")))),
            ("entity", .string(String(segments[0]))), ("status", .string(String(segments[1]))),
        ])
        // The SDKs send milliseconds.
        let timestamp = String(now.millisecondsSinceEpoch)
        let target = Self.signedTarget(received: received, signedPath: source.bitCapital.signedPath)
        let mac = MessageAuthentication.hmac(
            SHA256.self,
            key: SampleSupport.signingKey(source, tampered: tampered),
            parts: Self.signedParts(target: target, timestamp: timestamp, body: body)
        )
        return SampleDelivery(
            pathSuffix: suffix,
            headers: [
                ("Content-Type", "application/json"), ("X-Request-Timestamp", timestamp),
                ("X-Request-Signature", DigestCoding.hexString(mac)),
            ],
            body: body
        )
    }
}
