import Crypto
public import HookwayCore

/// Bitnob transaction and payout webhooks (seed 004).
///
/// `x-bitnob-signature` is hex HMAC-SHA512(secret, body). Newer senders add
/// `X-Bitnob-Timestamp` and sign `{timestamp}.{body}` with HMAC-SHA256 (tolerance ±300 s).
/// The digest length decides which: 128 hex digits are SHA-512, 64 the timestamped SHA-256.
/// Either may be written `sha256=<hex>` (Bitnob's stablecoin docs) or `sha512=<hex>`.
/// The event name is the body's `event`, else the `X-Bitnob-Event` header newer senders add.
public struct BitnobAdapter: ProviderAdapter {
    static let signatureHeader = "x-bitnob-signature"
    static let timestampHeader = "X-Bitnob-Timestamp"
    static let eventHeader = "X-Bitnob-Event"
    static let defaultToleranceSeconds = 300

    public init() {}

    public static let catalog: [CatalogEvent] =
        [
            CatalogEvent(name: "btc.lightning.received.success", entityKind: "transaction"),
            // The seed titles both payout hooks "Payout Transfer Failed" but calls the first one
            // successful; Bitnob's published examples name it `payout.transfer.success`.
            CatalogEvent(name: "payout.transfer.success", entityKind: "payout"),
            CatalogEvent(name: "payout.transfer.failed", entityKind: "payout"),
            // Bitnob's current docs: stablecoin deposits, payouts, transfers, deposits.
            CatalogEvent(name: "stablecoin.usdc.received.success", entityKind: "transaction"),
            CatalogEvent(name: "stablecoin.usdt.received.success", entityKind: "transaction"),
            CatalogEvent(name: "payouts.asset.received", entityKind: "payout"),
        ] + ["processing", "success", "failed", "expired", "rejected"].map { CatalogEvent(name: "payouts.withdrawal.\($0)", entityKind: "payout") }
        + ["initiated", "completed", "failed", "success"].map { CatalogEvent(name: "transfer.\($0)", entityKind: "transfer") }
        + ["success", "succeeded"].map { CatalogEvent(name: "deposit.\($0)", entityKind: "deposit") }

    public func handle(_ request: WebhookRequest, source: SourceConfig) throws(WebhookError) -> AdapterOutcome {
        var warnings: [IntakeWarning] = []
        return try handle(request, source: source, warnings: &warnings)
    }

