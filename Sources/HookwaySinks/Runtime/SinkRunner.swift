import AsyncAlgorithms
public import HookwayCore
public import HookwayKafka
public import Logging
import Metrics
import NIOConcurrencyHelpers

/// Runs one sink: its own consumer group, at-least-once delivery with per-key order, retries
/// with backoff, dead-lettering, and commits only of offsets whose work (and every earlier
/// offset's) is done.
///
/// `concurrency` delivery slots take messages by partition key (``KeyOrderedQueue``): one key's
/// events are delivered in offset order while different keys proceed concurrently.
public final class SinkRunner: Sendable {
    public let config: SinkConfig
    let sink: any Sink
    let consumerConfiguration: KafkaConsumerConfiguration
    let producer: KafkaProducer
    let logger: Logger
    typealias StateMachine = SinkRunnerStateMachine<CheckedContinuation<KafkaMessage?, Never>, CheckedContinuation<Void, Never>>
    /// Messages read and waiting, parked slots and reader, offsets finished, commits in flight,
    /// the phase: one state machine, one lock.
    let state: NIOLockedValueBox<StateMachine>
    let stopSignal = AsyncStream<Void>.makeStream()
    /// How long in-flight work may take after a stop before it is abandoned (uncommitted, so redelivered).
    let drainTimeout: Duration
    let topicPartitions: Int32
    let topicReplication: Int16
    let counters: Counters
    /// Scrubs the sink's resolved secrets from error messages (logs, `hookway_error`).
    let scrubber: SecretScrubber
    /// The rate limit, the destination's pauses and the circuit breaker.
    let destinationGuard: SinkGuard
    /// Where outcomes are reported (`kafka.outcomeTopic`); `nil`: not reported.
    let outcomeTopic: String?
    /// Set when this run re-delivers a time range (`hookway replay`): its outcomes say so.
    let replay: Replay?
    var isReplay: Bool { replay != nil }

    /// A re-delivery of a time range (`hookway replay`), in a consumer group of its own.
    public struct Replay: Sendable {
        /// Where each partition starts (the first offset of the range).
        public var startOffsets: [TopicPartition: Int64]
        /// Whether a message (with its event, when it decodes) is re-delivered; the others are
        /// passed over (finished with no delivery and no outcome).
        public var select: @Sendable (KafkaMessage, Event?) -> Bool
        /// Sees every outcome the run reports (the command's counts).
        public var observe: @Sendable (Outcome) -> Void

        public init(
            startOffsets: [TopicPartition: Int64],
            select: @escaping @Sendable (KafkaMessage, Event?) -> Bool,
            observe: @escaping @Sendable (Outcome) -> Void
        ) {
            self.startOffsets = startOffsets
            self.select = select
            self.observe = observe
        }
    }

    /// This sink's metric handles, made once (not per message).
    struct Counters: Sendable {
        let consumed: Counter
        let delivered: Counter
        let retried: Counter
        let deadLettered: Counter

        init(sink: String) {
            consumed = Counter(label: "hookway_sink_consumed_total", dimensions: [("sink", sink)])
            delivered = Counter(label: "hookway_sink_delivered_total", dimensions: [("sink", sink)])
            retried = Counter(label: "hookway_sink_retried_total", dimensions: [("sink", sink)])
            deadLettered = Counter(label: "hookway_sink_dead_lettered_total", dimensions: [("sink", sink)])
        }
    }

