public import HookwayCore

/// Bitpowr webhooks (seed 001), v1 and v2 events alike.
///
/// Bitpowr signs nothing: `x-webhook-secret` carries base64 of the dashboard secret (some
/// accounts send it raw), so a match proves only that the sender knows it, hence `authmethod`
/// `token`. The secret is optional at Bitpowr: a source without `secrets` relies on its URL
/// token or `allowFrom`, and then the header is not needed.
public struct BitpowrAdapter: ProviderAdapter {
    static let header = "x-webhook-secret"

    public init() {}

    public static let catalog: [CatalogEvent] = (BitpowrEvents.v1 + BitpowrEvents.v2).map {
        CatalogEvent(name: $0, entityKind: BitpowrEvents.entityKind(of: $0))
    }

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        var authMethod = AuthMethod.none
        if !source.secrets.isEmpty {
            guard let presented = request.header(Self.header), !presented.isEmpty else {
                throw .missingSignature("\(Self.header) header is missing")
            }
            guard Self.matches(Array(presented.utf8), secrets: source.secrets) else {
                throw .invalidSignature("\(Self.header) matches no configured secret")
            }
            authMethod = .token
        }

        let payload = try Payload.object(request.body)
        let origin = WebhookOrigin(request, source: source, authMethod: authMethod)
        return .event(try Self.event(payload: payload, origin: origin, payloadBody: request.body))
    }

    /// The event for a webhook body `{"event": …, "data": {…}}` — also what `hookway reconcile`
    /// builds from an API transaction, so a recovered event has the webhook's id.
    /// `payloadBody`: the body `payload` was parsed from, when there is one.
    static func event(payload: JSONValue, origin: WebhookOrigin, payloadBody: [UInt8]? = nil) throws(WebhookError) -> Event {
        let source = origin.source
        let event = try Payload.requiredString(payload, "event").lowercased()
        let record = try Payload.requiredObject(payload, "data")
        let entityID = Payload.identifier(record["uid"]) ?? Payload.identifier(record["id"])
        let data = EventData(
            provider: BitpowrProvider.name,
            source: source.name,
            event: event,
            entity: entityID.map { EntityRef(kind: BitpowrEvents.entityKind(of: event), id: $0) },
            status: Payload.status(record, "status"),
            amount: ExactDecimal.amountText(from: record["amount"]),
            currency: Payload.string(record, "assetType"),
            reference: Payload.string(record, "transactionRef") ?? Payload.string(record, "hash"),
            payload: payload,
            payloadBody: payloadBody
        )
        let id = entityID.map { "bitpowr:\(event):\($0)" } ?? EventID.fallback(source: source.name, body: origin.raw)
        return Event(id: id, data: data, authMethod: origin.authMethod, receivedAt: origin.receivedAt)
    }

    /// Compares with base64 of every secret and with every raw secret; all comparisons run.
    static func matches(_ presented: [UInt8], secrets: [Secret]) -> Bool {
        var matched = false
        for secret in secrets {
            let encoded = Array(DigestCoding.base64String(secret.bytes).utf8)
            if DigestCoding.secretEquals(presented, encoded) { matched = true }
            if DigestCoding.secretEquals(presented, secret.bytes) { matched = true }
        }
        return matched
    }

    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        guard !event.isEmpty else { return nil }
        let kind = BitpowrEvents.entityKind(of: event)
        let uid = SampleSupport.entityID(SampleSupport.uuid("bitpowr \(event) \(now.millisecondsSinceEpoch)"))
        var record: [(String, JSONValue)] = [("uid", .string(uid))]
        if kind == "transaction" {
            let status = String(event.split(separator: ".").last ?? "pending")
            let type = event.contains(".transfer.") ? "TRANSFER" : "DEPOSIT"
            record += [
                ("status", .string(status)), ("type", .string(type)), ("amount", .number("0.00012")),
                ("assetType", .string("ETH")), ("chain", .string("ETHEREUM")),
                ("hash", .string("0x" + DigestCoding.hexString(Array(uid.utf8).prefix(32)))),
                ("transactionRef", .string("BTPWR-7Q2K9X")),
            ]
        } else if kind == "address" {
            record += [("address", .string("0x4f6c1b9e2d7a8c3e5f01b2a4c6d8e0f1a3b5c7d9")), ("chain", .string("ETHEREUM"))]
        } else {
            record += [("name", .string("Sample \(kind)"))]
        }
        let body = SampleSupport.json([("event", .string(event)), ("data", .object(record.map { JSONMember($0.0, $0.1) }))])
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let secret = source.secrets.first {
            let value = DigestCoding.base64String(secret.bytes)
            headers.append((Self.header, tampered ? DigestCoding.base64String(Array("wrong-secret".utf8)) : value))
        }
        // Without secrets only the URL token can be wrong.
        let wrongToken = tampered && source.secrets.isEmpty
        return SampleDelivery(pathSuffix: SampleSupport.pathSuffix(source, wrong: wrongToken), headers: headers, body: body)
    }
}
