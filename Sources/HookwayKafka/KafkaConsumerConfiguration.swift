/// How a ``KafkaConsumer`` joins its group and buffers messages.
///
/// Offsets are only ever committed explicitly (``KafkaConsumer/commit(_:)``):
/// `enable.auto.commit` and `enable.auto.offset.store` are forced to `false`.
///
/// ```swift
/// var configuration = KafkaConsumerConfiguration(
///     bootstrapServers: "kafka-1:9092", groupID: "email-sink", topics: ["payments"])
/// configuration.sessionTimeout = .seconds(6)
/// ```
public struct KafkaConsumerConfiguration: Sendable {
    /// Comma-separated `host:port` list (`bootstrap.servers`).
    public var bootstrapServers: String
    /// The consumer group (`group.id`).
    public var groupID: String
    /// The topics to subscribe to.
    public var topics: [String]
    /// How long the group waits for a silent member before reassigning its partitions
    /// (`session.timeout.ms`).
    public var sessionTimeout: Duration = .seconds(10)
    /// Where to start when the group has no committed offset: `earliest` or `latest`
    /// (`auto.offset.reset`).
    public var autoOffsetReset: String = "earliest"
    /// The high-water mark of the buffer between librdkafka and the async sequence; at this many
    /// unread messages the consumer pauses fetching until the buffer has drained to half.
    public var maxBufferedMessages: Int = 1000
    /// Any other librdkafka property, applied after the typed fields above.
    public var properties: [String: String] = [:]
    /// Called when partitions are taken from this member (a rebalance, or leaving the group),
    /// after they are forgotten: no more of their messages are handed out and their offsets are
    /// not committed. Called on the consumer's poll thread: it must return quickly.
    public var onRevoke: (@Sendable ([TopicPartition]) -> Void)?
    /// Where to start reading partitions when they are assigned, instead of the group's
    /// committed offsets (a replay of a time range); partitions not named start as usual.
    public var startOffsets: [TopicPartition: Int64] = [:]

    /// Creates a configuration with Hookway's defaults.
    public init(bootstrapServers: String, groupID: String, topics: [String]) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.topics = topics
    }

    /// Manual commits only: Hookway commits after the sink has done its work.
    static let enforced: [(key: String, value: String)] = [
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
    ]

    /// The librdkafka properties, in the order they are applied.
    var rdKafkaProperties: [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupID),
            ("session.timeout.ms", String(sessionTimeout.wholeMilliseconds)),
            ("auto.offset.reset", autoOffsetReset),
            ("enable.partition.eof", "false"),
        ]
        pairs += properties.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        pairs += Self.enforced
        return pairs
    }
}
