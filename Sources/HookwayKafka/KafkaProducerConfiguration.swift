/// How a ``KafkaProducer`` connects and batches.
///
/// Hookway's durability promise rests on two settings this type owns and `properties` cannot
/// override: `enable.idempotence=true` and `acks=all`.
///
/// ```swift
/// var configuration = KafkaProducerConfiguration(bootstrapServers: "kafka-1:9092,kafka-2:9092")
/// configuration.messageTimeout = .seconds(10)
/// configuration.properties["compression.type"] = "zstd"
/// ```
public struct KafkaProducerConfiguration: Sendable {
    /// Comma-separated `host:port` list (`bootstrap.servers`).
    public var bootstrapServers: String
    /// How long librdkafka keeps retrying a message before its send fails (`message.timeout.ms`).
    public var messageTimeout: Duration = .seconds(30)
    /// How long to wait for more messages before sending a batch (`linger.ms`).
    public var linger: Duration = .milliseconds(5)
    /// The client id sent to brokers (`client.id`).
    public var clientID: String = "hookway"
    /// Any other librdkafka property, applied after the typed fields above (so it wins over them),
    /// but before the enforced `enable.idempotence` and `acks`.
    public var properties: [String: String] = [:]

    /// Creates a configuration with Hookway's defaults.
    public init(bootstrapServers: String) {
        self.bootstrapServers = bootstrapServers
    }

    /// Settings that make "delivered" mean "durable"; applied last.
    static let enforced: [(key: String, value: String)] = [
        ("enable.idempotence", "true"),
        ("acks", "all"),
    ]

    /// The librdkafka properties, in the order they are applied.
    var rdKafkaProperties: [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("client.id", clientID),
            ("message.timeout.ms", String(messageTimeout.wholeMilliseconds)),
            ("linger.ms", String(linger.wholeMilliseconds)),
        ]
        pairs += properties.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        pairs += Self.enforced
        return pairs
    }

    /// Pass-through properties that tried to change an enforced setting (they are ignored).
    var overriddenEnforcedProperties: [String] {
        Self.enforced.compactMap { enforced in
            guard let value = properties[enforced.key], value != enforced.value else { return nil }
            return "\(enforced.key)=\(value)"
        }
    }
}
