import HookwayCore

/// One ask to a provider to deliver webhooks again (`hookway reconcile --replay`), or in a
/// dry run what the ask would cover.
public struct ReplayRequest: Sendable, Hashable {
    /// What was asked, as an operator reads it: `funding 2026-11-29T10:00:00Z … 2026-12-02T10:00:00Z`,
    /// `webhook event evt_1 (order.completed)`.
    public var what: String
    /// Webhooks the provider says match and were not delivered, when it tells.
    public var matching: Int?
    /// Webhooks the provider scheduled for another delivery; `nil` in a dry run or when nothing was asked.
    public var scheduled: Int?
    /// Why nothing was asked (`delivered`, `nothing undelivered`).
    public var skipped: String?

    public init(what: String, matching: Int? = nil, scheduled: Int? = nil, skipped: String? = nil) {
        self.what = what
        self.matching = matching
        self.scheduled = scheduled
        self.skipped = skipped
    }
}

extension JSONValue {
    /// The first non-negative integer among `names` in this object (or in its `payload`/`data`
    /// member), or this value itself when it is one: the replay APIs' answers are documented
    /// by meaning ("the number of events queued"), not by field name.
    func firstCount(_ names: [String]) -> Int? {
        // Capped: the counts are summed over requests, and the provider chooses them.
        if let n = numberLiteral.flatMap(Int.init), n >= 0 { return min(n, 1 << 40) }
        for name in names {
            if let n = self[name]?.numberLiteral.flatMap(Int.init), n >= 0 { return min(n, 1 << 40) }
        }
        for wrapper in ["payload", "data"] {
            if let inner = self[wrapper], let n = inner.firstCount(names) { return n }
        }
        return nil
    }
}