    public init(
        config: SinkConfig,
        sink: any Sink,
        brokers: String,
        consumerProperties: [String: String],
        producer: KafkaProducer,
        logger: Logger,
        drainTimeout: Duration = .seconds(10),
        topicPartitions: Int32 = 6,
        topicReplication: Int16 = 1,
        outcomeTopic: String? = nil,
        replay: Replay? = nil
    ) {
        self.outcomeTopic = outcomeTopic
        self.replay = replay
        self.topicPartitions = topicPartitions
        self.topicReplication = topicReplication
        self.config = config
        self.sink = sink
        self.scrubber = SecretScrubber(sink.secrets)
        self.counters = Counters(sink: config.name)
        var consumer = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: config.group, topics: config.topics)
        consumer.properties = consumerProperties
        if let ms = consumerProperties["session.timeout.ms"].flatMap(Int64.init) { consumer.sessionTimeout = .milliseconds(ms) }
        // Pausing fetches on a full buffer makes librdkafka re-fetch on resume; a roomy buffer
        // (bounded: about 1 KB per event) keeps that rare.
        consumer.maxBufferedMessages = max(2000, config.maxInFlight * 64)
        if let replay { consumer.startOffsets = replay.startOffsets }
        self.consumerConfiguration = consumer
        self.state = NIOLockedValueBox(StateMachine(capacity: max(1, config.maxInFlight) * 64))
        self.producer = producer
        var logger = logger
        logger[metadataKey: "sink"] = "\(config.name)"
        self.logger = logger
        self.drainTimeout = drainTimeout
        self.destinationGuard = SinkGuard(sink: config.name, rateLimit: config.rateLimit, breaker: config.circuitBreaker, logger: logger)
    }

    /// The circuit breaker's state for `/healthz`; `nil` when the sink has none.
    public var circuit: String? { config.circuitBreaker == nil ? nil : destinationGuard.circuit }

    /// Asks the runner to stop: no new messages, in-flight work finishes (or is abandoned after
    /// the drain timeout), done offsets are committed, the group is left.
    public func stop() {
        state.withLockedValue { $0.stopRequested = true }
        stopSignal.continuation.finish()
    }

    /// Per partition, the next offset after everything finished so far (where a replay stands).
    public var positions: [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        for (key, next) in state.withLockedValue({ $0.positions }) { out[TopicPartition(topic: key.topic, partition: key.partition)] = next }
        return out
    }

    /// Whether ``stop()`` was called (a run that ends without it died).
    public var wasStopped: Bool { state.withLockedValue { $0.stopRequested } }

    /// The consumer of the run in progress (for the package's fault-injection tests).
    package var consumer: KafkaConsumer? { state.withLockedValue { $0.consumer } }

    /// Why a run ended without ``stop()``: its consumer failed (a fatal error), so the sink
    /// must be restarted.
    public struct ConsumerFailure: HookwayError {
        public let sink: String
        public let error: KafkaError
        public var code: ErrorCode { .consumerFailed }
        public var message: String { "sink \(sink): consumer failed: \(error)" }
        /// The supervisor restarts the sink with a new consumer.
        public var isRetriable: Bool { true }
        public var description: String { message }
    }

    /// Consumes until ``stop()`` or task cancellation; throws ``ConsumerFailure`` when the
    /// consumer fails first.
    public func run() async throws {
        // Subscribing to a topic that does not exist yet works but logs errors until it does;
        // the dead-letter topic must exist before the first failure.
        try? await KafkaAdmin(bootstrapServers: consumerConfiguration.bootstrapServers)
            .createTopics(
                config.topics + [config.deadLetterTopic] + (outcomeTopic.map { [$0] } ?? []),
                partitions: topicPartitions,
                replicationFactor: topicReplication,
                timeout: .seconds(10)
            )
        var configuration = consumerConfiguration
        configuration.onRevoke = { [weak self] partitions in self?.revoked(partitions) }
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger)
        state.withLockedValue { $0.consumer = consumer }
        logger.info("sink started", metadata: ["topics": "\(config.topics.joined(separator: ","))", "group": "\(config.group)"])
        let commits = AsyncStream<CommitRequest>.makeStream()
        // Every task below is a child of this scope: the committer and its timer, the sink's own
        // background work (a database client), the lanes, the reader. Commits start from the state machine's answers as deliveries finish.
        let failure = await withTaskGroup(of: Void.self) { background -> KafkaError? in
            background.addTask { await self.commit(consumer, requests: commits.stream) }
            background.addTask { await self.tick(consumer, commits: commits.continuation) }
            background.addTask { await self.sink.run() }
            let failure = await deliver(consumer, commits: commits.continuation)
            background.cancelAll()
            return failure
        }
        // The children have ended: commit what the last deliveries finished.
        await commit(state.withLockedValue { $0.finalCommit() }, to: consumer)
        await consumer.close()
        state.withLockedValue { $0.consumer = nil }
        await sink.shutdown()
        if let error = failure, !wasStopped {
            throw ConsumerFailure(sink: config.name, error: error)
        }
        logger.info("sink stopped")
    }

    /// `hookway_sink_consumer_lag{sink,topic}`: messages between where the sink stands and the
    /// end of each partition it works on, from librdkafka's cached watermarks.
    func recordLag(_ consumer: KafkaConsumer) {
        let positions = state.withLockedValue { $0.positions }
        var lagByTopic: [String: Int64] = [:]
        for (key, position) in positions {
            guard let high = consumer.cachedHighWatermark(topic: key.topic, partition: key.partition) else { continue }
            lagByTopic[key.topic, default: 0] &+= max(0, high.subtractingReportingOverflow(position).partialValue)  // broker-given: never trap
        }
        for (topic, lag) in lagByTopic {
            Gauge(label: "hookway_sink_consumer_lag", dimensions: [("sink", config.name), ("topic", topic)]).record(lag)
        }
    }
}
