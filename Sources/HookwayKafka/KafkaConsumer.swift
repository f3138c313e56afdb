import CRdKafka
public import Logging
import NIOConcurrencyHelpers

/// A consumer-group member that yields messages as an async sequence and commits offsets only
/// when told to (at-least-once: commit after the work is done).
///
/// A dedicated poll thread runs `rd_kafka_consumer_poll` and fills a bounded buffer; when the
/// buffer reaches ``KafkaConsumerConfiguration/maxBufferedMessages`` the thread pauses fetching
/// until the application has drained half of it.
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
/// for try await message in consumer {
///     try await sink.deliver(message)
///     try await consumer.commit(message)
/// }
/// ```
///
/// The sequence ends after ``close()``, and throws if the consumer fails fatally. Offsets of
/// partitions that were revoked from this member are dropped, never committed.
public final class KafkaConsumer: Sendable {
    let handle: RdKafkaHandle
    let core: ConsumerCore

    /// Creates the consumer, subscribes to the configured topics and starts its poll thread.
    /// Joining the group happens in the background; messages flow once partitions are assigned.
    ///
    /// - Throws: ``KafkaError/Code/config`` for a rejected property, or a librdkafka error if
    ///   the client cannot be created or subscribed.
    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        guard !configuration.topics.isEmpty else {
            throw KafkaError(code: .config, message: "a consumer needs at least one topic")
        }
        let core = ConsumerCore(
            logger: logger,
            highWaterMark: configuration.maxBufferedMessages,
            onRevoke: configuration.onRevoke,
            startOffsets: configuration.startOffsets
        )
        let conf = try RdKafkaConfiguration.make(configuration.rdKafkaProperties)
        // Released by the poll thread right after rd_kafka_destroy (or below if setup fails).
        let opaque = Unmanaged.passRetained(core)
        rd_kafka_conf_set_opaque(conf, opaque.toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        rd_kafka_conf_set_log_cb(conf, clientLogCallback)
        let rk: OpaquePointer
        do {
            rk = try RdKafkaConfiguration.makeClient(RD_KAFKA_CONSUMER, conf: conf)
        } catch {
            opaque.release()
            throw error
        }
        // One queue for messages, rebalances, errors and logs, so one thread serves them all.
        rd_kafka_poll_set_consumer(rk)
        do {
            try Self.subscribe(rk, to: configuration.topics)
        } catch {
            rd_kafka_destroy(rk)
            opaque.release()
            throw error
        }
        self.handle = RdKafkaHandle(rk, wakeQueue: rd_kafka_queue_get_consumer(rk))
        self.core = core
        let handle = self.handle
        DedicatedThread.start(name: "hookway.kafka.consumer") {
            ConsumerPollLoop(handle: handle, core: core, opaque: opaque).run()
        }
    }

    deinit {
        // The poll thread leaves the group and destroys the client on its own.
        if case .wakePollThread = core.state.withLockedValue({ $0.requestClose(nil) }) {
            handle.wake()
        }
    }

    /// The high watermark (log end offset) of a partition as librdkafka last saw it in a fetch
    /// response — no request to the broker — or `nil` if it has not fetched that partition.
    public func cachedHighWatermark(topic: String, partition: Int32) -> Int64? {
        let high = handle.withLease { rk -> Int64? in
            var low: Int64 = -1
            var high: Int64 = -1
            let err = rd_kafka_get_watermark_offsets(rk, topic, partition, &low, &high)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
            return high
        }
        return high ?? nil
    }

    private static func subscribe(_ rk: OpaquePointer, to topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let err = rd_kafka_subscribe(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, detail: "subscribe") }
    }

    /// Leaves the group cleanly (revoking the assignment, so the group rebalances at once rather
    /// than after the session timeout) and destroys the client. The sequence then ends; pending
    /// commits fail with ``KafkaError/Code/closed``.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            switch core.state.withLockedValue({ $0.requestClose(continuation) }) {
            case .wakePollThread:
                handle.wake()
            case .resumeClose(let continuation):
                continuation.resume()
            case .rejectCommit, nil:
                break
            }
        }
    }

    /// The partitions currently assigned to this member, sorted.
    public var assignedPartitions: [(topic: String, partition: Int32)] {
        core.state.withLockedValue { $0.assignment }.sorted().map { ($0.topic, $0.partition) }
    }
}

/// State shared by the consumer, its async iterators, its poll thread and librdkafka's
/// callbacks (as the client opaque).
final class ConsumerCore: Sendable {
    let state: NIOLockedValueBox<ConsumerStateMachine>
    let logger: Logger
    let onRevoke: (@Sendable ([TopicPartition]) -> Void)?
    let startOffsets: [TopicPartition: Int64]

    init(
        logger: Logger,
        highWaterMark: Int,
        onRevoke: (@Sendable ([TopicPartition]) -> Void)? = nil,
        startOffsets: [TopicPartition: Int64] = [:]
    ) {
        self.logger = logger
        self.onRevoke = onRevoke
        self.startOffsets = startOffsets
        self.state = NIOLockedValueBox(ConsumerStateMachine(highWaterMark: highWaterMark))
    }
}
