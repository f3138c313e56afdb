import Crypto
public import HookwayCore

/// Bitso's REST API (PROVIDER-APIS.md §1): fundings and withdrawals by id and newest first,
/// signed `Authorization: Bitso key:nonce:hex(HMAC-SHA256(secret, nonce+METHOD+path+body))`.
public struct BitsoAPI: ProviderAPI {
    /// Production host; the documented paths carry `/v3` (`/api/v3` also works, and the path
    /// signed is the path sent, so either is fine when set consistently in `api.paths`).
    public static let descriptor = APIDescriptor(
        defaultBaseURL: "https://api.bitso.com",
        requiredCredentials: ["key", "secret"],
        defaultRateLimitPerMinute: 300,
        paths: [
            "funding": "/v3/fundings/{id}/", "withdrawal": "/v3/withdrawals/{id}/",
            "fundings": "/v3/fundings/", "withdrawals": "/v3/withdrawals/",
            // Bitso's retry API is documented (parameters, rules, answers) but its reference
            // pages render the HTTP paths client-side: these two are Hookway's guesses.
            "retryPreview": "/v3/webhooks/retry/preview", "retryExecute": "/v3/webhooks/retry",
        ],
        settings: ["replayEvents": false]
    )

    let connection: APIConnection
    let nonces: IncreasingNonce

    public init(settings: APISettings) {
        self.init(settings: settings, nonces: IncreasingNonce())
    }

    init(settings: APISettings, nonces: IncreasingNonce) {
        connection = APIConnection(provider: BitsoProvider.name, settings: settings)
        self.nonces = nonces
    }

    public func fetch(_ event: Event) async throws(APIError) -> APIEntity? {
        guard let entity = event.data.entity, entity.kind == "funding" || entity.kind == "withdrawal" else {
            throw APIError(
                code: .apiUnsupported,
                "Bitso's API fetches fundings and withdrawals; this event is about \(event.data.entity?.kind ?? "nothing")",
                retriable: false
            )
        }
        let path = try connection.path(entity.kind, default: Self.descriptor.paths[entity.kind] ?? "", ["id": entity.id])
        let response = try await get(path, what: "GET \(entity.kind) \(entity.id)")
        if response.isNotFound { return nil }
        try response.requireSuccess("GET \(entity.kind) \(entity.id)")
        let records = try Self.payload(response, what: "GET \(entity.kind)")
        return records.first.flatMap { Self.entity($0, kind: entity.kind) }
    }

    /// Fundings first (deposits are what a missed webhook costs most), then withdrawals; each
    /// newest first with `marker` (older than this id). The cursor is `kind:marker`.
    public func list(cursor: String?) async throws(APIError) -> APIPage {
        var kind = "funding"
        var marker: String?
        if let cursor {
            let parts = cursor.split(separator: ":", maxSplits: 1).map(String.init)
            kind = parts[0]
            marker = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
        }
        let listName = kind + "s"
        var path = connection.path(listName, default: Self.descriptor.paths[listName] ?? "") + "?limit=100"
        if let marker { path += "&marker=" + APIConnection.percentEncoded(marker) }
        let response = try await get(path, what: "GET \(listName)")
        try response.requireSuccess("GET \(listName)")
        let entities = try Self.payload(response, what: "GET \(listName)").compactMap { Self.entity($0, kind: kind) }
        if entities.count == 100, let last = entities.last {
            return APIPage(entities: entities, next: "\(kind):\(last.id)", nextSeries: kind == "funding" ? "withdrawal:" : nil)
        }
        return APIPage(entities: entities, next: kind == "funding" ? "withdrawal:" : nil, nextSeries: kind == "funding" ? "withdrawal:" : nil)
    }

    public func event(for entity: APIEntity, source: SourceConfig, at now: Timestamp) -> Event? {
        let body = JSONValue.object([JSONMember("event", .string(entity.kind)), JSONMember("payload", entity.raw)])
        return try? BitsoAdapter.event(
            body: body,
            origin: WebhookOrigin(raw: JSONWriter.encode(body), source: source, authMethod: .api, receivedAt: now)
        )  // nil: a record without event/payload has no webhook twin
    }

    /// Its webhooks carry the amount (PROVIDERS.md): an event without one is not confirmed.
    public var webhooksCarryAmount: Bool { true }

    public func shutdown() async { await connection.shutdown() }

    /// A signed GET. A refused nonce (code 0201: another client of the same key, e.g. a second
    /// replica, used a larger one) is retried once, a second later, with a fresh nonce — the
    /// clock has passed the other client's nonce by then unless the two clocks are far apart.
    func get(_ path: String, what: String) async throws(APIError) -> APIResponse {
        try await send(path, method: "GET", body: [], what: what)
    }

    /// A signed request (see ``get(_:what:)`` for the nonce retry).
    func send(_ path: String, method: String, body: [UInt8], what: String) async throws(APIError) -> APIResponse {
        var response = try await connection.send(signed(path, method: method, body: body), what: what)
        if response.isAuthFailure {
            do {
                try await Task.sleep(for: .seconds(1))
            } catch {
                throw APIError(code: .apiUnavailable, "\(what): cancelled", retriable: true)
            }
            response = try await connection.send(signed(path, method: method, body: body), what: what)
        }
        return response
    }

    func signed(_ pathAndQuery: String, method: String = "GET", body: [UInt8] = []) -> APIRequest {
        let nonce = String(nonces.next())
        let key = connection.credential("key")
        let message = Array((nonce + method + connection.basePath + pathAndQuery).utf8) + body
        let signature = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(connection.credential("secret").utf8)))
        return APIRequest(
            method: method == "GET" ? .GET : .POST,
            pathAndQuery: pathAndQuery,
            headers: [("Authorization", "Bitso \(key):\(nonce):\(DigestCoding.hexString(signature))")],
            body: body.isEmpty ? nil : body
        )
    }

    /// `{"success": true, "payload": [...]}` (a get-by-id answers a one-element list).
    static func payload(_ response: APIResponse, what: String) throws(APIError) -> [JSONValue] {
        let json = try response.json(what)
        guard case .bool(true)? = json["success"] else {
            throw APIError(code: .apiRejected, "\(what): Bitso answered success=false\(APIConnection.snippet(response.body))", retriable: false)
        }
        switch json["payload"] {
        case .array(let items): return items
        case .object?: return json["payload"].map { [$0] } ?? []
        default: throw APIError(code: .apiResponseInvalid, "\(what): no payload list in Bitso's answer", retriable: false)
        }
    }

    static func entity(_ record: JSONValue, kind: String) -> APIEntity? {
        guard let id = BitsoAdapter.recordID(record, event: kind) else { return nil }
        return APIEntity(
            kind: kind,
            id: id,
            status: Payload.status(record, "status"),
            amount: ExactDecimal.amountText(from: record["amount"]),
            currency: Payload.string(record, "currency"),
            createdAt: Payload.string(record, "created_at").flatMap { Timestamp(rfc3339: $0) },
            raw: record
        )
    }
}
