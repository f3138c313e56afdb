import Crypto
public import HookwayCore
import NIOHTTP1

/// Bitnob's current REST API (PROVIDER-APIS.md §2, the generation its official CLI uses):
/// `GET /api/transactions/{id-or-reference}`, HMAC headers `X-Auth-Client`,
/// `X-Auth-Timestamp` (Unix seconds), `X-Auth-Nonce`, `X-Auth-Signature` =
/// hex(HMAC-SHA256(secret, `clientId:timestamp:nonce:body`)).
public struct BitnobAPI: ProviderAPI {
    public static let descriptor = APIDescriptor(
        defaultBaseURL: "https://api.bitnob.com",
        requiredCredentials: ["clientId", "clientSecret"],
        defaultRateLimitPerMinute: 60,
        paths: [
            "transaction": "/api/transactions/{id}", "transactions": "/api/transactions",
            // The delivery Events API of Bitnob's newer docs (PROVIDER-APIS.md §2.4), whose HTTP
            // paths the stored pages do not give: these are the defaults, `api.paths` overrides.
            "webhookEvents": "/api/webhooks/{webhookId}/events",
            "webhookEventRetry": "/api/webhooks/{webhookId}/events/{id}/retry",
        ],
        // The webhook whose delivery events `reconcile --replay` reads (optional otherwise).
        settings: ["webhookId": false]
    )
    /// Minor-unit exponents of Bitnob's `amount` strings where `amount_formatted` is absent:
    /// BTC in satoshis, USDT/USDC in 10⁻⁶ (the CLI's fixture: `-10000000` is `-10.0 USDT`).
    static let exponents: [String: Int] = ["BTC": 8, "USDT": 6, "USDC": 6]

    let connection: APIConnection

    public init(settings: APISettings) {
        connection = APIConnection(provider: BitnobProvider.name, settings: settings)
    }

    public func fetch(_ event: Event) async throws(APIError) -> APIEntity? {
        guard let entity = event.data.entity else {
            throw APIError(code: .apiUnsupported, "the event names no Bitnob entity id", retriable: false)
        }
        let path = try connection.path("transaction", default: Self.descriptor.paths["transaction"] ?? "", ["id": entity.id])
        let what = "GET transaction \(entity.id)"
        let response = try await get(path, what: what)
        if response.isNotFound { return nil }
        try response.requireSuccess(what)
        guard let record = try response.json(what)["data"], case .object = record else {
            throw APIError(code: .apiResponseInvalid, "\(what): no data object in Bitnob's answer", retriable: false)
        }
        return Self.entity(record, kind: entity.kind)
    }

    public func list(cursor: String?) async throws(APIError) -> APIPage {
        var path = connection.path("transactions", default: Self.descriptor.paths["transactions"] ?? "") + "?limit=100"
        if let cursor { path += "&cursor=" + APIConnection.percentEncoded(cursor) }
        let response = try await get(path, what: "GET transactions")
        try response.requireSuccess("GET transactions")
        let data = try response.json("GET transactions")["data"] ?? .null
        guard case .array(let items)? = data["transactions"] else {
            throw APIError(code: .apiResponseInvalid, "GET transactions: no data.transactions list", retriable: false)
        }
        let more: Bool = if case .bool(true)? = data["has_more"] { true } else { false }
        return APIPage(entities: items.compactMap { Self.entity($0, kind: "transaction") }, next: more ? data["next_cursor"]?.stringValue : nil)
    }

    /// Bitnob's webhooks say `success`/`completed`/`succeeded` where its API says `SETTLED`.
    public func statusMatches(event: String, api: String) -> Bool {
        let succeeded: Set<String> = ["success", "succeeded", "successful", "completed", "complete", "settled"]
        return event == api || (succeeded.contains(event) && succeeded.contains(api))
    }

    public func shutdown() async { await connection.shutdown() }

    /// A refused signature is retried once with a new timestamp and nonce (Bitnob allows ±5
    /// minutes and refuses a nonce it has seen).
    func get(_ path: String, what: String) async throws(APIError) -> APIResponse {
        try await send(path, method: .GET, what: what)
    }

