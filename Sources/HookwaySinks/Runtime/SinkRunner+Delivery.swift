import HookwayCore
import HookwayKafka
import Metrics

extension SinkRunner {
    /// Delivers one message with retries; dead-letters it when that fails. Returns true when
    /// the message is done (delivered or acknowledged by the dead-letter topic), false when the
    /// task was cancelled first (the message must not be committed).
    func process(_ message: KafkaMessage) async -> Bool {
        if let raw = sink as? any RawMessageSink {
            if let replay, !replay.select(message, nil) { return true }
            return await attempts(message, eventID: nil) { () async throws(SinkError) -> SinkOutcome? in
                try await raw.deliver(message: message)
                return nil
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
        return await attempts(message, eventID: event.id) { () async throws(SinkError) -> SinkOutcome? in
            try await self.sink.deliver(event)
        }
    }

    /// The attempts of one delivery, with the guard's admission, retries and dead-lettering.
    /// `eventID`: whose outcomes to report (`nil`: none, for a raw-message sink).
    private func attempts(
        _ message: KafkaMessage,
        eventID: String?,
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
                    return await deadLetter(message, error: error, attempts: attempt, eventID: eventID, reports: eventID != nil)
                }
                if let eventID { report(outcome(.retried, of: eventID, message: message, attempt: attempt, error: error)) }
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
