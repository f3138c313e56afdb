public import HookwayCore

/// Bitso funding and withdrawal webhooks (seed 002).
///
/// The seed's flow is unsigned: the callback URL carries a token and Bitso's addresses go in
/// `allowFrom`, both checked by ``WebhookIntake``. When the source lists `publicKeys`, the
/// current RSA signature is required too (``BitsoSignature``).
///
/// Bitso waits 5 s, retries only 5xx and timeouts, and loses the event after a 4xx, so only
/// a body that is not JSON or lacks `event`/`payload` is refused with 400; anything else
/// normalizes, with the fallback id when it names no record.
public struct BitsoAdapter: ProviderAdapter {
    public static let kind = ProviderKind.bitso

    public init() {}

    public static let catalog: [CatalogEvent] =
        ["pending", "complete", "failed"].map { CatalogEvent(name: "funding.\($0)", entityKind: "funding") }
        + ["pending", "processing", "complete", "failed"].map { CatalogEvent(name: "withdrawal.\($0)", entityKind: "withdrawal") }

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        var authMethod = AuthMethod.none
        if !source.publicKeys.isEmpty {
            try BitsoSignature.verify(request, publicKeys: source.publicKeys)
            authMethod = .signature
        }

        let body = try Payload.object(request.body)
        let name = try Payload.requiredString(body, "event").lowercased()
        guard let record = body["payload"] else { throw .malformedPayload("required field \"payload\" is missing") }
        let status = Payload.status(record, "status")
        let entityID = Self.recordID(record, event: name)
        let details = record["details"] ?? .null
        let data = EventData(
            provider: Self.kind.rawValue, source: source.name, event: status.map { "\(name).\($0)" } ?? name,
            entity: entityID.map { EntityRef(kind: name, id: $0) }, status: status,
            amount: ExactDecimal.amountText(from: record["amount"]),
            currency: Payload.string(record, "currency"),
            reference: Payload.string(details, "clave_rastreo") ?? Payload.string(details, "tx_hash")
                ?? Payload.string(details, "ripple_transaction_hash"),
            payload: body)
        let id: String
        if let entityID, let status {
            id = "bitso:\(name):\(entityID):\(status)"
        } else {
            id = EventID.fallback(source: source.name, body: request.body)
        }
        // `created_at` dates the record, not this event: time is the receive time.
        return .event(Event(id: id, data: data, authMethod: authMethod, receivedAt: request.receivedAt))
    }

    /// `fid` for fundings, `wid` for withdrawals, `id` for the current API's other records;
    /// any of them when the expected one is absent.
    static func recordID(_ record: JSONValue, event: String) -> String? {
        let preferred = event == "funding" ? "fid" : event == "withdrawal" ? "wid" : "id"
        for key in [preferred, "fid", "wid", "id"] {
            if let id = Payload.identifier(record[key]) { return id }
        }
        return nil
    }

    /// Bitso's flow signs nothing Hookway can reproduce (the RSA key is Bitso's), so the sample
    /// is authenticated by the URL token only; `tampered` sends a wrong token.
    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        let segments = event.split(separator: ".", maxSplits: 1)
        guard segments.count == 2 else { return nil }
        let kind = String(segments[0]), status = String(segments[1])
        let seed = "bitso \(event) \(now.millisecondsSinceEpoch)"
        var record: [(String, JSONValue)] = [(kind == "withdrawal" ? "wid" : kind == "funding" ? "fid" : "id", .string(SampleSupport.hexID(seed)))]
        record += [("status", .string(status)), ("created_at", .string(now.rfc3339))]
        if kind == "withdrawal" {
            record += [
                ("currency", .string("xrp")), ("method", .string("rp")), ("method_name", .string("Ripple")),
                ("amount", .string("57")), ("asset", .string("xrp")), ("network", .string("rp")),
                ("details", .object([JSONMember("ripple_transaction_hash", .string(SampleSupport.hexID(seed + "tx").uppercased()))])),
            ]
        } else {
            record += [
                ("currency", .string("mxn")), ("method", .string("praxis")), ("method_name", .string("SPEI Transfer")),
                ("amount", .string("100.00")), ("asset", .string("mxn")), ("network", .string("spei")),
                ("details", .object([JSONMember("clave_rastreo", .string("2023051740014BMOV0000495448940"))])),
            ]
        }
        let body = SampleSupport.json([("event", .string(kind)), ("payload", .object(record.map { JSONMember($0.0, $0.1) }))])
        return SampleDelivery(
            pathSuffix: SampleSupport.pathSuffix(source, wrong: tampered),
            headers: [("Content-Type", "application/json")], body: body)
    }
}
