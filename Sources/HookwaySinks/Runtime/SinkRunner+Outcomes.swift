import HookwayCore
import HookwayKafka
import HookwayTracing
import Tracing

extension SinkRunner {
    /// Reports what this sink did with an event to `kafka.outcomeTopic`, keyed by the event id.
    ///
    /// Fire-and-forget on purpose: an outcome is the journey's record, not part of the delivery
    /// promise, so a delivery never waits for (or fails on) its outcome. The producer retries
    /// it like any message and flushes it at shutdown; one lost in a broker outage longer than
    /// `message.timeout.ms` leaves a gap in `hookway trace`, never a lost event.
    func report(_ outcome: Outcome) {
        replay?.observe(outcome)
        guard let topic = outcomeTopic else { return }
        // In the delivery's span: the index's span for this outcome joins the event's trace.
        let headers = ServiceContext.current.flatMap { TraceContext(of: $0) }?.kafkaHeaders ?? []
        producer.send(topic: topic, key: Array(outcome.eventID.utf8), value: outcome.jsonBytes, headers: headers) { result in
            if case .failure(let error) = result {
                self.logger.warning(
                    "outcome not reported",
                    metadata: ["event.id": "\(outcome.eventID)", "kind": "\(outcome.kind.rawValue)", "error": "\(error)"]
                )
            }
        }
    }

    /// The event id of a message that could not be decoded, when its `ce_id` header (binary
    /// mode) says it.
    static func eventID(of message: KafkaMessage) -> String? {
        message.headers.first { $0.key == "ce_id" }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The outcome of a delivery to this sink.
    func outcome(
        _ kind: Outcome.Kind,
        of event: String,
        message: KafkaMessage,
        attempt: Int,
        result: String? = nil,
        error: SinkError? = nil,
        deadLetter: Outcome.Position? = nil
    ) -> Outcome {
        Outcome(
            eventID: event,
            kind: kind,
            sink: config.name,
            attempt: attempt,
            replay: isReplay || message.headers.contains { $0.key == "hookway_replay" && $0.value == Array("true".utf8) },
            code: error?.code.rawValue,
            message: error?.message,
            result: result,
            deadLetter: deadLetter
        )
    }
}
