public import HookwayCore
public import HookwayKafka
public import Logging
import NIOConcurrencyHelpers
import Metrics

/// Publishes CloudEvents to Kafka with the idempotent, `acks=all` producer: value = the event's
/// JSON, key = its subject (else id), `ce_*` headers for cheap filtering.
public final class KafkaEventPublisher: EventPublisher {
    public struct TopicSettings: Sendable {
        public var autoCreate: Bool
        public var partitions: Int32
        public var replicationFactor: Int16
        public init(autoCreate: Bool, partitions: Int32, replicationFactor: Int16) {
            self.autoCreate = autoCreate
            self.partitions = partitions
            self.replicationFactor = replicationFactor
        }
    }

    private let producerBox: NIOLockedValueBox<KafkaProducer>
    private let makeProducer: @Sendable () throws(KafkaError) -> KafkaProducer
    private let admin: KafkaAdmin
    private let topicSettings: NIOLockedValueBox<TopicSettings>
    private let createdTopics = NIOLockedValueBox<Set<String>>([])
    private let lastAcknowledged = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    private let logger: Logger
    /// Where events go when Kafka does not acknowledge in time (`nil`: spool disabled).
    public let spool: Spool?

    /// `makeProducer` builds the producer now and again whenever it has to be replaced.
    public init(
        makeProducer: @escaping @Sendable () throws(KafkaError) -> KafkaProducer, admin: KafkaAdmin, topics: TopicSettings,
        spool: Spool? = nil, logger: Logger
    ) throws(KafkaError) {
        self.spool = spool
        self.makeProducer = makeProducer
        self.producerBox = NIOLockedValueBox(try makeProducer())
        self.admin = admin
        self.topicSettings = NIOLockedValueBox(topics)
        self.logger = logger
    }

    /// The producer in use.
    public var producer: KafkaProducer { producerBox.withLockedValue { $0 } }

    /// Replaces a wedged producer. librdkafka's idempotent producer can loop forever bumping its
    /// epoch against a broker that lost its state (a restarted development broker answers
    /// "unknown producer id" to every epoch); a fresh producer gets a fresh id. The old one is
    /// closed at once, its queue purged: it must stop bumping the epoch of an id the broker may
    /// hand out again, and whatever it held was answered 503 or is in the spool.
    public func replaceProducer(reason: String) {
        let now = ContinuousClock.now
        let allowed = lastReplacement.withLockedValue { last -> Bool in
            if let last, now - last < Self.replacementInterval { return false }
            last = now
            return true
        }
        guard allowed else { return }
        let fresh: KafkaProducer
        do {
            fresh = try makeProducer()
        } catch {
            logger.error("cannot create a replacement producer", metadata: ["error": "\(error)"])
            return
        }
        let old = producerBox.withLockedValue { current in
            defer { current = fresh }
            return current
        }
        createdTopics.withLockedValue { $0.removeAll() }
        logger.warning("kafka producer replaced", metadata: ["reason": "\(reason)"])
        Task { await old.shutdown(timeout: .zero) }
    }

    /// A timeout while the broker answers metadata means the producer, not Kafka, is stuck; a
    /// few in a row replace it (see ``replaceProducer(reason:)``).
    private func noteTimeout() {
        let admin = self.admin
        Task {
            guard await admin.isReachable(timeout: .seconds(2)) else { return }
            let stuck = stuckPublishes.withLockedValue { count -> Bool in
                count += 1
                if count >= 3 {
                    count = 0
                    return true
                }
                return false
            }
            if stuck { replaceProducer(reason: "3 publishes timed out while the broker answers") }
        }
    }

    /// Flushes and closes the producer in use (service shutdown).
    public func shutdownProducer(timeout: Duration) async { await producer.shutdown(timeout: timeout) }

    /// Applies the topic settings of a reloaded config.
    public func updateTopicSettings(_ settings: TopicSettings) { topicSettings.withLockedValue { $0 = settings } }

    private let spoolRoom = NIOLockedValueBox(true)
    /// Consecutive publishes that timed out while the broker answered metadata requests.
    private let stuckPublishes = NIOLockedValueBox(0)
    /// When the producer was last replaced: a new producer needs time to initialize, so
    /// replacements are at least `replacementInterval` apart (no thrashing).
    private let lastReplacement = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    static let replacementInterval = Duration.seconds(30)

    /// Whether the spool can take more events (kept fresh by the spool drainer).
    public var spoolHasRoom: Bool { spool != nil && spoolRoom.withLockedValue { $0 } }
    func noteSpool(hasRoom: Bool) { spoolRoom.withLockedValue { $0 = hasRoom } }

    /// Ready to promise durability: Kafka answers, or the spool can still take events.
    public var isReady: Bool { isHealthy || spoolHasRoom }

    /// Records that the broker answered (a delivery report or a health probe).
    public func markBrokerAnswered() { lastAcknowledged.withLockedValue { $0 = .now } }

    public var isHealthy: Bool {
        guard let last = lastAcknowledged.withLockedValue({ $0 }) else { return false }
        return ContinuousClock.now - last < .seconds(10)
    }

