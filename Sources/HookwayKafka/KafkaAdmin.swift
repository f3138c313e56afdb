import CRdKafka
import NIOConcurrencyHelpers

/// Topic administration and cluster probes, over one librdkafka client and one thread per admin
/// (made on first use), so a process keeps a fixed number of clients however often it probes:
/// health checks every few seconds and timed-out publishes during an outage reuse the same
/// client instead of creating one (and its threads) each. Operations run one at a time; at most
/// ``maxPendingOperations`` wait, and concurrent ``isReachable(timeout:)`` probes share one.
///
/// ```swift
/// let admin = KafkaAdmin(bootstrapServers: "localhost:9092")
/// try await admin.createTopics(["payments"], partitions: 6, replicationFactor: 3, timeout: .seconds(10))
/// ```
public final class KafkaAdmin: Sendable {
    /// Comma-separated `host:port` list.
    public let bootstrapServers: String
    /// Extra librdkafka properties for the admin client (security settings, ...).
    public let properties: [String: String]
    /// Operations that may wait for the admin thread; more fail at once with `_QUEUE_FULL`.
    public static let maxPendingOperations = 32

    private let worker: AdminWorker
    private let probe = NIOLockedValueBox<[CheckedContinuation<Bool, Never>]?>(nil)
    private let probeFailure = NIOLockedValueBox<KafkaError?>(nil)

    /// Why the last ``isReachable(timeout:)`` probe failed (`nil` after one that succeeded), so
    /// readiness and start-up messages can say why the brokers are unreachable.
    public var lastProbeError: KafkaError? { probeFailure.withLockedValue { $0 } }

    /// Creates an admin for the given cluster; nothing connects until the first call.
    public init(bootstrapServers: String, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.properties = properties
        worker = AdminWorker(capacity: Self.maxPendingOperations) { () throws(KafkaError) in
            try Self.makeClient(bootstrapServers: bootstrapServers, properties: properties)
        }
    }

    deinit { worker.stop() }

    /// Creates the topics; a topic that already exists counts as created (idempotent).
    ///
    /// - Throws: the first per-topic error other than `TOPIC_ALREADY_EXISTS`, or `_TIMED_OUT`.
    public func createTopics(
        _ names: [String],
        partitions: Int32,
        replicationFactor: Int16,
        configs: [String: String] = [:],
        timeout: Duration
    ) async throws(KafkaError) {
        guard !names.isEmpty else { return }
        let deadline = ContinuousClock.now + timeout
        try await run { rk throws(KafkaError) in
            // The wait in the queue counts against the caller's timeout.
            let remaining = deadline - .now
            guard remaining > .milliseconds(1) else {
                throw KafkaError(code: .timedOut, message: "admin operation waited out its timeout", isRetriable: true)
            }
            try AdminOperations.createTopics(
                rk,
                names: names,
                partitions: partitions,
                replicationFactor: Int32(replicationFactor),
                configs: configs,
                timeout: remaining
            )
        }
    }

    /// Fetches the cluster's brokers and topics.
    public func metadata(timeout: Duration) async throws(KafkaError) -> ClusterMetadata {
        let deadline = ContinuousClock.now + timeout
        return try await run { rk throws(KafkaError) in
            let remaining = deadline - .now
            guard remaining > .milliseconds(1) else {
                throw KafkaError(code: .timedOut, message: "admin operation waited out its timeout", isRetriable: true)
            }
            return try AdminOperations.metadata(rk, timeout: remaining)
        }
    }

    /// Per partition of `topics`: the offsets from the first message at or after `since` (ms
    /// since the epoch) up to the first at or after `until` — or the log end as it is now.
    /// Throws ``KafkaError/Code/unknownTopic`` for a topic that does not exist.
    public func offsetRange(
        topics: [String],
        since: Int64,
        until: Int64?,
        timeout: Duration
    ) async throws(KafkaError) -> [TopicPartition: OffsetRange] {
        try await run { rk throws(KafkaError) in
            try AdminOperations.offsetRange(rk, topics: topics, since: since, until: until, timeout: timeout)
        }
    }

    /// Whether a broker answers a metadata request within `timeout`. Callers that ask while a
    /// probe is running wait for that probe's answer instead of starting another.
    public func isReachable(timeout: Duration) async -> Bool {
        let first = probe.withLockedValue { waiting -> Bool in
            if waiting == nil {
                waiting = []
                return true
            }
            return false
        }
        if !first {
            return await withCheckedContinuation { continuation in
                let queued = probe.withLockedValue { waiting -> Bool in
                    guard waiting != nil else { return false }
                    waiting?.append(continuation)
                    return true
                }
                // The probe finished in between: this caller's answer is a fresh probe.
                if !queued { Task { continuation.resume(returning: await self.isReachable(timeout: timeout)) } }
            }
        }
        let reachable: Bool
        do {
            _ = try await metadata(timeout: timeout)
            reachable = true
            probeFailure.withLockedValue { $0 = nil }
        } catch {
            reachable = false
            probeFailure.withLockedValue { $0 = error }
        }
        let waiting = probe.withLockedValue { waiting in
            defer { waiting = nil }
            return waiting ?? []
        }
        for continuation in waiting { continuation.resume(returning: reachable) }
        return reachable
    }

    private func run<Value: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws(KafkaError) -> Value) async throws(KafkaError) -> Value {
        let result: Result<Value, KafkaError> = await withCheckedContinuation { continuation in
            let queued = worker.submit { client in
                continuation.resume(returning: client.flatMap { rk in Result { () throws(KafkaError) in try body(rk) } })
            }
            if !queued {
                continuation.resume(
                    returning: .failure(
                        KafkaError(
                            code: .queueFull,
                            message: "more than \(Self.maxPendingOperations) admin operations waiting",
                            isRetriable: true
                        )
                    )
                )
            }
        }
        return try result.get()
    }

    private static func makeClient(bootstrapServers: String, properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        var pairs: [(key: String, value: String)] = [("bootstrap.servers", bootstrapServers)]
        pairs += properties.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        let conf = try RdKafkaConfiguration.make(pairs)
        rd_kafka_conf_set_log_cb(conf, silentLogCallback)
        return try RdKafkaConfiguration.makeClient(RD_KAFKA_PRODUCER, conf: conf)
    }
}
