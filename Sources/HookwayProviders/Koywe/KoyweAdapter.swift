import Crypto
public import HookwayCore

/// Koywe order events and its validation callback (seed 003).
///
/// A `Koywe-Signature` header, when present, alone decides: hex HMAC-SHA256 of the raw body,
/// bare or written `sha256=<hex>`.
/// Otherwise the body carries `signature`, hex HMAC-SHA256 of `{eventName, orderId, timeStamp}`
/// as Node serializes it (``KoyweSignedFields``). `timeStamp` is the event time and repeats on
/// retries, so it is checked against the clock only when the source sets `toleranceSeconds`.
public struct KoyweAdapter: ProviderAdapter {
    static let header = "Koywe-Signature"

    public init() {}

    /// Koywe's order states: normalized event name → the order status after it (`nil`: none).
    static let statuses: [(event: String, status: String?)] = [
        ("payment.created", "waiting"), ("payment.received", "pending"), ("payment.rejected", "rejected"),
        ("payment.expired", "rejected"), ("crypto.tx.sent", "in_progress"), ("crypto.delivered", "delivered"),
        ("crypto.tx.failed", nil), ("fiat.sent", "in_progress"), ("fiat.delivered", "delivered"),
    ]

    /// The order lifecycle of Koywe's current API (`{id, type, data}` bodies): event → the
    /// order status it reports when `data.status` is absent.
    static let orderLifecycle: [(event: String, status: String)] = [
        ("order.created", "created"), ("order.pending", "pending"), ("order.approved", "approved"),
        ("order.processing", "processing"), ("order.paid", "paid"), ("order.completed", "completed"),
        ("order.failed", "failed"), ("order.expired", "expired"), ("order.cancelled", "cancelled"),
        ("order.refunded", "refunded"),
    ]

    /// Spellings that name the same event, normalized to one: Koywe's docs write both
    /// `order.canceled` and `order.cancelled`; Hookway publishes `order.cancelled`.
    static let synonyms: [String: String] = ["order.canceled": "order.cancelled"]