    func send(_ path: String, method: HTTPMethod, body: [UInt8] = [], what: String) async throws(APIError) -> APIResponse {
        var response = try await connection.send(signed(path, method: method, body: body), what: what)
        if response.isAuthFailure { response = try await connection.send(signed(path, method: method, body: body), what: what) }
        return response
    }

    func signed(_ path: String, method: HTTPMethod = .GET, body: [UInt8] = []) -> APIRequest {
        let client = connection.credential("clientId")
        let timestamp = String(Timestamp.now().seconds)
        let nonce = randomHex(bytes: 16)
        let message = Array("\(client):\(timestamp):\(nonce):".utf8) + body
        let signature = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(connection.credential("clientSecret").utf8)))
        return APIRequest(
            method: method,
            pathAndQuery: path,
            headers: [
                ("X-Auth-Client", client), ("X-Auth-Timestamp", timestamp), ("X-Auth-Nonce", nonce),
                ("X-Auth-Signature", DigestCoding.hexString(signature)),
            ],
            body: body.isEmpty && method == .GET ? nil : body
        )
    }

    static func entity(_ record: JSONValue, kind: String) -> APIEntity? {
        guard let id = Payload.identifier(record["transaction_id"]) ?? Payload.identifier(record["id"]) else { return nil }
        let currency = Payload.string(record, "currency")
        return APIEntity(
            kind: kind,
            id: id,
            status: (Payload.status(record, "state") ?? Payload.status(record, "status")).map { $0 == "settled" ? "success" : $0 },
            amount: amount(record, currency: currency).map(magnitude),
            currency: currency,
            createdAt: Payload.string(record, "created_at").flatMap { Timestamp(rfc3339: $0) },
            raw: record
        )
    }

    /// `amount_formatted` (`"-10.0 USDT"`) when sent, else `amount` in minor units.
    static func amount(_ record: JSONValue, currency: String?) -> String? {
        if let formatted = Payload.string(record, "amount_formatted"), let number = formatted.split(separator: " ").first,
            let text = ExactDecimal.amountText(from: .string(String(number)))
        {
            return text
        }
        guard let currency, let exponent = exponents[currency.uppercased()] ?? MinorUnits.exponent(of: currency) else { return nil }
        return MinorUnits.decimalText(record["amount"], exponent: exponent)
    }

    /// Bitnob signs debits negative; webhooks carry the magnitude (the direction is compared
    /// on its own: ``directionDifference(event:entity:)``).
    static func magnitude(_ amount: String) -> String { amount.hasPrefix("-") ? String(amount.dropFirst()) : amount }

    public var webhooksCarryAmount: Bool { true }

    /// A credit webhook about a debit (or the reverse) is not a match, though the magnitudes are.
    public func directionDifference(event: Event, entity: APIEntity) -> String? {
        guard let api = Self.side(ofRecord: entity.raw), let hook = Self.side(of: event), api != hook else { return nil }
        return "direction: event \(hook), api \(api)"
    }

    /// The API's side: `side` or legacy `type` (`Debit`/`Credit`), else the amount's sign.
    static func side(ofRecord record: JSONValue) -> String? {
        for key in ["side", "type"] {
            if let side = Payload.string(record, key)?.lowercased(), side == "debit" || side == "credit" { return side }
        }
        return amount(record, currency: Payload.string(record, "currency")).map { $0.hasPrefix("-") ? "debit" : "credit" }
    }

    /// The webhook's side: `data.type` when it says, else the event name (`….received.…` and
    /// `deposit.…` are credits, `payout…` debits); `nil` when neither tells.
    static func side(of event: Event) -> String? {
        if let type = Payload.string(event.data.payload, "data.type")?.lowercased(), type == "debit" || type == "credit" { return type }
        let parts = event.data.event.split(separator: ".")
        if parts.contains("received") || parts.first == "deposit" { return "credit" }
        if let first = parts.first, first.hasPrefix("payout") { return "debit" }
        return nil
    }
}
