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

    private let producer: KafkaProducer
    private let admin: KafkaAdmin
    private let topicSettings: NIOLockedValueBox<TopicSettings>
    private let createdTopics = NIOLockedValueBox<Set<String>>([])
    private let lastAcknowledged = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
    private let logger: Logger

    public init(producer: KafkaProducer, admin: KafkaAdmin, topics: TopicSettings, logger: Logger) {
        self.producer = producer
        self.admin = admin
        self.topicSettings = NIOLockedValueBox(topics)
        self.logger = logger
    }

    /// Applies the topic settings of a reloaded config.
    public func updateTopicSettings(_ settings: TopicSettings) { topicSettings.withLockedValue { $0 = settings } }

    /// Records that the broker answered (a delivery report or a health probe).
    public func markBrokerAnswered() { lastAcknowledged.withLockedValue { $0 = .now } }

    public var isHealthy: Bool {
        guard let last = lastAcknowledged.withLockedValue({ $0 }) else { return false }
        return ContinuousClock.now - last < .seconds(10)
    }

    public func publish(_ event: Event, to topics: [String], timeout: Duration) async throws(WebhookError) -> PublishReceipt {
        let outcome = await withDeadline(timeout) { [self] in
            await self.sendAll(event, to: topics)
        }
        switch outcome {
        case .none:
            logger.warning("kafka did not acknowledge in time", metadata: ["event.id": "\(event.id)", "timeout": "\(timeout)"])
            throw WebhookError.brokerUnavailable("Kafka did not acknowledge the event within \(timeout); retry later")
        case .some(.failure(let error)):
            logger.warning("kafka publish failed", metadata: ["event.id": "\(event.id)", "error": "\(error)"])
            throw WebhookError.brokerUnavailable("Kafka did not accept the event (\(error.code.name)); retry later")
        case .some(.success):
            return PublishReceipt(spooled: false)
        }
    }

    /// Sends to every topic concurrently; succeeds only when every topic acknowledged.
    func sendAll(_ event: Event, to topics: [String]) async -> Result<Void, KafkaError> {
        let value = event.jsonBytes()
        let key = Array(event.partitionKey.utf8)
        var headers = [
            KafkaHeader(key: "content-type", value: Array("application/cloudevents+json; charset=utf-8".utf8)),
            KafkaHeader(key: "ce_id", value: Array(event.id.utf8)),
            KafkaHeader(key: "ce_type", value: Array(event.type.utf8)),
            KafkaHeader(key: "ce_source", value: Array(event.source.utf8)),
        ]
        if let subject = event.subject { headers.append(KafkaHeader(key: "ce_subject", value: Array(subject.utf8))) }
        do {
            try await ensureTopics(topics)
        } catch {
            return .failure(error)
        }
        let sendHeaders = headers
        return await withTaskGroup(of: Result<DeliveryReport, KafkaError>.self) { group in
            for topic in topics {
                group.addTask { [producer] in
                    do {
                        return .success(try await producer.send(topic: topic, key: key, value: value, headers: sendHeaders))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var firstError: KafkaError?
            for await result in group {
                switch result {
                case .success(let report):
                    markBrokerAnswered()
                    Counter(label: "hookway_kafka_produced_total", dimensions: [("topic", report.topic)]).increment()
                case .failure(let error):
                    if firstError == nil { firstError = error }
                }
            }
            if let firstError { return .failure(firstError) }
            return .success(())
        }
    }

    /// Creates topics on first use when `kafka.topics.autoCreate` is on (idempotent).
    private func ensureTopics(_ topics: [String]) async throws(KafkaError) {
        let settings = topicSettings.withLockedValue { $0 }
        guard settings.autoCreate else { return }
        let missing = createdTopics.withLockedValue { known in topics.filter { !known.contains($0) } }
        guard !missing.isEmpty else { return }
        try await admin.createTopics(missing, partitions: settings.partitions, replicationFactor: settings.replicationFactor, timeout: .seconds(5))
        createdTopics.withLockedValue { $0.formUnion(missing) }
        logger.info("topics ready", metadata: ["topics": "\(missing.joined(separator: ","))"])
    }
}
