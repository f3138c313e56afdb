import CRdKafka

/// Topic administration and cluster probes. Each call uses a short-lived client on a thread of
/// its own, so it never blocks the caller's executor.
///
/// ```swift
/// let admin = KafkaAdmin(bootstrapServers: "localhost:9092")
/// try await admin.createTopics(["payments"], partitions: 6, replicationFactor: 3, timeout: .seconds(10))
/// ```
public struct KafkaAdmin: Sendable {
    /// Comma-separated `host:port` list.
    public var bootstrapServers: String
    /// Extra librdkafka properties for the admin client (security settings, ...).
    public var properties: [String: String]

    /// Creates an admin for the given cluster.
    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
    }

    /// Creates the topics; a topic that already exists counts as created (idempotent).
    ///
    /// - Throws: the first per-topic error other than `TOPIC_ALREADY_EXISTS`, or `_TIMED_OUT`.
    public func createTopics(
        _ names: [String], partitions: Int32, replicationFactor: Int16, timeout: Duration
    ) async throws(KafkaError) {
        guard !names.isEmpty else { return }
        let configuration = self
        try await DedicatedThread.run(name: "hookway.kafka.admin") {
            Result { () throws(KafkaError) in
                try configuration.withClient { rk throws(KafkaError) in
                    try AdminOperations.createTopics(
                        rk, names: names, partitions: partitions,
                        replicationFactor: Int32(replicationFactor), timeout: timeout)
                }
            }
        }.get()
    }

    /// Fetches the cluster's brokers and topics.
    public func metadata(timeout: Duration) async throws(KafkaError) -> ClusterMetadata {
        let configuration = self
        return try await DedicatedThread.run(name: "hookway.kafka.admin") {
            Result { () throws(KafkaError) in
                try configuration.withClient { rk throws(KafkaError) in
                    try AdminOperations.metadata(rk, timeout: timeout)
                }
            }
        }.get()
    }

    /// Whether a broker answers a metadata request within `timeout`.
    public func isReachable(timeout: Duration) async -> Bool {
        do {
            _ = try await metadata(timeout: timeout)
            return true
        } catch {
            return false
        }
    }

    private func withClient<Value>(_ body: (OpaquePointer) throws(KafkaError) -> Value) throws(KafkaError) -> Value {
        var pairs: [(key: String, value: String)] = [("bootstrap.servers", bootstrapServers)]
        pairs += properties.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        let conf = try RdKafkaConfiguration.make(pairs)
        rd_kafka_conf_set_log_cb(conf, silentLogCallback)
        let rk = try RdKafkaConfiguration.makeClient(RD_KAFKA_PRODUCER, conf: conf)
        defer { rd_kafka_destroy(rk) }
        return try body(rk)
    }
}
