import HookwayKafka
import Metrics

extension KafkaEventPublisher {
    /// Replaces a wedged or broken producer. librdkafka's idempotent producer can loop forever
    /// bumping its epoch against a broker that lost its state (a restarted development broker
    /// answers "unknown producer id" to every epoch), and a fatal error leaves it unusable; a
    /// fresh producer gets a fresh id. The old one is closed at once, its queue purged: whatever
    /// it held was answered 503 or is in the spool.
    ///
    /// `generation`: the producer the caller saw; a report about an already replaced producer
    /// does nothing. `force`: skip the minimum interval (a fatal error will not heal by waiting).
    public func replaceProducer(reason: String, generation: Int? = nil, force: Bool = false) {
        let allowed = state.withLockedValue { state in
            force ? (generation.map { $0 == state.generation } ?? true) : state.beginReplacement(now: .now, ofGeneration: generation)
        }
        guard allowed else { return }
        let fresh: KafkaProducer
        do {
            fresh = try makeProducer()
        } catch {
            logger.error("cannot create a replacement producer", metadata: ["error": "\(error)"])
            return
        }
        let old = state.withLockedValue { $0.replaced(with: fresh) }
        Self.replacementCounter.increment()
        logger.warning("kafka producer replaced", metadata: ["reason": "\(reason)"])
        Task { await old.shutdown(timeout: .zero) }
    }

    /// A timeout while the broker answers metadata means the producer, not Kafka, is stuck; a
    /// few in a row replace it.
    func noteTimeout(generation: Int) {
        let admin = self.admin
        Task {
            let answers = await admin.isReachable(timeout: .seconds(2))
            if state.withLockedValue({ $0.timedOut(brokerAnswers: answers) }) {
                replaceProducer(reason: "publishes timed out while the broker answers", generation: generation)
            }
        }
    }
}

extension KafkaEventPublisher {
    /// `hookway_producer_replacements_total`.
    static let replacementCounter = Counter(label: "hookway_producer_replacements_total")
}
