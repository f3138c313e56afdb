import CRdKafka
public import Logging
import NIOConcurrencyHelpers

/// An idempotent Kafka producer whose `send` returns when the broker has acknowledged the
/// message with `acks=all`.
///
/// A dedicated poll thread serves librdkafka's delivery reports; sends are matched to their
/// reports by an integer id carried as the message opaque.
///
/// ```swift
/// let producer = try KafkaProducer(
///     configuration: KafkaProducerConfiguration(bootstrapServers: "localhost:9092"),
///     logger: logger)
/// let report = try await producer.send(topic: "payments", key: Array("cus_1".utf8), value: body)
/// await producer.shutdown(timeout: .seconds(10))
/// ```
public final class KafkaProducer: Sendable {
    let handle: RdKafkaHandle
    let core: ProducerCore
    let logger: Logger

    /// Creates the producer and starts its poll thread.
    ///
    /// - Throws: ``KafkaError/Code/config`` for a rejected property,
    ///   ``KafkaError/Code/creation`` if librdkafka cannot create the client.
    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        for ignored in configuration.overriddenEnforcedProperties {
            logger.warning("ignoring producer property that would weaken durability", metadata: ["property": "\(ignored)"])
        }
        let core = ProducerCore(logger: logger)
        let conf = try RdKafkaConfiguration.make(configuration.rdKafkaProperties)
        // The opaque is released by the poll thread right after rd_kafka_destroy (or below if
        // creation fails); until then librdkafka may call back with it.
        let opaque = Unmanaged.passRetained(core)
        rd_kafka_conf_set_opaque(conf, opaque.toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        rd_kafka_conf_set_log_cb(conf, clientLogCallback)
        let rk: OpaquePointer
        do {
            rk = try RdKafkaConfiguration.makeClient(RD_KAFKA_PRODUCER, conf: conf)
        } catch {
            opaque.release()
            throw error
        }
        self.handle = RdKafkaHandle(rk, wakeQueue: rd_kafka_queue_get_main(rk))
        self.core = core
        self.logger = logger
        let handle = self.handle
        DedicatedThread.start(name: "hookway.kafka.producer") {
            ProducerPollLoop(handle: handle, core: core, opaque: opaque).run()
        }
    }

    deinit {
        // No send or flush can be running (each holds `self`), so this only tears down.
        enqueue(.init(kind: .shutdown, timeout: .zero, continuation: nil))
    }

    /// The number of sends awaiting a delivery report.
    public var inFlightCount: Int {
        core.state.withLockedValue { $0.inFlightCount }
    }

    /// Waits until every message sent so far has been delivered or has failed.
    ///
    /// - Throws: `_TIMED_OUT` if messages are still outstanding after `timeout`,
    ///   ``KafkaError/Code/closed`` after ``shutdown(timeout:)``.
    public func flush(timeout: Duration) async throws(KafkaError) {
        let error = await withCheckedContinuation { continuation in
            enqueue(.init(kind: .flush, timeout: timeout, continuation: continuation))
        }
        if let error { throw error }
    }

    /// Flushes for up to `timeout`, then purges what is left (those sends fail with
    /// `_PURGE_QUEUE`/`_PURGE_INFLIGHT`) and destroys the client. Every outstanding send gets a
    /// report or an error; later sends fail with ``KafkaError/Code/closed``.
    public func shutdown(timeout: Duration) async {
        _ = await withCheckedContinuation { continuation in
            enqueue(.init(kind: .shutdown, timeout: timeout, continuation: continuation))
        }
    }

    private func enqueue(_ command: ProducerStateMachine.Command) {
        switch core.state.withLockedValue({ $0.enqueue(command) }) {
        case .wakePollThread:
            handle.wake()
        case .completeNow(let continuation, let error):
            continuation?.resume(returning: error)
        }
    }
}

/// State shared by the producer, its poll thread and librdkafka's callbacks (as the client opaque).
final class ProducerCore: Sendable {
    let state = NIOLockedValueBox(ProducerStateMachine())
    let reportBatch = DeliveryReportBatch()
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }
}
