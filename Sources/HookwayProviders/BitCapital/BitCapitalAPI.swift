import Crypto
public import HookwayCore

/// Bit Capital's Core API (PROVIDER-APIS.md §5, from its 2019 SDKs): an OAuth
/// `client_credentials` token from `POST /oauth/token` (Basic client id and secret), sent as
/// `Authorization: Bearer`, and every request signed with `X-Request-Signature` =
/// hex(HMAC-SHA256(clientSecret, `METHOD,PATH,TIMESTAMP[,BODY]`)) and `X-Request-Timestamp`.
public struct BitCapitalAPI: ProviderAPI {
    /// Each customer has its own instance (`https://<instance>.btcore.app`): no default host,
    /// `baseUrl` is required. No rate limit is documented: 60/min is Hookway's guess. The
    /// signing timestamp is milliseconds as the SDK sends (`settings.signatureTimestamp: "s"`
    /// for seconds, as the docs page says).
    public static let descriptor = APIDescriptor(
        defaultBaseURL: "",
        requiredCredentials: ["clientId", "clientSecret"],
        defaultRateLimitPerMinute: 60,
        paths: [
            "token": "/oauth/token", "transaction": "/transactions/{id}", "user": "/users/{id}", "payment": "/payments/{id}",
            "transactions": "/wallets/{walletId}/transactions",
        ],
        settings: ["walletId": false, "signatureTimestamp": false]
    )

    let connection: APIConnection
    let tokens = BearerTokenCache()

    public init(settings: APISettings) {
        connection = APIConnection(provider: BitCapitalProvider.name, settings: settings)
    }

    public func fetch(_ event: Event) async throws(APIError) -> APIEntity? {
        guard let entity = event.data.entity, Self.descriptor.paths[entity.kind] != nil, entity.kind != "token" else {
            throw APIError(
                code: .apiUnsupported,
                "Bit Capital's API fetches transactions, users and payments; this event is about \(event.data.entity?.kind ?? "nothing")",
                retriable: false
            )
        }
        let what = "GET \(entity.kind) \(entity.id)"
        let response = try await authorized(
            try connection.path(entity.kind, default: Self.descriptor.paths[entity.kind] ?? "", ["id": entity.id]),
            what: what
        )
        if response.isNotFound { return nil }
        try response.requireSuccess(what)
        return Self.entity(try response.json(what), kind: entity.kind)
    }

    /// A wallet's transactions (`settings.walletId`), `skip`/`limit` paging.
    public func list(cursor: String?) async throws(APIError) -> APIPage {
        guard connection.settings.settings["walletId"] != nil else {
            throw APIError(code: .apiUnsupported, "set api.settings.walletId: Bit Capital lists transactions per wallet", retriable: false)
        }
        let skip = cursor.flatMap(Int.init) ?? 0
        let path = connection.path("transactions", default: Self.descriptor.paths["transactions"] ?? "") + "?skip=\(skip)&limit=25"
        let response = try await authorized(path, what: "GET wallet transactions")
        try response.requireSuccess("GET wallet transactions")
        guard case .array(let items) = try response.json("GET wallet transactions") else {
            throw APIError(code: .apiResponseInvalid, "GET wallet transactions: the answer is not a list", retriable: false)
        }
        return APIPage(entities: items.compactMap { Self.entity($0, kind: "transaction") }, next: items.count == 25 ? String(skip + 25) : nil)
    }

    public func event(for entity: APIEntity, source: SourceConfig, at now: Timestamp) -> Event? {
        guard let status = entity.status else { return nil }
        let body = JSONValue.object([
            JSONMember("id", .string(entity.id)), JSONMember("entity", .string(entity.kind)), JSONMember("status", .string(status)),
        ])
        return BitCapitalAdapter.event(
            payload: body,
            kind: entity.kind,
            id: entity.id,
            status: status,
            source: source,
            authMethod: .api,
            receivedAt: now
        )
    }

    public func shutdown() async { await connection.shutdown() }

    func authorized(_ path: String, what: String) async throws(APIError) -> APIResponse {
        let connection = self.connection
        let signIn: @Sendable () async throws(APIError) -> (String, Duration) = { () async throws(APIError) -> (String, Duration) in
            try await Self.token(connection)
        }
        var token = try await tokens.token(signIn: signIn)
        var response = try await connection.send(signed(path, token: token), what: what)
        if response.status == 401 {
            await tokens.invalidate(token)
            token = try await tokens.token(signIn: signIn)
            response = try await connection.send(signed(path, token: token), what: what)
        }
        return response
    }

    func signed(_ path: String, token: String) -> APIRequest {
        let now = Timestamp.now()
        let timestamp = connection.settings.settings["signatureTimestamp"] == "s" ? String(now.seconds) : String(now.millisecondsSinceEpoch)
        // The path as sent, without the query (the SDK signs `url.pathname`).
        let signedPath = connection.basePath + (path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path)
        let message = Array("GET,\(signedPath),\(timestamp)".utf8)
        let signature = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(connection.credential("clientSecret").utf8)))
        return APIRequest(
            method: .GET,
            pathAndQuery: path,
            headers: [
                ("Authorization", "Bearer \(token)"), ("X-Request-Timestamp", timestamp),
                ("X-Request-Signature", DigestCoding.hexString(signature)),
            ]
        )
    }

    static func token(_ connection: APIConnection) async throws(APIError) -> (String, Duration) {
        let basic = DigestCoding.base64String(Array("\(connection.credential("clientId")):\(connection.credential("clientSecret"))".utf8))
        let request = APIRequest(
            method: .POST,
            pathAndQuery: connection.path("token", default: descriptor.paths["token"] ?? ""),
            headers: [("Authorization", "Basic \(basic)")],
            body: Array("grant_type=client_credentials".utf8),
            contentType: "application/x-www-form-urlencoded"
        )
        let response = try await connection.send(request, what: "Bit Capital OAuth token")
        try response.requireSuccess("Bit Capital OAuth token")
        let json = try response.json("Bit Capital OAuth token")
        guard let token = json["access_token"]?.stringValue, !token.isEmpty else {
            throw APIError(code: .apiResponseInvalid, "Bit Capital OAuth token: no access_token in the answer", retriable: false)
        }
        let seconds = json["expires_in"]?.numberLiteral.flatMap(Int64.init) ?? 1800
        return (token, .seconds(seconds))
    }

    /// A transaction has no top-level status or amount: the status is its latest state's,
    /// the amount the sum of its payments (exact), the currency its payments' asset.
    static func entity(_ record: JSONValue, kind: String) -> APIEntity? {
        guard let id = Payload.identifier(record["id"]) else { return nil }
        var status = Payload.status(record, "status")
        var amount: String?
        var currency: String?
        if kind == "transaction" {
            if case .array(let states)? = record["states"], let latest = states.last { status = Payload.status(latest, "status") ?? status }
            if case .array(let payments)? = record["payments"], !payments.isEmpty {
                var total = ExactDecimal("0")
                for payment in payments {
                    guard let text = ExactDecimal.amountText(from: payment["amount"]), let value = ExactDecimal(text), let sum = total else {
                        total = nil
                        break
                    }
                    total = sum + value
                }
                amount = total?.plainText
                currency = Payload.string(payments[0], "asset") ?? payments[0]["asset"].flatMap { Payload.string($0, "code") }
            }
        }
        return APIEntity(
            kind: kind,
            id: id,
            status: status,
            amount: amount,
            currency: currency,
            createdAt: Payload.string(record, "createdAt").flatMap { Timestamp(rfc3339: $0) },
            raw: record
        )
    }
}
