public import HookwayCore

/// One thing the `index` sink writes: an outcome (from `kafka.outcomeTopic`), or an event read
/// from one of its topics (a CloudEvent: its attributes and where it sits).
public enum IndexRecord: Sendable, Hashable {
    case outcome(Outcome)
    case event(id: String, summary: Outcome.Summary, position: Outcome.Position?)
}

/// An indexed event: its attributes and the topics it was published to.
public struct IndexedEvent: Sendable, Hashable {
    public var id: String
    public var summary: Outcome.Summary
    public var topics: [Outcome.Position]
    /// Each sink's latest outcome (`hookway events`), by sink name.
    public var latest: [String: Outcome.Kind] = [:]
}

/// What `hookway events` asks the index.
public struct IndexQuery: Sendable {
    public var subject: String?
    public var source: String?
    /// A glob over the type (`bitso.*`).
    public var type: Glob?
    /// `receivedat` bounds, as milliseconds since the epoch.
    public var since: Int64?
    public var until: Int64?
    public var status: String?
    public var limit: Int = 50

    public init() {}

    /// The type glob as a SQL `LIKE` pattern (escaping `%` and `_` with `\`).
    var typePattern: String? {
        type.map { glob in
            var out = ""
            for c in glob.pattern {
                switch c {
                case "*": out += "%"
                case "?": out += "_"
                case "%", "_", "\\": out += "\\\(c)"
                default: out.append(c)
                }
            }
            return out
        }
    }
}

/// An index database: SQLite (`make run`) or PostgreSQL (production).
public protocol IndexStore: Sendable {
    /// Writes a batch in one transaction; a record written before (a redelivery) changes nothing.
    func write(_ records: [IndexRecord]) async throws
    /// One event and its outcomes, oldest first; `nil` when the index has never seen the id.
    func trace(_ eventID: String) async throws -> (event: IndexedEvent?, outcomes: [Outcome])?
    /// Events matching `query`, newest first, with each sink's latest outcome.
    func search(_ query: IndexQuery) async throws -> [IndexedEvent]
    /// Deletes events received before `cutoff` (ms since the epoch) with their outcomes;
    /// returns how many events went.
    func purge(receivedBefore cutoff: Int64) async throws -> Int
    /// Background work (PostgreSQL's client), in the runner's scope.
    func run() async
    func close() async
}

extension IndexStore {
    public func run() async {}
}
