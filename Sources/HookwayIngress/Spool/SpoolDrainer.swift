import HookwayCore
public import HookwayKafka
import HookwayTracing
public import Logging
import Metrics
public import ServiceLifecycle
import Tracing

/// Publishes spooled events, oldest segment first and in order within it, as soon as Kafka
/// answers; deletes a segment only when every event in it is acknowledged or quarantined.
/// Survives restarts: segments left on disk are drained on start (a segment interrupted halfway
/// is published again from its start — duplicates carry the same event id).
///
/// A record Kafka refuses for good (``PublishFailure/permanent(_:tooLarge:)``) is moved to the
/// spool's quarantine and the drain goes on: one poison record never blocks the ones after it.
/// A segment that cannot be read is kept and tried again.
public struct SpoolDrainer: Service {
    let spool: Spool
    let publisher: KafkaEventPublisher
    let admin: KafkaAdmin
    let logger: Logger
    /// A send that takes longer than this while the broker answers metadata means a wedged producer.
    let stuckAfter: Duration

    public init(spool: Spool, publisher: KafkaEventPublisher, admin: KafkaAdmin, logger: Logger, stuckAfter: Duration = .seconds(10)) {
        self.spool = spool
        self.publisher = publisher
        self.admin = admin
        self.stuckAfter = stuckAfter
        self.logger = logger
    }

    static let drainedCounter = Counter(label: "hookway_spool_drained_total")
    /// Attempts (1 s, 2 s, 4 s … apart: about a minute) before a topic-level refusal quarantines a record.
    static let topicRetryLimit = 6

    public func run() async throws {
        var readBackoff = Duration.milliseconds(500)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await reportStats()
            guard let segment = await spool.nextSegmentToDrain() else {
                try? await Task.sleep(for: .milliseconds(250))
                continue
            }
            let records: [SpoolRecord]
            do {
                records = try await spool.read(path: segment.path)
                readBackoff = .milliseconds(500)
            } catch {
                logger.error("spool segment cannot be read; kept and retried", metadata: ["segment": "\(segment.path)", "error": "\(error)"])
                try? await Task.sleep(for: readBackoff)
                readBackoff = min(readBackoff * 2, .seconds(30))
                continue
            }
            try? await publisher.ensureTopics(Array(Set(records.flatMap(\.topics))).sorted(), force: true)
            guard await drain(records, segment: segment.path) else { return }
            await spool.remove(sequence: segment.sequence)
            logger.info("spool segment drained", metadata: ["segment": "\(segment.sequence)", "events": "\(records.count)"])
        }
    }

    /// Publishes `records` in order; false when the service is stopping (the segment stays).
    func drain(_ records: [SpoolRecord], segment: String) async -> Bool {
        var index = 0
        var wait = Duration.milliseconds(100)
        var topicRetries = 0
        while index < records.count {
            if Task.isShuttingDownGracefully || Task.isCancelled { return false }
            let r = records[index]
            let headers = r.headers.map { KafkaHeader(key: $0.0, value: $0.1) }
            let attemptStarted = DefaultTracerClock.now
            switch await publisher.sendAll(topics: r.topics, key: r.key, value: r.value, headers: headers, timeout: stuckAfter) {
            case .timedOut:
                await reportStats()
                if await admin.isReachable(timeout: .seconds(2)) {
                    publisher.replaceProducer(reason: "spool drain made no progress for \(stuckAfter) while the broker answers")
                }
            case .delivered(let reports):
                Self.traceDrain(r, reports: reports, started: attemptStarted)
                // The event reached Kafka at last: its `received` outcome, with where it went.
                // A record the spool cannot decode as an event still drains; only its outcome is skipped.
                if let event = try? Event.decode(value: r.value, headers: r.headers) {
                    let summary = Outcome.Summary(event)
                    let spooledAt = Timestamp(rfc3339: event.receivedAt) ?? .now()
                    publisher.reportOutcome(.spooled, eventID: event.id, summary: summary, reports: [], at: spooledAt, trace: event.traceContext)
                    publisher.reportOutcome(.received, eventID: event.id, summary: summary, reports: reports, trace: event.traceContext)
                }
                index += 1
                wait = .milliseconds(100)
                topicRetries = 0
                Self.drainedCounter.increment()
            case .rejected(let error, _):
                // A refusal about the topic (its ACL, its policy) may be fixed by an operator
                // soon, and librdkafka repeats it from cache until its next metadata refresh:
                // try again for a while before giving up on the record. A refusal of the record
                // itself (too large, invalid) will not change.
                if PublishFailure.topicLevelCodes.contains(error.code.name), topicRetries < Self.topicRetryLimit {
                    topicRetries += 1
                    logger.warning(
                        "kafka refuses the topic; retrying before quarantining the record",
                        metadata: [
                            "error": "\(error)", "attempt": "\(topicRetries)",
                        ]
                    )
                    try? await Task.sleep(for: .seconds(1 << min(topicRetries, 5)))
                    continue
                }
                // Never publishable as it is: out of the way, bytes kept for an operator.
                if await spool.reject(r, segment: segment, index: index, reason: "\(error.code.name): \(error.message)") {
                    index += 1
                    topicRetries = 0
                } else {
                    try? await Task.sleep(for: .seconds(5))
                }
            case .outage(let error):
                logger.debug("spool drain waiting for kafka", metadata: ["error": "\(error)"])
                // An outage is when the spool grows and is watched: the gauges and the room
                // readiness reports must follow it, not stay at the segment that was sealed.
                await reportStats()
                try? await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
        return true
    }

    func reportStats() async {
        await spool.probeHealth()
        let stats = await spool.stats
        let healthy = await spool.isHealthy
        publisher.noteSpool(hasRoom: stats.bytes + 1_048_576 <= spool.maxBytes, healthy: healthy)
        Gauge(label: "hookway_spool_bytes").record(stats.bytes)
        // Beside its use, so "spool filling" is one division in an alert rule.
        Gauge(label: "hookway_spool_limit_bytes").record(spool.maxBytes)
        Gauge(label: "hookway_spool_events").record(stats.events)
        let age = stats.oldestSpooledAt.map { Double(Timestamp.now().millisecondsSinceEpoch - $0) / 1000 } ?? 0
        Gauge(label: "hookway_spool_oldest_age_seconds").record(age)
    }
}

extension SpoolDrainer {
    /// A `spool drain` span in the event's own trace (a child of the publish span whose context
    /// the record kept): the trace shows when the event finally reached Kafka, and where.
    static func traceDrain(_ record: SpoolRecord, reports: [DeliveryReport], started: DefaultTracerClock.Instant) {
        guard let trace = TraceContext(kafkaHeader: { name in record.headers.last { $0.0 == name }?.1 }) else { return }
        let span = InstrumentationSystem.tracer.startSpan("spool drain", context: trace.serviceContext(), ofKind: .producer, at: started)
        span.attributes["messaging.system"] = "kafka"
        span.attributes["messaging.operation.type"] = "send"
        span.attributes["messaging.destination.name"] = record.topics.joined(separator: ",")
        span.attributes["hookway.kafka.positions"] = reports.positionsAttribute
        span.attributes["hookway.spooled_at_ms"] = Int(record.spooledAt)
        span.end()
    }
}
