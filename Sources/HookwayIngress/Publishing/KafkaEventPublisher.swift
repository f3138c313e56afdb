public import HookwayCore
public import HookwayKafka
public import Logging
import Metrics
import NIOConcurrencyHelpers

/// Publishes CloudEvents to Kafka with the idempotent, `acks=all` producer: value = the event's
/// JSON, key = its subject (else id), `ce_*` headers for cheap filtering.
///
/// Every outcome is classified (``PublishFailure``): an acknowledgement is a 200; an outage is
/// spooled (or 503); an event Kafka can never take is refused (413/500) and never spooled; a
/// fatal producer error replaces the producer. The state lives in one
/// ``PublisherStateMachine`` behind one lock; topic management, producer replacement and the
/// spool fallback are in their own files.
public final class KafkaEventPublisher: EventPublisher {
    public struct TopicSettings: Sendable {
        public var autoCreate: Bool
        public var partitions: Int32
        public var replicationFactor: Int16
        /// Where `received` and `spooled` outcomes go (`kafka.outcomeTopic`); `nil`: nowhere.
        public var outcomeTopic: String?
        public init(autoCreate: Bool, partitions: Int32, replicationFactor: Int16, outcomeTopic: String? = nil) {
            self.autoCreate = autoCreate
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.outcomeTopic = outcomeTopic
        }
    }

    let state: NIOLockedValueBox<PublisherStateMachine<KafkaProducer>>
    let makeProducer: @Sendable () throws(KafkaError) -> KafkaProducer
    let admin: KafkaAdmin
    let logger: Logger
    /// The producer's `message.max.bytes`: a bigger event is refused (413) before any send.
    public let messageMaxBytes: Int
    /// Where events go when Kafka does not acknowledge in time (`nil`: spool disabled).
    public let spool: Spool?

    /// `makeProducer` builds the producer now and again whenever it has to be replaced.
    public init(
        makeProducer: @escaping @Sendable () throws(KafkaError) -> KafkaProducer,
        admin: KafkaAdmin,
        topics: TopicSettings,
        spool: Spool? = nil,
        messageMaxBytes: Int = KafkaSettings.librdkafkaDefaultMessageMaxBytes,
        logger: Logger
    ) throws(KafkaError) {
        self.spool = spool
        self.makeProducer = makeProducer
        self.admin = admin
        self.messageMaxBytes = messageMaxBytes
        self.logger = logger
        let settings = PublisherStateMachine<KafkaProducer>.TopicSettings(
            autoCreate: topics.autoCreate,
            partitions: topics.partitions,
            replicationFactor: topics.replicationFactor,
            outcomeTopic: topics.outcomeTopic
        )
        state = NIOLockedValueBox(PublisherStateMachine(producer: try makeProducer(), topicSettings: settings))
    }

    /// The producer in use.
    public var producer: KafkaProducer { state.withLockedValue { $0.producer } }

    /// Flushes and closes the producer in use (service shutdown).
    public func shutdownProducer(timeout: Duration) async { await producer.shutdown(timeout: timeout) }

    /// Applies the topic settings of a reloaded config.
    public func updateTopicSettings(_ settings: TopicSettings) {
        state.withLockedValue {
            $0.topicSettings = .init(
                autoCreate: settings.autoCreate,
                partitions: settings.partitions,
                replicationFactor: settings.replicationFactor,
                outcomeTopic: settings.outcomeTopic
            )
        }
    }

    /// Records whether the spool can take more events and whether its last fsync succeeded
    /// (kept fresh by the spool drainer and by every append); ``readiness`` reports it.
    func noteSpool(hasRoom: Bool, healthy: Bool) { state.withLockedValue { $0.noteSpool(hasRoom: hasRoom, healthy: healthy) } }

    /// Records that the broker answered (a delivery report or a health probe).
    public func markBrokerAnswered() { state.withLockedValue { $0.brokerAnswered(now: .now) } }

    public var isHealthy: Bool { state.withLockedValue { $0.isHealthy(now: .now) } }

