import ArgumentParser
import HookwayCore
import HookwaySinks

/// `hookway events`: search the index, newest first, one line per event with each sink's
/// latest outcome.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search indexed events, newest first, with each sink's latest outcome.")

    @OptionGroup var config: ConfigOption
    @OptionGroup var index: IndexOption
    @Option(help: "Only events about this subject (a funding id, a reference).") var subject: String?
    @Option(help: "Only events of this source (bitso, or /webhooks/bitso).") var source: String?
    @Option(help: "Only types matching this glob, e.g. 'bitso.funding.*'.") var type: String?
    @Option(help: "Received at or after (RFC 3339, or 30m / 6h / 7d ago).") var since: String?
    @Option(help: "Received before (RFC 3339, or 30m / 6h / 7d ago).") var until: String?
    @Option(
        name: .customLong("where"),
        help: #"A condition in the routes language, e.g. '{"field":"data.amount","gte":100}' (or a list of them)."#
    ) var condition: String?
    @Option(help: "Only events with this normalized status.") var status: String?
    @Option(help: "At most this many (default 50).") var limit: Int = 50
    @Flag(help: "JSON output for machines.") var json = false

    func run() async throws {
        let routes = try config.load()
        var query = IndexQuery()
        query.subject = subject
        query.source = source
        query.status = status
        query.type = try type.map { try parseGlob($0, command: "events") }
        if let since { query.since = try parseTime(since, option: "since", command: "events").millisecondsSinceEpoch }
        if let until { query.until = try parseTime(until, option: "until", command: "events").millisecondsSinceEpoch }
        guard limit > 0, limit <= 100_000 else {
            printError("hookway events: --limit must be between 1 and 100000")
            throw ExitCode(1)
        }
        let conditions = try condition.map { try parseConditions($0, command: "events") } ?? []
        // A condition is checked on the indexed attributes (no payload): fetch more, keep the matches.
        query.limit = conditions.isEmpty ? limit : min(limit * 20, 100_000)
        let frozen = query
        var found = try await index.withStore(routes, path: config.path, command: "events") { try await $0.search(frozen) }
        if let glob = query.type { found = found.filter { glob.matches($0.summary.type) } }
        if !conditions.isEmpty {
            found = found.filter { indexed in
                let event = Self.event(indexed)
                return conditions.allSatisfy { $0.isSatisfied(by: event) }
            }
        }
        found = Array(found.prefix(limit))
        if json {
            print(JSONValue.array(found.map(EventLine.json)).jsonText)
            return
        }
        if found.isEmpty {
            printError("hookway events: no indexed event matches")
            return
        }
        for e in found {
            let sinks = e.latest.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: " ")
            print("\(EventLine.header(e))  \(sinks.isEmpty ? "(no sink outcome yet)" : sinks)")
        }
    }

    /// An event with the indexed attributes, for `--where` (the payload is not indexed).
    static func event(_ e: IndexedEvent) -> Event {
        let provider = String(e.summary.type.prefix { $0 != "." })
        let name = String(e.summary.type.dropFirst(provider.count + 1))
        let source = e.summary.source.hasPrefix("/webhooks/") ? String(e.summary.source.dropFirst("/webhooks/".count)) : e.summary.source
        return Event(
            id: e.id,
            source: e.summary.source,
            type: e.summary.type,
            subject: e.summary.subject,
            time: e.summary.time,
            authMethod: AuthMethod(rawValue: e.summary.authMethod) ?? .none,
            receivedAt: e.summary.receivedAt,
            data: EventData(
                provider: provider,
                source: source,
                event: name,
                entity: e.summary.subject.map { EntityRef(kind: "", id: $0) },
                status: e.summary.status,
                amount: e.summary.amount,
                currency: e.summary.currency,
                payload: .object([])
            )
        )
    }
}
