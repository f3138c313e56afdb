import HookwayCore
public import HookwayKafka
public import Logging
import Metrics
public import ServiceLifecycle

/// Publishes spooled events, oldest segment first and in order within it, as soon as Kafka
/// answers; deletes a segment only when every event in it is acknowledged. Survives restarts:
/// segments left on disk are drained on start (a segment interrupted halfway is published again
/// from its start — duplicates carry the same event id).
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

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await reportStats()
            guard let segment = await spool.nextSegmentToDrain() else {
                try? await Task.sleep(for: .milliseconds(250))
                continue
            }
            let records = await spool.read(path: segment.path)
            try? await publisher.ensureTopics(Array(Set(records.flatMap(\.topics))).sorted(), force: true)
            var index = 0
            var wait = Duration.milliseconds(100)
            while index < records.count {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                let r = records[index]
                let headers = r.headers.map { KafkaHeader(key: $0.0, value: $0.1) }
                let publisher = self.publisher
                let outcome = await publisher.sendAll(topics: r.topics, key: r.key, value: r.value, headers: headers, timeout: stuckAfter)
                switch outcome {
                case .none:
                    if await admin.isReachable(timeout: .seconds(2)) {
                        publisher.replaceProducer(reason: "spool drain made no progress for \(stuckAfter) while the broker answers")
                    }
                case .some(.success):
                    index += 1
                    wait = .milliseconds(100)
                    Counter(label: "hookway_spool_drained_total").increment()
                case .some(.failure(let error)):
                    logger.debug("spool drain waiting for kafka", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: wait)
                    wait = min(wait * 2, .seconds(5))
                }
            }
            await spool.remove(sequence: segment.sequence)
            logger.info("spool segment drained", metadata: ["segment": "\(segment.sequence)", "events": "\(records.count)"])
        }
    }

    func reportStats() async {
        let stats = await spool.stats
        publisher.noteSpool(hasRoom: stats.bytes + 1_048_576 <= spool.maxBytes)
        Gauge(label: "hookway_spool_bytes").record(stats.bytes)
        Gauge(label: "hookway_spool_events").record(stats.events)
        let age = stats.oldestSpooledAt.map { Double(Timestamp.now().millisecondsSinceEpoch - $0) / 1000 } ?? 0
        Gauge(label: "hookway_spool_oldest_age_seconds").record(age)
    }
}