    /// The ingress's event-loop path: no task while all goes well — the sends are queued now
    /// and `completion` runs on the producer's poll thread with the acknowledgement. Only the
    /// rare paths (first use of a topic, a failure or timeout that the spool may take) continue
    /// in a task.
    public func publish(
        _ event: Event,
        to topics: [String],
        timeout: Duration,
        mode: CloudEventsMode,
        completion: @escaping @Sendable (Result<PublishReceipt, WebhookError>) -> Void
    ) {
        let message = Self.message(for: event, mode: mode)
        let size: Int
        do throws(WebhookError) {
            size = try admit(message, eventID: event.id)
        } catch {
            return completion(.failure(error))
        }
        let (missing, outcomeTopic) = state.withLockedValue { ($0.topicsToCreate(topics, now: .now), $0.topicSettings.outcomeTopic) }
        // The event's attributes for its `received` outcome (only when outcomes are reported).
        let summary = outcomeTopic.map { _ in Outcome.Summary(event) }
        let publication = Publication(
            eventID: event.id,
            topics: topics,
            message: message,
            size: size,
            timeout: timeout,
            summary: summary,
            trace: event.traceContext
        )
        let source = event.data.source
        let started = ContinuousClock.now
        guard missing.isEmpty else {
            Task {
                await self.create(missing, timeout: timeout)
                let outcome = await self.send(topics: topics, message: message, timeout: timeout, started: started, source: source)
                completion(await self.concluded(outcome, publication))
            }
            return
        }
        let (producer, generation) = state.withLockedValue { ($0.producer, $0.generation) }
        producer.sendToAll(topics: topics, key: message.key, value: message.value, headers: message.headers, timeout: timeout) { result in
            let outcome = self.classify(result, topics: topics, generation: generation, started: started, source: source)
            guard case .delivered(let reports) = outcome else {
                Task { completion(await self.concluded(outcome, publication)) }
                return
            }
            completion(.success(PublishReceipt(spooled: false, reports: reports)))
            self.reportOutcome(.received, eventID: publication.eventID, summary: summary, reports: reports, trace: publication.trace)
        }
    }

    /// The message's size as librdkafka counts it, or 413 when Kafka could never take it.
    private func admit(_ message: (key: [UInt8], value: [UInt8], headers: [KafkaHeader]), eventID: String) throws(WebhookError) -> Int {
        let size = Self.size(of: message)
        guard size <= messageMaxBytes else {
            Self.rejectedCounter.increment()
            logger.warning("event too large for Kafka; refused", metadata: ["event.id": "\(LogSafe.text(eventID))", "bytes": "\(size)"])
            throw WebhookError.eventTooLarge(bytes: size, limit: messageMaxBytes)
        }
        return size
    }

    /// One event's publish, as ``conclude(_:_:)`` needs it.
    struct Publication: Sendable {
        var eventID: String
        var topics: [String]
        var message: (key: [UInt8], value: [UInt8], headers: [KafkaHeader])
        var size: Int
        var timeout: Duration
        /// For the `received`/`spooled` outcome; `nil` when outcomes are not reported.
        var summary: Outcome.Summary?
        /// The event's trace, carried by its outcomes.
        var trace: TraceContext?
    }

    /// ``conclude(_:_:)`` as a `Result`.
    private func concluded(_ outcome: SendOutcome, _ publication: Publication) async -> Result<PublishReceipt, WebhookError> {
        do throws(WebhookError) {
            return .success(try await conclude(outcome, publication))
        } catch {
            return .failure(error)
        }
    }

    /// What a send's outcome means for the request: acknowledged, spooled, or an error.
    private func conclude(_ outcome: SendOutcome, _ publication: Publication) async throws(WebhookError) -> PublishReceipt {
        let (eventID, topics, message, size, timeout) = (
            publication.eventID, publication.topics, publication.message, publication.size, publication.timeout
        )
        let reason: String
        switch outcome {
        case .delivered(let reports):
            reportOutcome(.received, eventID: eventID, summary: publication.summary, reports: reports, trace: publication.trace)
            return PublishReceipt(spooled: false, reports: reports)
        case .timedOut:
            reason = "Kafka did not acknowledge the event within \(timeout)"
        case .outage(let error):
            reason = "Kafka did not accept the event (\(error.code.name))"
        case .rejected(let error, let tooLarge):
            Self.rejectedCounter.increment()
            logger.error(
                "kafka refused the event for good; not spooled",
                metadata: [
                    "event.id": "\(LogSafe.text(eventID))", "error": "\(error)",
                    "topics": "\(LogSafe.text(topics.joined(separator: ","), limit: 256))",
                ]
            )
            if tooLarge { throw WebhookError.eventTooLarge(bytes: size, limit: messageMaxBytes) }
            throw WebhookError.publishRejected("\(error.code.name): \(error.message)")
        }
        // Its `spooled` outcome is reported when the spool drains it: sent now, while Kafka is
        // away, it would die with the producer an outage replaces.
        return try await SpoolFallback(spool: spool, publisher: self, logger: logger)
            .take(eventID: eventID, topics: topics, message: message, reason: reason)
    }

    /// `hookway_publish_rejected_total`: events Kafka can never take (413/500, never spooled).
    static let rejectedCounter = Counter(label: "hookway_publish_rejected_total")

