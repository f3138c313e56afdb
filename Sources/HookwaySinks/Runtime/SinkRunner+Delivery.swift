import HookwayCore
import HookwayKafka
import HookwayTracing
import Metrics
import Tracing

extension SinkRunner {
    /// Delivers one message with retries; dead-letters it when that fails. Returns true when
    /// the message is done (delivered or acknowledged by the dead-letter topic), false when the
    /// task was cancelled first (the message must not be committed).
    func process(_ message: KafkaMessage) async -> Bool {
        if let raw = sink as? any RawMessageSink {
            if let replay, !replay.select(message, nil) { return true }
            return await traced(message, trace: TraceContext(headers: message.headers), event: nil) { span in
                await attempts(message, eventID: nil, span: span) { () async throws(SinkError) -> SinkOutcome? in
                    try await raw.deliver(message: message)
                    return nil
                }
            }
        }
        let event: Event
        do throws(EventDecodingError) {
            guard let value = message.value else { throw EventDecodingError(message: "the message has no value") }
            event = try Event.decode(value: value, headers: message.headers.map { ($0.key, $0.value ?? []) })
        } catch {
            return await deadLetter(message, error: SinkError.permanent(error.code, "malformed: \(error.message)"), attempts: 0)
        }
        // A replay passes over what it was not asked for: finished, not delivered, no outcome.
        if let replay, !replay.select(message, event) { return true }
        return await traced(message, trace: event.traceContext, event: event) { span in
            await attempts(message, eventID: event.id, span: span) { () async throws(SinkError) -> SinkOutcome? in
                try await self.sink.deliver(event)
            }
        }
    }

    /// One span per message per sink (issue 30), continuing the trace the message carries (the
    /// webhook's publish span), with the sink's own spans (the CRM call, the SMTP send, the
    /// booking) as children. A message without a context starts a trace of its own.
    private func traced(_ message: KafkaMessage, trace: TraceContext?, event: Event?, _ body: (any Span) async -> Bool) async -> Bool {
        await withSpan("deliver \(config.name)", context: trace?.serviceContext() ?? .topLevel, ofKind: .consumer) { span in
            span.attributes["messaging.system"] = "kafka"
            span.attributes["messaging.operation.type"] = "process"
            span.attributes["messaging.destination.name"] = message.topic
            span.attributes["messaging.destination.partition.id"] = "\(message.partition)"
            span.attributes["messaging.kafka.offset"] = Int(message.offset)
            span.attributes["hookway.sink"] = config.name
            if replay != nil { span.attributes["hookway.replay"] = true }
            if let event {
                span.attributes["cloudevents.event_id"] = event.id
                span.attributes["cloudevents.event_type"] = event.type
            }
            return await body(span)
        }
    }

