import ArgumentParser
import HookwayCore
import HookwaySinks

/// `hookway trace EVENT_ID`: one event's journey from the index, oldest first.
struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one event's journey: received (when, how, which topics), every sink's outcomes, dead letters, replays."
    )

    @Argument(help: "The CloudEvent id.") var eventID: String
    @OptionGroup var config: ConfigOption
    @OptionGroup var index: IndexOption
    @Flag(help: "JSON output for machines.") var json = false

    func run() async throws {
        let routes = try config.load()
        let id = eventID
        let found = try await index.withStore(routes, path: config.path, command: "trace") { try await $0.trace(id) }
        guard let (event, outcomes) = found else {
            printError(
                "hookway trace: the index has no event \"\(LogSafe.text(eventID, limit: 200))\" (not received, not indexed yet, or past retention)"
            )
            throw ExitCode(1)
        }
        if json {
            var members: [JSONMember] = [JSONMember("id", .string(eventID))]
            members.append(JSONMember("event", event.map(EventLine.json) ?? .null))
            members.append(
                JSONMember(
                    "outcomes",
                    .array(
                        outcomes.map { outcome in
                            var outcome = outcome
                            if outcome.kind == .received, outcome.topics.isEmpty, let event { outcome.topics = event.topics }
                            return outcome.json
                        }
                    )
                )
            )
            print(JSONValue.object(members).jsonText)
            return
        }
        if let event {
            print(EventLine.header(event))
        } else {
            print("\(eventID)  (its received outcome is not indexed: only sink outcomes are known)")
        }
        for var outcome in outcomes {
            // The index keeps where the event went with the event, not with its `received`.
            if outcome.kind == .received, outcome.topics.isEmpty, let event { outcome.topics = event.topics }
            print(Self.line(outcome))
        }
    }

    /// One outcome, as a line: time, who, what, and the details that matter.
    static func line(_ o: Outcome) -> String {
        var parts = [o.at, pad(o.sink ?? "ingress", 10), pad(o.kind.rawValue, 13)]
        var details: [String] = []
        if !o.topics.isEmpty { details.append("→ " + o.topics.map(EventLine.position).joined(separator: ", ")) }
        if o.attempt > 0 { details.append("attempt \(o.attempt)") }
        if let result = o.result { details.append(result) }
        if let code = o.code { details.append("\(code): \(LogSafe.text(o.message ?? "", limit: 160))") }
        if let dlq = o.deadLetter { details.append("→ \(EventLine.position(dlq))") }
        if o.replay { details.append("(replay)") }
        parts.append(details.joined(separator: "  "))
        return parts.joined(separator: "  ")
    }
}

/// How `trace` and `events` show an indexed event.
enum EventLine {
    static func header(_ e: IndexedEvent) -> String {
        var parts = [e.id, e.summary.type]
        if let subject = e.summary.subject { parts.append("subject \(subject)") }
        if let amount = e.summary.amount { parts.append([amount, e.summary.currency].compactMap { $0 }.joined(separator: " ")) }
        if let status = e.summary.status { parts.append("status \(status)") }
        parts.append("received \(e.summary.receivedAt) (\(e.summary.authMethod))")
        return parts.joined(separator: "  ")
    }

    static func position(_ p: Outcome.Position) -> String { "\(p.topic)[\(p.partition)]@\(p.offset)" }

    static func json(_ e: IndexedEvent) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("id", .string(e.id)), JSONMember("source", .string(e.summary.source)), JSONMember("type", .string(e.summary.type)),
        ]
        if let subject = e.summary.subject { members.append(JSONMember("subject", .string(subject))) }
        members += [
            JSONMember("time", .string(e.summary.time)), JSONMember("receivedat", .string(e.summary.receivedAt)),
            JSONMember("authmethod", .string(e.summary.authMethod)),
        ]
        if let amount = e.summary.amount { members.append(JSONMember("amount", .string(amount))) }
        if let currency = e.summary.currency { members.append(JSONMember("currency", .string(currency))) }
        if let status = e.summary.status { members.append(JSONMember("status", .string(status))) }
        members.append(
            JSONMember(
                "topics",
                .array(
                    e.topics.map {
                        .object([
                            JSONMember("topic", .string($0.topic)), JSONMember("partition", .number(String($0.partition))),
                            JSONMember("offset", .number(String($0.offset))),
                        ])
                    }
                )
            )
        )
        if !e.latest.isEmpty {
            members.append(JSONMember("sinks", .object(e.latest.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value.rawValue)) })))
        }
        return .object(members)
    }
}

func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