    public func handle(_ request: WebhookRequest, source: SourceConfig, warnings: inout [IntakeWarning]) throws(WebhookError) -> AdapterOutcome {
        guard let header = request.header(Self.signatureHeader), !header.isEmpty else {
            throw .missingSignature("\(Self.signatureHeader) header is missing")
        }
        let text = header.hasPrefix("sha256=") || header.hasPrefix("sha512=") ? String(header.dropFirst(7)) : header
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
            guard let signedAt = SigningTime.milliseconds(from: timestamp, unit: .secondsOrMilliseconds) else {
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
        let event: String
        if payload["event"] == nil, let named = request.header(Self.eventHeader), !named.isEmpty {
            event = named.lowercased()
        } else {
            event = try Payload.requiredString(payload, "event").lowercased()
        }
        let record = try Payload.requiredObject(payload, "data")
        let entityID = Payload.identifier(record["id"])
        // Payouts carry no currency; it is never guessed.
        let currency = Payload.string(record, "currency")
        var amount = ExactDecimal.amountText(from: record["amount"])
        var amountSource: String?
        if amount == nil, record["amount"] == nil, let cents = record["centAmount"] {
            if let currency, let exponent = MinorUnits.exponent(of: currency), let derived = MinorUnits.decimalText(cents, exponent: exponent) {
                amount = derived
                amountSource = "centAmount"
            } else {
                warnings.append(
                    IntakeWarning(
                        .amountNotDerived,
                        "centAmount is not an integer count of minor units of a known currency (currency \(currency.map { "\"\(LogSafe.text($0, limit: 16))\"" } ?? "missing")); data.amount left out"
                    )
                )
            }
        }
        let data = EventData(
            provider: BitnobProvider.name,
            source: source.name,
            event: event,
            entity: entityID.map { EntityRef(kind: Self.entityKind(of: event), id: $0) },
            status: Payload.status(record, "status") ?? Self.statusFromName(event),
            amount: amount,
            amountSource: amountSource,
            currency: currency,
            reference: Payload.string(record, "reference"),
            payload: payload,
            payloadBody: request.body
        )
        let id = entityID.map { "bitnob:\(event):\($0)" } ?? EventID.fallback(source: source.name, body: request.body)
        return .event(Event(id: id, data: data, authMethod: .signature, receivedAt: request.receivedAt))
    }

    /// The status an event's name ends in, for families whose records may omit `status`
    /// (`transfer.initiated`, `payouts.withdrawal.expired`); `nil` for other names.
    static func statusFromName(_ event: String) -> String? {
        let first = EventNaming.firstSegment(event)
        guard ["transfer", "deposit", "payouts", "stablecoin"].contains(first), let last = event.split(separator: ".").last else { return nil }
        return String(last)
    }

    /// `payout` for a `payout`/`payouts` prefix, `transfer` and `deposit` for theirs, else
    /// `transaction` (Lightning, on-chain and stablecoin receipts).
    static func entityKind(of event: String) -> String {
        switch EventNaming.firstSegment(event) {
        case "payout", "payouts": return "payout"
        case "transfer": return "transfer"
        case "deposit": return "deposit"
        default: return "transaction"
        }
    }

    /// A classic SHA-512 delivery (what the seed documents).
    public func sample(event: String, source: SourceConfig, now: Timestamp, tampered: Bool) -> SampleDelivery? {
        guard !event.isEmpty else { return nil }
        let id = SampleSupport.entityID(SampleSupport.uuid("bitnob \(event) \(now.millisecondsSinceEpoch)"))
        let failed = [".failed", ".expired", ".rejected"].contains { event.hasSuffix($0) }
        let status = failed ? String(event.split(separator: ".").last ?? "failed") : "success"
        let reference = String(SampleSupport.hexID(id).prefix(12))
        let record: [(String, JSONValue)]
        switch (Self.entityKind(of: event), EventNaming.firstSegment(event)) {
        case ("payout", "payout"):
            record = [
                ("id", .string(id)), ("fees", .string("0")), ("type", .string("debit")), ("amount", .string("35.81")),
                ("action", .string("ngn_account_payout")), ("status", .string(status)),
                ("channel", .string("payout")), ("reference", .string(reference)),
                ("companyId", .string(SampleSupport.uuid("bitnob company"))), ("callbackUrl", .string("")),
            ]
        case ("payout", _):
            record = [
                ("id", .string(id)), ("amount", .string("100.00")), ("currency", .string("USDT")), ("fees", .number("1.5")),
                ("status", .string(String(event.split(separator: ".").last ?? "success"))), ("chain", .string("trc20")),
                ("reference", .string(reference)),
            ]
        case ("transfer", _), ("deposit", _):
            record = [
                ("id", .string(id)), ("amount", .string("5000.00")), ("currency", .string("NGN")), ("fees", .string("10")),
                ("status", .string(String(event.split(separator: ".").last ?? "success"))), ("reference", .string(reference)),
                ("customerEmail", .string("customer@example.com")),
            ]
        case (_, "stablecoin"):
            // Stablecoin receipts may carry only minor units: data.amount is derived from them.
            let asset = event.split(separator: ".").dropFirst().first.map { $0.uppercased() } ?? "USDC"
            record = [
                ("id", .string(id)), ("centAmount", .number("12550")), ("currency", .string(asset)), ("fees", .number("0")),
                ("status", .string(status)), ("type", .string("credit")), ("chain", .string("polygon")),
                ("reference", .string(reference)), ("customerEmail", .string("customer@example.com")),
            ]
        default:
            record = [
                ("id", .string(id)), ("amount", .string("0.00021")), ("currency", .string("BTC")),
                ("status", .string(status)), ("type", .string("credit")),
                ("channel", .string("lightning")), ("reference", .string(reference)),
                // Bitnob's transaction webhooks name the customer; ledger rules key accounts on it.
                ("customerEmail", .string("customer@example.com")),
            ]
        }
        let body = SampleSupport.json([("event", .string(event)), ("data", .object(record.map { JSONMember($0.0, $0.1) }))])
        let mac = MessageAuthentication.hmac(SHA512.self, key: SampleSupport.signingKey(source, tampered: tampered), parts: [body])
        return SampleDelivery(
            pathSuffix: SampleSupport.pathSuffix(source, wrong: false),
            headers: [("Content-Type", "application/json"), (Self.signatureHeader, DigestCoding.hexString(mac))],
            body: body
        )
    }
}
