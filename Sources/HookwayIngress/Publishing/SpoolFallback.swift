import HookwayCore
import HookwayKafka
import HookwayTracing
import Logging
import Metrics
import Tracing

/// The spool as the publisher's fallback: an event Kafka did not acknowledge in time is made
/// durable on local disk instead (200 `"spooled": true`), or — without a spool, or when it
/// cannot take the event (full, or its fsync failed) — answered 503 so the provider retries.
struct SpoolFallback {
    let spool: Spool?
    let publisher: KafkaEventPublisher
    let logger: Logger

    static let spooledCounter = Counter(label: "hookway_spooled_total")

    func take(
        eventID: String,
        topics: [String],
        message: (key: [UInt8], value: [UInt8], headers: [KafkaHeader]),
        reason: String
    ) async throws(WebhookError) -> PublishReceipt {
        guard let spool else {
            logger.warning("kafka publish failed", metadata: ["event.id": "\(LogSafe.text(eventID))", "reason": "\(reason)"])
            throw WebhookError.brokerUnavailable("\(reason); retry later")
        }
        // A child of the publish span the message's headers name (tracing on), else no span.
        let span = TraceContext(headers: message.headers).map {
            InstrumentationSystem.tracer.startSpan("spool append", context: $0.serviceContext(), ofKind: .internal)
        }
        defer { span?.end() }
        let record = SpoolRecord(
            topics: topics,
            key: message.key,
            value: message.value,
            headers: message.headers.map { ($0.key, $0.value ?? []) },
            spooledAt: Timestamp.now().millisecondsSinceEpoch
        )
        do {
            try await spool.append(record)
        } catch {
            span?.attributes["error.type"] = "\(error.isFull ? "spool_full" : "spool_unhealthy")"
            span?.setStatus(SpanStatus(code: .error, message: error.message))
            // Full, or not durable (write or fsync failed): not acknowledged. The spool reports
            // itself unhealthy until a sync succeeds again.
            publisher.noteSpool(hasRoom: !error.isFull, healthy: !error.isDurabilityFailure)
            logger.error(
                "kafka unavailable and the spool refused the event",
                metadata: [
                    "event.id": "\(LogSafe.text(eventID))", "reason": "\(reason)", "spool": "\(error)",
                ]
            )
            throw WebhookError.brokerUnavailable("\(reason) and the local spool cannot take it (\(error.message)); retry later")
        }
        Self.spooledCounter.increment()
        logger.warning("kafka unavailable; event spooled", metadata: ["event.id": "\(LogSafe.text(eventID))", "reason": "\(reason)"])
        return PublishReceipt(spooled: true)
    }
}