    public func publish(_ event: Event, to topics: [String], timeout: Duration) async throws(WebhookError) -> PublishReceipt {
        let message = Self.message(for: event)
        let outcome = await sendAll(topics: topics, key: message.key, value: message.value, headers: message.headers, timeout: timeout)
        let reason: String
        switch outcome {
        case .none:
            reason = "Kafka did not acknowledge the event within \(timeout)"
            noteTimeout()
        case .some(.failure(let error)):
            reason = "Kafka did not accept the event (\(error.code.name))"
        case .some(.success):
            stuckPublishes.withLockedValue { $0 = 0 }
            return PublishReceipt(spooled: false)
        }
        guard let spool else {
            logger.warning("kafka publish failed", metadata: ["event.id": "\(event.id)", "reason": "\(reason)"])
            throw WebhookError.brokerUnavailable("\(reason); retry later")
        }
        let record = SpoolRecord(
            topics: topics, key: message.key, value: message.value, headers: message.headers.map { ($0.key, $0.value ?? []) },
            spooledAt: Timestamp.now().millisecondsSinceEpoch)
        do {
            try await spool.append(record)
        } catch {
            logger.error("kafka unavailable and spool refused the event", metadata: ["event.id": "\(event.id)", "reason": "\(reason)", "spool": "\(error)"])
            throw WebhookError.brokerUnavailable("\(reason) and the local spool cannot take it (\(error.message)); retry later")
        }
        Counter(label: "hookway_spooled_total").increment()
        logger.warning("kafka unavailable; event spooled", metadata: ["event.id": "\(event.id)", "reason": "\(reason)"])
        return PublishReceipt(spooled: true)
    }

    /// The Kafka message of an event: JSON value, subject key, `ce_*` headers.
    static func message(for event: Event) -> (key: [UInt8], value: [UInt8], headers: [KafkaHeader]) {
        var headers = [
            KafkaHeader(key: "content-type", value: Array("application/cloudevents+json; charset=utf-8".utf8)),
            KafkaHeader(key: "ce_id", value: Array(event.id.utf8)),
            KafkaHeader(key: "ce_type", value: Array(event.type.utf8)),
            KafkaHeader(key: "ce_source", value: Array(event.source.utf8)),
        ]
        if let subject = event.subject { headers.append(KafkaHeader(key: "ce_subject", value: Array(subject.utf8))) }
        return (Array(event.partitionKey.utf8), event.jsonBytes(), headers)
    }

    /// Sends to every topic at once and waits, with one continuation, for every
    /// acknowledgement, the first failure, or `timeout` (`nil` when it passed first; the sends
    /// are not taken back). Topic creation on first use counts against the timeout.
    func sendAll(topics: [String], key: [UInt8], value: [UInt8], headers: [KafkaHeader], timeout: Duration) async -> Result<Void, KafkaError>? {
        let started = ContinuousClock.now
        if hasUnknownTopics(topics) {
            do throws(KafkaError) {
                try await ensureTopics(topics, timeout: timeout)
            } catch {
                // Creating topics is a convenience: a cluster may forbid it (ACLs), not implement
                // it, or be slow to answer. Send anyway — a topic that really is missing fails the
                // send itself — and do not ask again for a while.
                noteTopicCreationFailed(topics, error: error)
            }
        }
        let remaining = timeout - (ContinuousClock.now - started)
        guard remaining > .zero else { return nil }
        let outcome = await producer.sendToAll(topics: topics, key: key, value: value, headers: headers, timeout: remaining)
        switch outcome {
        case .none:
            return nil
        case .some(.success(let reports)):
            markBrokerAnswered()
            for report in reports { Self.producedCounters[report.topic].increment() }
            Self.publishDuration.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            return .success(())
        case .some(.failure(let error)):
            // The broker may have lost the topic (a restarted development broker): ask again next time.
            createdTopics.withLockedValue { $0.subtract(topics) }
            return .failure(error)
        }
    }

    /// Publish latency: first send to the last topic's acknowledgement (successful publishes).
    static let publishDuration = Timer(label: "hookway_publish_duration_seconds", preferredDisplayUnit: .seconds)

    /// `hookway_kafka_produced_total{topic}`.
    private static let producedCounters = MetricHandles<String, Counter> { topic in
        Counter(label: "hookway_kafka_produced_total", dimensions: [("topic", topic)])
    }

    /// Whether any of `topics` still has to be created (auto-create on, not created yet, and no
    /// failed attempt in the last ``topicCreationRetryInterval``).
    func hasUnknownTopics(_ topics: [String]) -> Bool {
        guard topicSettings.withLockedValue({ $0.autoCreate }) else { return false }
        let unknown = createdTopics.withLockedValue { known in topics.filter { !known.contains($0) } }
        guard !unknown.isEmpty else { return false }
        let now = ContinuousClock.now
        return creationFailures.withLockedValue { failures in
            unknown.contains { topic in failures[topic].map { now - $0 >= Self.topicCreationRetryInterval } ?? true }
        }
    }

    private let creationFailures = NIOLockedValueBox<[String: ContinuousClock.Instant]>([:])
    static let topicCreationRetryInterval = Duration.seconds(60)

    private func noteTopicCreationFailed(_ topics: [String], error: KafkaError) {
        let now = ContinuousClock.now
        creationFailures.withLockedValue { failures in for topic in topics { failures[topic] = now } }
        logger.warning("cannot create topics; sending anyway (retrying creation in 60 s)", metadata: [
            "topics": "\(topics.joined(separator: ","))", "error": "\(error)",
        ])
    }

    /// Creates topics on first use when `kafka.topics.autoCreate` is on (idempotent). `force`
    /// asks the broker again even for topics created before (a broker that lost its data).
    func ensureTopics(_ topics: [String], force: Bool = false, timeout: Duration = .seconds(5)) async throws(KafkaError) {
        let settings = topicSettings.withLockedValue { $0 }
        guard settings.autoCreate else { return }
        let missing = force ? topics : createdTopics.withLockedValue { known in topics.filter { !known.contains($0) } }
        guard !missing.isEmpty else { return }
        try await admin.createTopics(missing, partitions: settings.partitions, replicationFactor: settings.replicationFactor, timeout: min(timeout, .seconds(5)))
        createdTopics.withLockedValue { $0.formUnion(missing) }
        logger.info("topics ready", metadata: ["topics": "\(missing.joined(separator: ","))"])
    }
}