    public static let catalog: [CatalogEvent] =
        statuses.map { CatalogEvent(name: $0.event, entityKind: "order") }
        + orderLifecycle.map { CatalogEvent(name: $0.event, entityKind: "order") }

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        var warnings: [IntakeWarning] = []
        return try handle(request, source: source, warnings: &warnings)
    }

    /// When the body-embedded signature is the one that verifies, it covers `eventName`,
    /// `orderId` and `timeStamp` only: `data.payload` holds exactly those, and every other
    /// member is dropped (reported in `warnings`) — unsigned data must not travel as signed.
    public func handle(_ request: WebhookRequest, source: SourceConfig, warnings: inout [IntakeWarning]) throws(WebhookError) -> AdapterOutcome {
        let keys = source.secrets.map(\.bytes)
        var payload: JSONValue
        if let headerValue = request.header(Self.header) {
            let signature = try Self.decodeSignature(headerValue, what: Self.header)
            guard MessageAuthentication.anyKeyVerifies(SHA256.self, keys: keys, parts: [request.body], expected: signature) else {
                throw .invalidSignature("no configured secret verifies \(Self.header)")
            }
            payload = try Payload.object(request.body)
        } else {
            // The body-embedded signature can only be found by parsing: a body that is not
            // JSON is a 400 here, before any 401.
            payload = try Payload.object(request.body)
            if KoyweValidationCallback.isValidationCall(payload) {
                return try KoyweValidationCallback.answer(request, payload: payload, source: source)
            }
            guard let embedded = payload["signature"] else {
                throw .missingSignature("no \(Self.header) header and no signature in the body")
            }
            guard case .string(let text) = embedded else { throw .invalidSignature("signature is not a string") }
            let signature = try Self.decodeSignature(text, what: "signature")
            guard let signed = KoyweSignedFields.signedBytes(of: payload) else {
                throw .invalidSignature("a signed field (eventName, orderId, timeStamp) is missing or not a string")
            }
            guard MessageAuthentication.anyKeyVerifies(SHA256.self, keys: keys, parts: [signed], expected: signature) else {
                throw .invalidSignature("no configured secret verifies the body's signature")
            }
            let (kept, dropped) = KoyweSignedFields.signedMembers(of: payload)
            payload = kept
            if !dropped.isEmpty {
                let names = dropped.prefix(5).map { "\"\(LogSafe.text($0, limit: 32))\"" }.joined(separator: ", ")
                warnings.append(
                    IntakeWarning(
                        .unsignedMembersDropped,
                        "\(dropped.count) member(s) the body signature does not cover dropped from data.payload: \(names)\(dropped.count > 5 ? ", …" : "")",
                        count: dropped.count
                    )
                )
            }
        }
        if let tolerance = source.toleranceSeconds, payload["eventName"] != nil {
            guard let sent = payload["timeStamp"]?.stringValue.flatMap(RFC3339.parse),
                SigningTime.isWithinTolerance(signedAtMilliseconds: sent.millisecondsSinceEpoch, now: request.receivedAt, toleranceSeconds: tolerance)
            else { throw .staleTimestamp("timeStamp is more than \(tolerance) s from now") }
        }
        return .event(try Self.normalize(payload, request: request, source: source))
    }

    static func decodeSignature(_ value: String, what: String) throws(WebhookError) -> [UInt8] {
        let text = value.hasPrefix("sha256=") ? String(value.dropFirst(7)) : value
        guard let digest = DigestCoding.hex(text), digest.count == SHA256.byteCount else {
            throw .invalidSignature("\(what) is not 64 hex digits")
        }
        return digest
    }

    static func normalize(_ payload: JSONValue, request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> Event {
        if payload["eventName"] != nil {
            let event = EventNaming.dotted(try Payload.requiredString(payload, "eventName"))
            guard !event.isEmpty else { throw .malformedPayload("eventName has no name in it") }
            let orderID = Payload.identifier(payload["orderId"])
            let data = EventData(
                provider: KoyweProvider.name,
                source: source.name,
                event: event,
                entity: orderID.map { EntityRef(kind: "order", id: $0) },
                status: statuses.first(where: { $0.event == event })?.status,
                payload: payload
            )
            let id = orderID.map { "koywe:\($0):\(event)" } ?? EventID.fallback(source: source.name, body: request.body)
            return Event(
                id: id,
                data: data,
                time: RFC3339.eventTime(from: payload["timeStamp"]),
                authMethod: .signature,
                receivedAt: request.receivedAt
            )
        }
        // Koywe's newer API: `{id, type, data}` with the order in `data.orderId`.
        guard payload["type"] != nil else { throw .malformedPayload("required field \"eventName\" (or \"type\") is missing") }
        let sent = try Payload.requiredString(payload, "type").lowercased()
        let event = synonyms[sent] ?? sent
        let record = payload["data"] ?? .null
        let first = EventNaming.firstSegment(event)
        let entityID = Payload.identifier(record["orderId"]) ?? Payload.identifier(record["id"])
        let status = Payload.status(record, "status").map { $0 == "canceled" ? "cancelled" : $0 }
        let data = EventData(
            provider: KoyweProvider.name,
            source: source.name,
            event: event,
            entity: entityID.map { EntityRef(kind: first.isEmpty ? "order" : first, id: $0) },
            status: status ?? orderLifecycle.first(where: { $0.event == event })?.status,
            amount: ExactDecimal.amountText(from: record["amount"]),
            currency: Payload.string(record, "currency"),
            payload: payload
        )
        let id = Payload.identifier(payload["id"]).map { "koywe:\($0)" } ?? EventID.fallback(source: source.name, body: request.body)
        return Event(id: id, data: data, authMethod: .signature, receivedAt: request.receivedAt)
    }

    /// A body-embedded-signature delivery, as the seed shows it; the order lifecycle events as
    /// the current API sends them (`{id, type, data}`, `Koywe-Signature: sha256=<hex>`).
    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        if let entry = Self.orderLifecycle.first(where: { $0.event == event }) {
            let orderID = SampleSupport.entityID(SampleSupport.uuid("koywe order \(now.millisecondsSinceEpoch)"))
            let body = SampleSupport.json([
                ("id", .string("evt_" + SampleSupport.hexID("koywe \(event) \(now.millisecondsSinceEpoch)").prefix(24))),
                ("type", .string(event)), ("createdAt", .string(now.rfc3339)),
                (
                    "data",
                    .object([
                        JSONMember("orderId", .string(orderID)), JSONMember("status", .string(entry.status)),
                        JSONMember("amount", .string("150000")), JSONMember("currency", .string("CLP")),
                        JSONMember("symbolIn", .string("CLP")), JSONMember("symbolOut", .string("USDC")),
                    ])
                ),
            ])
            let mac = MessageAuthentication.hmac(SHA256.self, key: SampleSupport.signingKey(source, tampered: tampered), parts: [body])
            return SampleDelivery(
                pathSuffix: SampleSupport.pathSuffix(source, wrong: false),
                headers: [("Content-Type", "application/json"), (Self.header, "sha256=" + DigestCoding.hexString(mac))],
                body: body
            )
        }
        let eventName = event.replacingDots(with: "_")
        guard !eventName.isEmpty else { return nil }
        let fields: [(String, JSONValue)] = [
            ("eventName", .string(eventName)),
            ("orderId", .string(SampleSupport.entityID(SampleSupport.uuid("koywe order \(now.millisecondsSinceEpoch)")))),
            ("timeStamp", .string(now.rfc3339)),
        ]
        guard let signed = KoyweSignedFields.signedBytes(of: .object(fields.map { JSONMember($0.0, $0.1) })) else { return nil }
        let mac = MessageAuthentication.hmac(SHA256.self, key: SampleSupport.signingKey(source, tampered: tampered), parts: [signed])
        let body = SampleSupport.json(fields + [("signature", .string(DigestCoding.hexString(mac)))])
        return SampleDelivery(
            pathSuffix: SampleSupport.pathSuffix(source, wrong: false),
            headers: [("Content-Type", "application/json")],
            body: body
        )
    }
}

extension String {
    fileprivate func replacingDots(with separator: String) -> String {
        split(separator: ".", omittingEmptySubsequences: true).joined(separator: separator)
    }
}
