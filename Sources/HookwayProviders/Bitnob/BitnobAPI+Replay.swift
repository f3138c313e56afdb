public import HookwayCore

/// Bitnob's delivery Events API (its newer "wallet infrastructure" docs, PROVIDER-APIS.md §2.4):
/// an event is one webhook delivery, listed per webhook (`webhook_id`) with its
/// `delivery_status` (`success`, `failed`, `retrying`) and `created_at`; Retry Event Delivery
/// re-sends a failed one as a fresh attempt. `api.settings.webhookId` names the webhook; the
/// paths are configurable (`api.paths.webhookEvents`, `webhookEventRetry`) because the stored
/// pages do not give them.
///
/// Only `failed` events in the window are asked again: a `success` one is in Kafka already
/// (Hookway answers 2xx only once an event is durable), a `retrying` one is still on its way.
extension BitnobAPI {
    /// Events read per page, and the most pages one run reads.
    static let eventsPerPage = 100
    static let maxEventPages = 50

    public func replay(from: Timestamp, to: Timestamp, dryRun: Bool) async throws(APIError) -> [ReplayRequest] {
        guard let webhook = connection.settings.settings["webhookId"], !webhook.isEmpty else {
            throw APIError(
                code: .apiUnsupported,
                "set api.settings.webhookId to the Bitnob webhook whose failed deliveries to ask again",
                retriable: false
            )
        }
        var out: [ReplayRequest] = []
        for event in try await deliveryEvents(webhook: webhook) {
            guard let created = event.createdAt, created >= from, created <= to else { continue }
            let what = "delivery event \(event.id)\(event.type.map { " (\($0))" } ?? "")"
            guard event.status == "failed" else {
                out.append(ReplayRequest(what: what, matching: 0, skipped: event.status.isEmpty ? "no delivery_status" : event.status))
                continue
            }
            if dryRun {
                out.append(ReplayRequest(what: what, matching: 1))
                continue
            }
            let path =
                try connection.path("webhookEventRetry", default: Self.descriptor.paths["webhookEventRetry"] ?? "", ["id": event.id])
                + "?webhook_id=\(APIConnection.percentEncoded(webhook))"
            let response = try await send(path, method: .POST, body: Array("{}".utf8), what: "retry \(what)")
            try response.requireSuccess("retry \(what)")
            out.append(ReplayRequest(what: what, matching: 1, scheduled: 1))
        }
        return out
    }

    /// The webhook's delivery events, newest first as Bitnob lists them.
    func deliveryEvents(webhook: String) async throws(APIError) -> [(id: String, type: String?, status: String, createdAt: Timestamp?)] {
        var out: [(String, String?, String, Timestamp?)] = []
        for page in 1...Self.maxEventPages {
            let path =
                connection.path("webhookEvents", default: Self.descriptor.paths["webhookEvents"] ?? "")
                + "?webhook_id=\(APIConnection.percentEncoded(webhook))&page=\(page)&limit=\(Self.eventsPerPage)"
            let response = try await get(path, what: "GET webhook delivery events")
            try response.requireSuccess("GET webhook delivery events")
            let json = try response.json("GET webhook delivery events")
            let items: [JSONValue]
            if case .array(let list)? = json["data"] {
                items = list
            } else if case .array(let list)? = json["data"]?["events"] {
                items = list
            } else if case .array(let list) = json {
                items = list
            } else {
                throw APIError(code: .apiResponseInvalid, "GET webhook delivery events: no list in Bitnob's answer", retriable: false)
            }
            for item in items {
                guard let id = Payload.identifier(item["id"]) else { continue }
                out.append(
                    (
                        id, Payload.string(item, "type"), Payload.string(item, "delivery_status")?.lowercased() ?? "",
                        Payload.string(item, "created_at").flatMap { Timestamp(rfc3339: $0) }
                    )
                )
            }
            if items.count < Self.eventsPerPage { break }
        }
        return out
    }
}