    /// The Kafka message of an event in `mode`: subject key, the CloudEvent, `ce_*` headers.
    static func message(for event: Event, mode: CloudEventsMode) -> (key: [UInt8], value: [UInt8], headers: [KafkaHeader]) {
        let message = event.kafkaMessage(mode)
        return (message.key, message.value, message.headers.map { KafkaHeader(key: $0.key, value: $0.value) })
    }

    /// What librdkafka counts against `message.max.bytes` for one message (value, key,
    /// headers), plus the record overhead it adds.
    static func size(of message: (key: [UInt8], value: [UInt8], headers: [KafkaHeader])) -> Int {
        message.value.count + message.key.count + message.headers.reduce(0) { $0 + $1.key.utf8.count + ($1.value?.count ?? 0) } + 64
    }

    /// How a send ended.
    enum SendOutcome: Sendable {
        /// Every topic acknowledged: where each copy went.
        case delivered([DeliveryReport])
        /// The deadline passed first (the sends are not taken back).
        case timedOut
        /// Kafka is unavailable or the producer broke: spool or 503.
        case outage(KafkaError)
        /// Kafka will never take this event.
        case rejected(KafkaError, tooLarge: Bool)
    }

    /// Sends to every topic at once and waits, with one continuation, for every
    /// acknowledgement, the first failure, or `timeout`. Topic creation on first use counts
    /// against the timeout. The failure is classified and acted on (producer replacement).
    func sendAll(topics: [String], key: [UInt8], value: [UInt8], headers: [KafkaHeader], timeout: Duration) async -> SendOutcome {
        let started = ContinuousClock.now
        await createTopicsIfNeeded(topics, timeout: timeout)
        return await send(topics: topics, message: (key, value, headers), timeout: timeout, started: started, source: nil)
    }

    /// Sends with what is left of `timeout` since `started`, and classifies the outcome.
    private func send(
        topics: [String],
        message: (key: [UInt8], value: [UInt8], headers: [KafkaHeader]),
        timeout: Duration,
        started: ContinuousClock.Instant,
        source: String?
    ) async -> SendOutcome {
        let remaining = timeout - (ContinuousClock.now - started)
        guard remaining > .zero else { return .timedOut }
        let (producer, generation) = state.withLockedValue { ($0.producer, $0.generation) }
        let outcome = await withCheckedContinuation { continuation in
            producer.sendToAll(topics: topics, key: message.key, value: message.value, headers: message.headers, timeout: remaining) {
                continuation.resume(returning: $0)
            }
        }
        return classify(outcome, topics: topics, generation: generation, started: started, source: source)
    }

    /// Records a send's outcome (metrics, broker health, producer replacement) and says what it is.
    /// `source`: whose publish latency it is (`nil` for the spool's drain, which is not a webhook's).
    private func classify(
        _ outcome: PublishGate.Outcome,
        topics: [String],
        generation: Int,
        started: ContinuousClock.Instant,
        source: String?
    ) -> SendOutcome {
        switch outcome {
        case .none:
            noteTimeout(generation: generation)
            return .timedOut
        case .some(.success(let reports)):
            state.withLockedValue { $0.delivered(now: .now) }
            for report in reports { Self.producedCounters[report.topic].increment() }
            if let source { Self.publishDurations[source].recordNanoseconds((ContinuousClock.now - started).nanoseconds) }
            return .delivered(reports)
        case .some(.failure(let error)):
            let failure = PublishFailure.classify(error)
            switch state.withLockedValue({ $0.failed(failure, topics: topics) }) {
            case .reject:
                if case .permanent(_, let tooLarge) = failure { return .rejected(error, tooLarge: tooLarge) }
                return .rejected(error, tooLarge: false)
            case .outage:
                return .outage(error)
            case .replaceProducerThenOutage:
                replaceProducer(reason: "fatal producer error \(error.code.name): \(error.message)", generation: generation, force: true)
                return .outage(error)
            }
        }
    }

    /// `hookway_publish_duration_seconds{source}`: first send to the last topic's acknowledgement
    /// (successful publishes of webhooks; the source is a configured name, so bounded). The
    /// alert on it compares its p99 with the source's answer deadline.
    static let publishDurations = MetricHandles<String, Timer> { source in
        Timer(label: "hookway_publish_duration_seconds", dimensions: [("source", source)], preferredDisplayUnit: .seconds)
    }

    /// `hookway_kafka_produced_total{topic}` (topics are bounded by ``TopicAdmission``).
    static let producedCounters = MetricHandles<String, Counter> { topic in
        Counter(label: "hookway_kafka_produced_total", dimensions: [("topic", topic)])
    }
}
