public import HookwayCore
import NIOHTTP1

/// Koywe's Payments API (PROVIDER-APIS.md §4): `POST /auth/sign-in` with `{apiKey, secret}`
/// gives a JWT (about an hour), sent as `Authorization: Bearer`; orders under
/// `/organizations/{organizationId}/merchants/{merchantId}/orders`.
public struct KoyweAPI: ProviderAPI {
    /// The get-by-Koywe-id path is not in Koywe's public pages (only get-by-externalId and the
    /// list are): `order` is Hookway's guess below the documented list path, configurable.
    /// No rate limit is documented: 60/min is Hookway's guess.
    public static let descriptor = APIDescriptor(
        defaultBaseURL: "https://api.koywe.com/api/v1",
        requiredCredentials: ["apiKey", "secret"],
        defaultRateLimitPerMinute: 60,
        paths: [
            "signIn": "/auth/sign-in",
            "order": "/organizations/{organizationId}/merchants/{merchantId}/orders/{id}",
            "orders": "/organizations/{organizationId}/merchants/{merchantId}/orders",
            // Documented in the Payments API reference (organization webhooks).
            "webhookEvents": "/organizations/{organizationId}/webhook-events",
            "webhookDeliveries": "/organizations/{organizationId}/webhook-events/{id}/deliveries",
            "webhookReplay": "/organizations/{organizationId}/webhook-events/{id}/replay",
        ],
        settings: ["organizationId": true, "merchantId": true, "replayEndpointId": false]
    )

    let connection: APIConnection
    let tokens = BearerTokenCache()

    public init(settings: APISettings) {
        connection = APIConnection(provider: KoyweProvider.name, settings: settings)
    }

    public func fetch(_ event: Event) async throws(APIError) -> APIEntity? {
        guard let entity = event.data.entity else { throw APIError(code: .apiUnsupported, "the event names no Koywe order", retriable: false) }
        let what = "GET order \(entity.id)"
        let response = try await authorized(
            try connection.path("order", default: Self.descriptor.paths["order"] ?? "", ["id": entity.id]),
            what: what
        )
        if response.isNotFound { return nil }
        try response.requireSuccess(what)
        let json = try response.json(what)
        return Self.entity(json["order"] ?? json, kind: entity.kind)
    }

    public func list(cursor: String?) async throws(APIError) -> APIPage {
        let page = cursor.flatMap(Int.init) ?? 1
        let path = connection.path("orders", default: Self.descriptor.paths["orders"] ?? "") + "?pageSize=50&pageNumber=\(page)&sort=createdAt:desc"
        let response = try await authorized(path, what: "GET orders")
        try response.requireSuccess("GET orders")
        guard case .array(let items)? = try response.json("GET orders")["orders"] else {
            throw APIError(code: .apiResponseInvalid, "GET orders: no orders list in Koywe's answer", retriable: false)
        }
        return APIPage(entities: items.compactMap { Self.entity($0, kind: "order") }, next: items.count == 50 ? String(page + 1) : nil)
    }

    public func shutdown() async { await connection.shutdown() }

    /// A request with the cached token; a 401 signs in again once (the token expired early or was revoked).
    func authorized(_ path: String, method: HTTPMethod = .GET, body: [UInt8]? = nil, what: String) async throws(APIError) -> APIResponse {
        let connection = self.connection
        let signIn: @Sendable () async throws(APIError) -> (String, Duration) = { () async throws(APIError) -> (String, Duration) in
            try await Self.signIn(connection)
        }
        var token = try await tokens.token(signIn: signIn)
        var response = try await connection.send(
            APIRequest(method: method, pathAndQuery: path, headers: [("Authorization", "Bearer \(token)")], body: body),
            what: what
        )
        if response.status == 401 {
            await tokens.invalidate(token)
            token = try await tokens.token(signIn: signIn)
            response = try await connection.send(
                APIRequest(method: method, pathAndQuery: path, headers: [("Authorization", "Bearer \(token)")], body: body),
                what: what
            )
        }
        return response
    }

    static func signIn(_ connection: APIConnection) async throws(APIError) -> (String, Duration) {
        let body = JSONWriter.encode(
            .object([JSONMember("apiKey", .string(connection.credential("apiKey"))), JSONMember("secret", .string(connection.credential("secret")))])
        )
        let path = connection.path("signIn", default: descriptor.paths["signIn"] ?? "")
        let response = try await connection.send(APIRequest(method: .POST, pathAndQuery: path, body: body), what: "Koywe sign-in")
        try response.requireSuccess("Koywe sign-in")
        guard let token = try response.json("Koywe sign-in")["token"]?.stringValue, !token.isEmpty else {
            throw APIError(code: .apiResponseInvalid, "Koywe sign-in: no token in the answer", retriable: false)
        }
        return (token, BearerTokenCache.lifetime(ofJWT: token, fallback: .seconds(55 * 60)))
    }

    static func entity(_ record: JSONValue, kind: String) -> APIEntity? {
        guard let id = Payload.identifier(record["id"]) ?? Payload.identifier(record["orderId"]) else { return nil }
        return APIEntity(
            kind: kind,
            id: id,
            status: Payload.status(record, "status").map { $0 == "canceled" ? "cancelled" : $0 },
            amount: ExactDecimal.amountText(from: record["amount"] ?? record["amountIn"]),
            currency: Payload.string(record, "currency") ?? Payload.string(record, "originCurrencySymbol") ?? Payload.string(record, "symbolIn"),
            createdAt: Payload.string(record, "createdAt").flatMap { Timestamp(rfc3339: $0) },
            raw: record
        )
    }
}
