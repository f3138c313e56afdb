public import HookwayCore
import Metrics
import NIOConcurrencyHelpers

/// Bounds the topics an authenticated sender can make the ingress create: a topic template
/// such as `webhooks.{provider}.{event}` yields a new topic for every new event name in a
/// payload, and every topic is a Kafka topic plus metric series. Topics the routes file names
/// outright always pass; templated ones are admitted until `kafka.topics.maxAutoCreated` of them
/// are known, after which an event whose template yields a new one goes to the unrouted topic
/// instead (`hookway_topics_refused_total`, a warning).
public final class TopicAdmission: Sendable {
    private let admitted = NIOLockedValueBox<Set<String>>([])
    private static let refusedCounter = Counter(label: "hookway_topics_refused_total")

    public init() {}

    /// What to publish to instead of `topics`, and the topics refused (empty when all pass).
    public func admit(_ topics: [String], table: RouteTable, limit: Int) -> (topics: [String], refused: [String]) {
        var refused: [String] = []
        var kept: [String] = []
        admitted.withLockedValue { admitted in
            for topic in topics {
                if table.literalTopics.contains(topic) || admitted.contains(topic) {
                    kept.append(topic)
                } else if admitted.count < limit {
                    admitted.insert(topic)
                    kept.append(topic)
                } else {
                    refused.append(topic)
                }
            }
        }
        guard !refused.isEmpty else { return (topics, []) }
        Self.refusedCounter.increment(by: refused.count)
        if !kept.contains(table.unroutedTopic) { kept.append(table.unroutedTopic) }
        return (kept, refused)
    }

    /// Templated topics admitted so far.
    public var admittedCount: Int { admitted.withLockedValue { $0.count } }
}
