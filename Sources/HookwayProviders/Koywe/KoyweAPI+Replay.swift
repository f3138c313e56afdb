public import HookwayCore

/// Koywe's webhook events (Payments API reference, organization webhooks): list an
/// organization's events by time (`from`, `to`, `merchantId`, `page`, `limit`), read each one's
/// deliveries (`deliveryStatus`, `lastStatusCode`, …), and replay one event to one endpoint
/// (`endpointId`) or, without it, to every active endpoint of the organization.
///
/// An event is asked again only when none of its deliveries succeeded: Hookway answers 2xx
/// only once an event is durable, so a delivered event is already in Kafka.
extension KoyweAPI {
    /// Events read per page, and the most pages one run reads.
    static let eventsPerPage = 100
    static let maxEventPages = 50

    public func replay(from: Timestamp, to: Timestamp, dryRun: Bool) async throws(APIError) -> [ReplayRequest] {
        var out: [ReplayRequest] = []
        for event in try await webhookEvents(from: from, to: to) {
            let what = "webhook event \(event.id)\(event.type.map { " (\($0))" } ?? "")"
            if try await delivered(event.id) {
                out.append(ReplayRequest(what: what, matching: 0, skipped: "delivered"))
                continue
            }
            if dryRun {
                out.append(ReplayRequest(what: what, matching: 1))
                continue
            }
            var members: [JSONMember] = []
            if let endpoint = connection.settings.settings["replayEndpointId"] { members.append(JSONMember("endpointId", .string(endpoint))) }
            let path = try connection.path("webhookReplay", default: Self.descriptor.paths["webhookReplay"] ?? "", ["id": event.id])
            let response = try await authorized(path, method: .POST, body: JSONWriter.encode(.object(members)), what: "replay \(what)")
            try response.requireSuccess("replay \(what)")
            out.append(ReplayRequest(what: what, matching: 1, scheduled: 1))
        }
        return out
    }

    /// The organization's webhook events created in `from`…`to`, for this merchant.
    func webhookEvents(from: Timestamp, to: Timestamp) async throws(APIError) -> [(id: String, type: String?)] {
        var out: [(String, String?)] = []
        for page in 1...Self.maxEventPages {
            var query = "?from=\(APIConnection.percentEncoded(from.rfc3339))&to=\(APIConnection.percentEncoded(to.rfc3339))"
            if let merchant = connection.settings.settings["merchantId"] { query += "&merchantId=\(APIConnection.percentEncoded(merchant))" }
            query += "&page=\(page)&limit=\(Self.eventsPerPage)"
            let path = connection.path("webhookEvents", default: Self.descriptor.paths["webhookEvents"] ?? "") + query
            let response = try await authorized(path, what: "GET webhook events")
            try response.requireSuccess("GET webhook events")
            let items = try Self.list(try response.json("GET webhook events"), what: "GET webhook events")
            for item in items {
                guard let id = Payload.identifier(item["id"]) ?? Payload.identifier(item["eventId"]) else { continue }
                out.append((id, Payload.string(item, "type")))
            }
            if items.count < Self.eventsPerPage { break }
        }
        return out
    }

    /// Whether any delivery of the event reached an endpoint (a 2xx, or a delivered status).
    func delivered(_ eventID: String) async throws(APIError) -> Bool {
        let path = try connection.path("webhookDeliveries", default: Self.descriptor.paths["webhookDeliveries"] ?? "", ["id": eventID])
        let response = try await authorized(path, what: "GET deliveries of webhook event \(eventID)")
        if response.isNotFound { return false }
        try response.requireSuccess("GET deliveries of webhook event \(eventID)")
        let deliveries = try Self.list(try response.json("GET deliveries"), what: "GET deliveries of webhook event \(eventID)")
        return deliveries.contains { delivery in
            if let code = delivery["lastStatusCode"]?.numberLiteral.flatMap(Int.init), (200..<300).contains(code) { return true }
            let status = Payload.string(delivery, "deliveryStatus")?.lowercased() ?? ""
            return ["delivered", "succeeded", "success", "sent"].contains(status)
        }
    }

    /// A list answer: a bare array, or one under `data`, `items`, `events` or `deliveries`.
    static func list(_ json: JSONValue, what: String) throws(APIError) -> [JSONValue] {
        if case .array(let items) = json { return items }
        for name in ["data", "items", "events", "webhookEvents", "deliveries"] {
            if case .array(let items)? = json[name] { return items }
        }
        throw APIError(
            code: .apiResponseInvalid,
            "\(what): no list in Koywe's answer\(APIConnection.snippet(JSONWriter.encode(json)))",
            retriable: false
        )
    }
}
