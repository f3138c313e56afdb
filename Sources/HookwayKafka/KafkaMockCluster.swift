import CRdKafka

/// librdkafka's in-process mock cluster (`rdkafka_mock.h`), for deterministic fault tests:
/// injected request errors, brokers going down, leader moves.
///
/// ```swift
/// let cluster = try KafkaMockCluster(brokers: 3)
/// cluster.createTopic("payments", partitions: 3, replicationFactor: 3)
/// cluster.pushRequestErrors(apiKey: 0, errors: [6, 7])   // Produce: NOT_LEADER, REQUEST_TIMED_OUT
/// let producer = try KafkaProducer(
///     configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
/// ```
public final class KafkaMockCluster: Sendable {
    private let host: MockClusterHost

    /// Starts a mock cluster with `brokers` brokers listening on loopback ports.
    public init(brokers: Int32 = 3) throws(KafkaError) {
        host = try MockClusterHost(brokers: brokers)
    }

    /// The cluster's `bootstrap.servers`.
    public var bootstrapServers: String {
        String(cString: rd_kafka_mock_cluster_bootstraps(host.cluster))
    }

    /// Makes the next requests of `apiKey` (0 = Produce, 1 = Fetch, 8 = OffsetCommit, ...) fail
    /// with the given Kafka error codes, one per request, in order.
    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeBufferPointer {
            rd_kafka_mock_push_request_errors_array(host.cluster, apiKey, $0.count, $0.baseAddress)
        }
    }

    /// Takes a broker down: its connections are closed and new ones refused.
    public func setBrokerDown(_ id: Int32) {
        rd_kafka_mock_broker_set_down(host.cluster, id)
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ id: Int32) {
        rd_kafka_mock_broker_set_up(host.cluster, id)
    }

    /// Moves a partition's leadership to `broker`.
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32) {
        rd_kafka_mock_partition_set_leader(host.cluster, topic, partition, broker)
    }

    /// Creates a topic.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int32) {
        rd_kafka_mock_topic_create(host.cluster, name, partitions, replicationFactor)
    }

    /// Sets the delay before the first rebalance of a new group (librdkafka's default is 3 s).
    public func setGroupInitialRebalanceDelay(_ delay: Duration) {
        rd_kafka_mock_group_initial_rebalance_delay_ms(host.cluster, delay.wholeMilliseconds)
    }
}

/// Owns the mock cluster and the client that hosts it (librdkafka ties a mock cluster to an
/// `rd_kafka_t`), and destroys both, cluster first.
///
/// `@unchecked Sendable`: both pointers are immutable; the `rd_kafka_mock_*` setters post
/// operations to the cluster's own thread under its lock, so they are safe from any thread.
private final class MockClusterHost: @unchecked Sendable {
    let client: OpaquePointer
    let cluster: OpaquePointer

    init(brokers: Int32) throws(KafkaError) {
        let conf = try RdKafkaConfiguration.make([])
        rd_kafka_conf_set_log_cb(conf, silentLogCallback)
        client = try RdKafkaConfiguration.makeClient(RD_KAFKA_PRODUCER, conf: conf)
        guard let cluster = rd_kafka_mock_cluster_new(client, brokers) else {
            rd_kafka_destroy(client)
            throw KafkaError(code: .creation, message: "rd_kafka_mock_cluster_new failed")
        }
        self.cluster = cluster
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(client)
    }
}
