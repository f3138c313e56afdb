import Foundation
public import HookwayCore

/// Bitpowr's REST API (PROVIDER-APIS.md §3): `GET /transactions/{uid}` and the newest-first
/// list, `Authorization: Bearer base64(publicKey:secretKey)`. No request signing.
public struct BitpowrAPI: ProviderAPI {
    /// The rate limit is not documented (only that throttling answers 429): 60/min is Hookway's guess.
    public static let descriptor = APIDescriptor(
        defaultBaseURL: "https://developers.bitpowr.com/api/v1",
        requiredCredentials: ["publicKey", "secretKey"],
        defaultRateLimitPerMinute: 60,
        paths: ["transaction": "/transactions/{id}", "transactions": "/transactions"],
        settings: ["backfillEvent": false]
    )
    /// The webhook event name a recovered transaction gets (its id depends on it); Bitpowr
    /// sends one transaction under `transaction.*` and `transaction.deposit.*` names alike, so
    /// this is configurable (`api.settings.backfillEvent`, `{status}` and `{type}` lower-case).
    static let defaultBackfillEvent = "transaction.{status}"

    let connection: APIConnection

    public init(settings: APISettings) {
        connection = APIConnection(provider: BitpowrProvider.name, settings: settings)
    }

    var authorization: (String, String) {
        let token = DigestCoding.base64String(Array("\(connection.credential("publicKey")):\(connection.credential("secretKey"))".utf8))
        return ("Authorization", "Bearer \(token)")
    }

    public func fetch(_ event: Event) async throws(APIError) -> APIEntity? {
        guard let entity = event.data.entity else {
            throw APIError(code: .apiUnsupported, "the event names no Bitpowr transaction uid", retriable: false)
        }
        let what = "GET transaction \(entity.id)"
        let path = try connection.path("transaction", default: Self.descriptor.paths["transaction"] ?? "", ["id": entity.id])
        let response = try await connection.send(APIRequest(method: .GET, pathAndQuery: path, headers: [authorization]), what: what)
        if response.isNotFound { return nil }
        try response.requireSuccess(what)
        // The docs show `data` as an object; a live-looking example returns a one-element list.
        switch try response.json(what)["data"] {
        case .object(let members)?: return Self.entity(.object(members), kind: entity.kind)
        case .array(let items)?: return items.first.flatMap { Self.entity($0, kind: entity.kind) }
        default: return nil
        }
    }

    public func list(cursor: String?) async throws(APIError) -> APIPage {
        let page = cursor.flatMap(Int.init) ?? 1
        let path = connection.path("transactions", default: Self.descriptor.paths["transactions"] ?? "") + "?page=\(page)&perPage=50&orderBy=desc"
        let response = try await connection.send(APIRequest(method: .GET, pathAndQuery: path, headers: [authorization]), what: "GET transactions")
        try response.requireSuccess("GET transactions")
        let json = try response.json("GET transactions")
        guard case .array(let items)? = json["data"] else {
            throw APIError(code: .apiResponseInvalid, "GET transactions: no data list in Bitpowr's answer", retriable: false)
        }
        let total = json["totalPages"].flatMap { $0.stringValue ?? ($0.numberLiteral) }.flatMap(Int.init) ?? page
        return APIPage(
            entities: items.compactMap { Self.entity($0, kind: "transaction") },
            next: page < total && !items.isEmpty ? String(page + 1) : nil
        )
    }

    public func event(for entity: APIEntity, source: SourceConfig, at now: Timestamp) -> Event? {
        guard let status = entity.status else { return nil }
        let type = Payload.status(entity.raw, "type") ?? "transaction"
        let name = (connection.settings.settings["backfillEvent"] ?? Self.defaultBackfillEvent)
            .replacingOccurrences(of: "{status}", with: status).replacingOccurrences(of: "{type}", with: type)
        let body = JSONValue.object([JSONMember("event", .string(name)), JSONMember("data", entity.raw)])
        return try? BitpowrAdapter.event(
            payload: body,
            origin: WebhookOrigin(raw: JSONWriter.encode(body), source: source, authMethod: .api, receivedAt: now)
        )  // nil: not a webhook-shaped record
    }

    /// Its webhooks carry the amount (PROVIDERS.md): an event without one is not confirmed.
    public var webhooksCarryAmount: Bool { true }

    public func shutdown() async { await connection.shutdown() }

    static func entity(_ record: JSONValue, kind: String) -> APIEntity? {
        guard let id = Payload.identifier(record["uid"]) ?? Payload.identifier(record["id"]) else { return nil }
        return APIEntity(
            kind: kind,
            id: id,
            status: Payload.status(record, "status"),
            amount: ExactDecimal.amountText(from: record["amount"]),
            currency: Payload.string(record, "assetType"),
            createdAt: Payload.string(record, "createdAt").flatMap { Timestamp(rfc3339: $0) },
            raw: record
        )
    }
}
