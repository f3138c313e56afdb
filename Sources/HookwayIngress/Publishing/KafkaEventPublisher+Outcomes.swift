import HookwayCore
import HookwayKafka
import HookwayTracing

extension KafkaEventPublisher {
    /// Reports that the ingress received (published) or spooled an event, with where each
    /// copy went, to `kafka.outcomeTopic` keyed by the event id.
    ///
    /// After the answer and fire-and-forget: an outcome never delays or fails a webhook. The
    /// producer retries it like any message; one lost in an outage leaves a gap in
    /// `hookway trace`, never a lost event.
    /// `trace`: the event's context, so the index's span for the outcome joins the event's trace.
    func reportOutcome(
        _ kind: Outcome.Kind,
        eventID: String,
        summary: Outcome.Summary?,
        reports: [DeliveryReport],
        at: Timestamp = .now(),
        trace: TraceContext? = nil
    ) {
        let (producer, topic, missing) = state.withLockedValue { state -> (KafkaProducer, String?, [String]) in
            guard let topic = state.topicSettings.outcomeTopic else { return (state.producer, nil, []) }
            return (state.producer, topic, state.topicsToCreate([topic], now: .now))
        }
        guard let topic else { return }
        let outcome = Outcome(
            eventID: eventID,
            kind: kind,
            at: at,
            topics: reports.map(Outcome.Position.init),
            summary: summary
        )
        let send: @Sendable () -> Void = {
            producer.send(topic: topic, key: Array(eventID.utf8), value: outcome.jsonBytes, headers: trace?.kafkaHeaders ?? []) { result in
                if case .failure(let error) = result {
                    self.logger.warning("outcome not reported", metadata: ["event.id": "\(LogSafe.text(eventID))", "error": "\(error)"])
                }
            }
        }
        guard missing.isEmpty else {
            // The outcome topic's first use, as an event topic's: created (with the file's
            // partitions) off the answer's path.
            Task {
                await self.create(missing, timeout: .seconds(10))
                send()
            }
            return
        }
        send()
    }
}

extension Outcome.Position {
    /// Where a delivery report says a copy went.
    init(_ report: DeliveryReport) {
        self.init(topic: report.topic, partition: report.partition, offset: report.offset)
    }
}
