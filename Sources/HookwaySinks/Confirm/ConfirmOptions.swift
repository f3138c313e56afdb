public import HookwayCore

/// Options of a `confirm` sink: which events to check against their provider's API, where the
/// confirmed events go, and how long a 404 is believed to be the provider's lag.
///
/// ```json
/// { "kind": "confirm", "topics": ["payments.deposits"], "outputTopic": "payments.deposits.confirmed",
///   "match": { "type": ["bitso.funding.complete"] }, "notFoundWindowMs": 300000 }
/// ```
public struct ConfirmOptions: Sendable, Hashable {
    /// Events they match are checked; others are skipped (default: every event).
    public var match: [MatchRule]
    /// Where each checked event goes, with its `confirmation` extensions.
    public var outputTopic: String
    /// The source whose `api` settings are used; default: the event's own `data.source`.
    public var source: String?
    /// A 404 is asked again until the event is this old (providers are eventually consistent),
    /// then the result is `not_found`. Default 5 minutes.
    public var notFoundWindowMs: Int = 300_000
    /// Wait between two asks after a 404. Default 15 s.
    public var notFoundIntervalMs: Int = 15_000

    public init(outputTopic: String, match: [MatchRule] = [], source: String? = nil) {
        self.outputTopic = outputTopic
        self.match = match
        self.source = source
    }

    /// Parses and validates the options of `sink` (its whole JSON object).
    public static func parse(_ sink: SinkConfig) -> (ConfirmOptions?, [ConfigProblem]) {
        var reader = ConfigReader(environment: [:], baseDirectory: sink.baseDirectory) { _ in nil }
        let options = reader.confirmOptions(sink.options, at: "$.sinks.\(sink.name)")
        return (reader.problems.isEmpty ? options : nil, reader.problems)
    }

    /// Whether `event` is one this sink checks.
    func checks(_ event: Event) -> Bool { match.isEmpty || match.contains { $0.matches(event) } }
}

extension ConfigReader {
    mutating func confirmOptions(_ value: JSONValue, at path: String) -> ConfirmOptions? {
        var options = ConfirmOptions(outputTopic: "")
        if let v = value["outputTopic"], let topic = nonEmptyString(v, at: "\(path).outputTopic") {
            if TopicTemplate.isValidTopicName(topic) {
                options.outputTopic = topic
            } else {
                error("\(path).outputTopic", "\"\(topic)\" is not a valid Kafka topic name")
            }
        } else if value["outputTopic"] == nil {
            error("\(path).outputTopic", "missing; name the topic confirmed events go to (e.g. \"payments.deposits.confirmed\")")
        }
        if let v = value["source"] { options.source = nonEmptyString(v, at: "\(path).source") }
        switch value["match"] {
        case nil: break
        case .array(let items)?: options.match = items.enumerated().map { matchRule($1, at: "\(path).match[\($0)]") }
        case let v?: options.match = [matchRule(v, at: "\(path).match")]
        }
        if let v = value["notFoundWindowMs"], let n = integer(v, at: "\(path).notFoundWindowMs", min: 0, max: 7 * 86_400_000) {
            options.notFoundWindowMs = n
        }
        if let v = value["notFoundIntervalMs"], let n = integer(v, at: "\(path).notFoundIntervalMs", min: 10, max: 3_600_000) {
            options.notFoundIntervalMs = n
        }
        return options.outputTopic.isEmpty ? nil : options
    }
}