    /// The attempts of one delivery, with the guard's admission, retries and dead-lettering.
    /// `eventID`: whose outcomes to report (`nil`: none, for a raw-message sink).
    private func attempts(
        _ message: KafkaMessage,
        eventID: String?,
        span: any Span,
        _ deliver: () async throws(SinkError) -> SinkOutcome?
    ) async -> Bool {
        let name = eventID ?? "\(message.topic)/\(message.partition)@\(message.offset)"
        var attempt = 0
        while true {
            if Task.isCancelled { return false }
            guard await destinationGuard.admit() else { return false }
            attempt += 1
            do {
                let done = try await deliver()
                destinationGuard.record(.answered)
                counters.delivered.increment()
                span.attributes["hookway.outcome"] = done?.report.kind.rawValue ?? "delivered"
                span.attributes["hookway.attempts"] = attempt
                if let eventID, let done {
                    report(outcome(done.report.kind, of: eventID, message: message, attempt: attempt, result: done.report.result))
                }
                if attempt > 1 { logger.info("delivered after retries", metadata: ["event.id": "\(name)", "attempts": "\(attempt)"]) }
                return true
            } catch let unscrubbed {
                // The scrubber holds every secret the sink resolved; nothing below may echo one.
                var error = unscrubbed
                error.message = scrubber.scrub(error.message)
                // A permanent failure is about this event, not the destination's health.
                if error.isPermanent {
                    destinationGuard.finishedWithoutVerdict()
                } else if destinationGuard.record(.failed(retryAfter: error.retryAfter)) {
                    // The destination is down: this attempt is not held against the event, which
                    // waits in admit() with every other delivery until a probe gets through.
                    if let eventID { report(outcome(.retried, of: eventID, message: message, attempt: attempt, error: error)) }
                    span.addEvent(SpanEvent(name: "circuit open", attributes: ["error.type": "\(error.code)"]))
                    attempt -= 1
                    counters.retried.increment()
                    logger.warning(
                        "delivery failed; circuit open, waiting for the destination",
                        metadata: ["event.id": "\(name)", "code": "\(error.code)", "error": "\(error.message)"]
                    )
                    continue
                }
                if error.isPermanent || attempt >= config.retry.attempts {
                    logger.error(
                        "delivery failed; dead-lettering",
                        metadata: [
                            "event.id": "\(name)", "attempts": "\(attempt)", "code": "\(error.code)", "error": "\(error.message)",
                            "permanent": "\(error.isPermanent)",
                        ]
                    )
                    span.attributes["hookway.outcome"] = Outcome.Kind.deadLettered.rawValue
                    span.attributes["hookway.attempts"] = attempt
                    span.attributes["error.type"] = "\(error.code)"
                    span.setStatus(SpanStatus(code: .error, message: error.message))
                    return await deadLetter(message, error: error, attempts: attempt, eventID: eventID, reports: eventID != nil)
                }
                if let eventID { report(outcome(.retried, of: eventID, message: message, attempt: attempt, error: error)) }
                span.addEvent(SpanEvent(name: "retry", attributes: ["hookway.attempt": .int64(Int64(attempt)), "error.type": "\(error.code)"]))
                counters.retried.increment()
                var delay = config.retry.delay(afterAttempt: attempt)
                if let asked = error.retryAfter, asked > delay { delay = min(asked, .milliseconds(config.retry.maxBackoffMs)) }
                logger.warning(
                    "delivery failed; retrying",
                    metadata: [
                        "event.id": "\(name)", "attempt": "\(attempt)", "code": "\(error.code)", "error": "\(error.message)", "delay": "\(delay)",
                    ]
                )
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return false
                }
            }
        }
    }

    /// Publishes the original message to the dead-letter topic with the failure in headers and
    /// waits for the acknowledgement (retrying until it comes: the offset must not be committed
    /// before the dead letter is durable).
    /// Returns false when cancelled before the dead letter was acknowledged.
    func deadLetter(_ message: KafkaMessage, error: SinkError, attempts: Int, eventID: String? = nil, reports: Bool = true) async -> Bool {
        var headers = message.headers.filter { !$0.key.hasPrefix("hookway_") }
        headers += [
            KafkaHeader(key: "hookway_error", value: Array(error.message.utf8)),
            KafkaHeader(key: "hookway_error_code", value: Array(error.code.rawValue.utf8)),
            KafkaHeader(key: "hookway_error_permanent", value: Array((error.isPermanent ? "true" : "false").utf8)),
            KafkaHeader(key: "hookway_attempts", value: Array(String(attempts).utf8)),
            KafkaHeader(key: "hookway_sink", value: Array(config.name.utf8)),
            KafkaHeader(key: "hookway_failed_at", value: Array(Timestamp.now().rfc3339.utf8)),
            KafkaHeader(key: "hookway_source_topic", value: Array(message.topic.utf8)),
            KafkaHeader(key: "hookway_source_offset", value: Array("\(message.partition):\(message.offset)".utf8)),
        ]
        var wait = Duration.milliseconds(200)
        while true {
            do {
                let stored = try await producer.send(topic: config.deadLetterTopic, key: message.key, value: message.value, headers: headers)
                counters.deadLettered.increment()
                if reports, let eventID = eventID ?? Self.eventID(of: message) {
                    let at = Outcome.Position(topic: stored.topic, partition: stored.partition, offset: stored.offset)
                    report(outcome(.deadLettered, of: eventID, message: message, attempt: attempts, error: error, deadLetter: at))
                }
                return true
            } catch {
                logger.error("dead-letter write failed; retrying", metadata: ["topic": "\(config.deadLetterTopic)", "error": "\(error)"])
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    return false
                }
                wait = min(wait * 2, .seconds(10))
            }
        }
    }
}
