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

    public init() {}

    /// The seed's funding and withdrawal statuses, and the Payouts & Funding API's newer
    /// record kinds. Any other `event`/`status` still normalizes (kind = `event`, id = `id`);
    /// the newer kinds' statuses are passed as Bitso sends them — these are the usual ones.
    public static let catalog: [CatalogEvent] =
        ["pending", "complete", "failed"].map { CatalogEvent(name: "funding.\($0)", entityKind: "funding") }
        + ["pending", "processing", "complete", "failed"].map { CatalogEvent(name: "withdrawal.\($0)", entityKind: "withdrawal") }
        + ["pending", "complete", "expired", "cancelled"].map { CatalogEvent(name: "dynamic_qr_code.\($0)", entityKind: "dynamic_qr_code") }
        + ["pending", "complete", "failed", "cancelled"].map { CatalogEvent(name: "payment_intent.\($0)", entityKind: "payment_intent") }

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        var authMethod = AuthMethod.none
        let publicKeys = source.bitso.publicKeys
        if !publicKeys.isEmpty {
            try BitsoSignature.verify(request, publicKeys: publicKeys)
            authMethod = .signature
        }

        let body = try Payload.object(request.body)
        let origin = WebhookOrigin(request, source: source, authMethod: authMethod)
        return .event(try Self.event(body: body, origin: origin, payloadBody: request.body))
    }

    /// The event for a webhook body `{"event": …, "payload": {…}}` — also what `hookway
    /// reconcile` builds from an API record, so a recovered event has the webhook's id.
    /// `payloadBody`: the bytes `body` was parsed from, when there are any.
    static func event(body: JSONValue, origin: WebhookOrigin, payloadBody: [UInt8]? = nil) throws(WebhookError) -> Event {
        let source = origin.source
        let name = try Payload.requiredString(body, "event").lowercased()
        guard let record = body["payload"] else { throw .malformedPayload("required field \"payload\" is missing") }
        let status = Payload.status(record, "status")
        let entityID = Self.recordID(record, event: name)
        let details = record["details"] ?? .null
        let data = EventData(
            provider: BitsoProvider.name,
            source: source.name,
            event: status.map { "\(name).\($0)" } ?? name,
            entity: entityID.map { EntityRef(kind: name, id: $0) },
            status: status,
            amount: ExactDecimal.amountText(from: record["amount"]),
            currency: Payload.string(record, "currency"),
            reference: Payload.string(details, "clave_rastreo") ?? Payload.string(details, "tx_hash")
                ?? Payload.string(details, "ripple_transaction_hash"),
            payload: body,
            payloadBody: payloadBody
        )
        let id: String
        if let entityID, let status {
            id = "bitso:\(name):\(entityID):\(status)"
        } else {
            id = EventID.fallback(source: source.name, body: origin.raw)
        }
        // `created_at` dates the record, not this event: time is the receive time.
        return Event(id: id, data: data, authMethod: origin.authMethod, receivedAt: origin.receivedAt)
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

    public func needsSenderKey(source: SourceConfig) -> Bool { !source.bitso.publicKeys.isEmpty }

    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        sample(event: event, source: source, now: now, tampered: tampered, senderKey: nil)
    }

    /// A source without `publicKeys` is authenticated by the URL token only (`tampered` sends a
    /// wrong one). With `publicKeys` the sample carries the RSA signature, which needs the
    /// sender's private key (`senderKey`, PEM; Bitso's own key in production, so only a
    /// development key pair can be simulated): `nil` without one; `tampered` signs other bytes.
    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool, senderKey: Secret?) -> SampleDelivery? {
        let segments = event.split(separator: ".", maxSplits: 1)
        guard segments.count == 2 else { return nil }
        let kind = String(segments[0])
        let status = String(segments[1])
        let seed = "bitso \(event) \(now.millisecondsSinceEpoch)"
        var record: [(String, JSONValue)] = [
            (kind == "withdrawal" ? "wid" : kind == "funding" ? "fid" : "id", .string(SampleSupport.entityID(SampleSupport.hexID(seed))))
        ]
        record += [("status", .string(status)), ("created_at", .string(now.rfc3339))]
        switch kind {
        case "withdrawal":
            record += [
                ("currency", .string("xrp")), ("method", .string("rp")), ("method_name", .string("Ripple")),
                ("amount", .string("57")), ("asset", .string("xrp")), ("network", .string("rp")),
                ("details", .object([JSONMember("ripple_transaction_hash", .string(SampleSupport.hexID(seed + "tx").uppercased()))])),
            ]
        case "funding":
            record += [
                ("currency", .string("mxn")), ("method", .string("praxis")), ("method_name", .string("SPEI Transfer")),
                ("amount", .string("100.00")), ("asset", .string("mxn")), ("network", .string("spei")),
                ("details", .object([JSONMember("clave_rastreo", .string("2023051740014BMOV0000495448940"))])),
            ]
        default:
            record += [
                ("currency", .string("mxn")), ("amount", .string("250.00")), ("method", .string("codi")),
                ("reference", .string("REF-" + SampleSupport.hexID(seed + "ref").prefix(10).uppercased())),
            ]
        }
        let payload = JSONValue.object(record.map { JSONMember($0.0, $0.1) })
        let body = SampleSupport.json([("event", .string(kind)), ("payload", payload)])
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        let publicKeys = source.bitso.publicKeys
        if !publicKeys.isEmpty {
            guard let senderKey,
                let signed = BitsoSignature.sign(
                    JSONWriter.encode(payload) + (tampered ? Array("-tampered".utf8) : []),
                    privateKeyPEM: senderKey.stringValue,
                    publicKeys: publicKeys
                )
            else { return nil }
            headers += [(BitsoSignature.signatureHeader, signed.signature), (BitsoSignature.keyIDHeader, signed.keyID)]
            return SampleDelivery(pathSuffix: SampleSupport.pathSuffix(source, wrong: false), headers: headers, body: body)
        }
        return SampleDelivery(pathSuffix: SampleSupport.pathSuffix(source, wrong: tampered), headers: headers, body: body)
    }
}
