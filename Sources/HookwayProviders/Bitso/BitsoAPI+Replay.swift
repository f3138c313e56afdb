public import HookwayCore

/// Bitso's webhook retry API (PROVIDER-APIS.md §1.4): events are kept 60 days; a request names
/// `from_date` and `to_date` at most 3 days apart (not in the future), one `event` type, and
/// `delivered` (false: the failed ones). Preview counts the matching events, Execute schedules
/// each for one more delivery (202 with the number queued; not immediate).
extension BitsoAPI {
    /// Bitso keeps webhook events this long.
    static let retention: Int64 = 60 * 86_400_000
    /// The longest window one request may name.
    static let maxWindow: Int64 = 3 * 86_400_000
    /// The event types asked for unless `api.settings.replayEvents` lists others (comma-separated):
    /// the kinds Hookway confirms and backfills.
    static let defaultReplayEvents = ["funding", "withdrawal"]

    public func replay(from: Timestamp, to: Timestamp, dryRun: Bool) async throws(APIError) -> [ReplayRequest] {
        let events =
            connection.settings.settings["replayEvents"].map {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } ?? Self.defaultReplayEvents
        var out: [ReplayRequest] = []
        for window in Self.windows(from: from, to: to) {
            for event in events {
                out.append(try await replay(event: event, window: window, dryRun: dryRun))
            }
        }
        return out
    }

    /// `from`…`to` cut into windows Bitso accepts: within the retention (a minute of margin, so
    /// a request in flight is not refused as too old) and at most 3 days each, oldest first.
    static func windows(from: Timestamp, to: Timestamp) -> [(from: Timestamp, to: Timestamp)] {
        let end = to.millisecondsSinceEpoch
        var start = max(from.millisecondsSinceEpoch, end - retention + 60_000)
        var out: [(Timestamp, Timestamp)] = []
        while start < end {
            let stop = min(start + maxWindow, end)
            out.append((Timestamp(millisecondsSinceEpoch: start), Timestamp(millisecondsSinceEpoch: stop)))
            start = stop
        }
        return out
    }

    func replay(event: String, window: (from: Timestamp, to: Timestamp), dryRun: Bool) async throws(APIError) -> ReplayRequest {
        let what = "\(event) \(window.from.rfc3339) … \(window.to.rfc3339)"
        let body = JSONWriter.encode(
            .object([
                JSONMember("from_date", .string(window.from.rfc3339)),
                JSONMember("to_date", .string(window.to.rfc3339)),
                JSONMember("event", .string(event)),
                JSONMember("delivered", .bool(false)),
            ])
        )
        let preview = try await send(
            connection.path("retryPreview", default: Self.descriptor.paths["retryPreview"] ?? ""),
            method: "POST",
            body: body,
            what: "preview webhook retry (\(what))"
        )
        if preview.isNotFound {
            throw APIError(
                code: .apiRejected,
                "preview webhook retry: HTTP 404 at \(connection.path("retryPreview", default: Self.descriptor.paths["retryPreview"] ?? "")); Bitso's public pages do not give the retry API's paths, so set api.paths.retryPreview and api.paths.retryExecute from your Bitso API reference",
                retriable: false
            )
        }
        try preview.requireSuccess("preview webhook retry (\(what))")
        let matching = try Self.count(preview, what: "preview webhook retry (\(what))")
        if dryRun { return ReplayRequest(what: what, matching: matching) }
        if matching == 0 { return ReplayRequest(what: what, matching: 0, skipped: "nothing undelivered") }
        let execute = try await send(
            connection.path("retryExecute", default: Self.descriptor.paths["retryExecute"] ?? ""),
            method: "POST",
            body: body,
            what: "execute webhook retry (\(what))"
        )
        try execute.requireSuccess("execute webhook retry (\(what))")
        return ReplayRequest(what: what, matching: matching, scheduled: try Self.count(execute, what: "execute webhook retry (\(what))") ?? matching)
    }

    /// The number in a retry answer (`{"success": true, "payload": {"count": 3}}`; the field's
    /// name is not in the public pages, so the usual ones are read), or `nil` when none is there.
    static func count(_ response: APIResponse, what: String) throws(APIError) -> Int? {
        let json = try response.json(what)
        if case .bool(false)? = json["success"] {
            throw APIError(code: .apiRejected, "\(what): Bitso answered success=false\(APIConnection.snippet(response.body))", retriable: false)
        }
        return json.firstCount(["count", "total", "matched", "scheduled", "queued", "events"])
    }
}
