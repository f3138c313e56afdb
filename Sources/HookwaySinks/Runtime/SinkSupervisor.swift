public import HookwayCore
public import HookwayKafka
public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle

/// Runs every configured sink (or the named ones) and follows routes.json edits: sinks added
/// start, sinks removed stop, sinks whose settings changed restart — without a process restart.
public final class SinkSupervisor: Service, Sendable {
    public typealias SinkFactory = @Sendable (SinkConfig, Logger) throws -> any Sink

    struct Running: Sendable {
        let runner: SinkRunner
        let task: Task<Void, Never>
        let fingerprint: JSONValue
    }

    let brokers: String
    let only: Set<String>
    let producer: KafkaProducer
    let logger: Logger
    let factory: SinkFactory
    let running = NIOLockedValueBox<[String: Running]>([:])
    let initial: RoutesConfig

    public init(config: RoutesConfig, brokers: String, only: [String], producer: KafkaProducer, logger: Logger, factory: @escaping SinkFactory) {
        self.initial = config
        self.brokers = brokers
        self.only = Set(only)
        self.producer = producer
        self.logger = logger
        self.factory = factory
    }

    /// Names of the sinks running now.
    public var runningSinks: [String] { running.withLockedValue { $0.keys.sorted() } }

    public func run() async throws {
        apply(initial)
        try? await gracefulShutdown()
        let all = running.withLockedValue { current in
            defer { current = [:] }
            return Array(current.values)
        }
        for r in all { r.runner.stop() }
        for r in all { await r.task.value }
    }

    /// Brings the running sinks in line with `config`.
    public func apply(_ config: RoutesConfig) {
        let wanted = config.sinkNames.filter { only.isEmpty || only.contains($0) }
        var toStop: [Running] = []
        var toStart: [SinkConfig] = []
        running.withLockedValue { current in
            for (name, r) in current where !wanted.contains(name) || config.sinks[name]?.options != r.fingerprint {
                toStop.append(r)
                current[name] = nil
            }
            for name in wanted where current[name] == nil {
                if let sink = config.sinks[name] { toStart.append(sink) }
            }
        }
        for r in toStop {
            logger.info("stopping sink", metadata: ["sink": "\(r.runner.config.name)"])
            r.runner.stop()
        }
        for sinkConfig in toStart {
            let sink: any Sink
            do {
                sink = try factory(sinkConfig, logger)
            } catch {
                logger.error("cannot start sink", metadata: ["sink": "\(sinkConfig.name)", "error": "\(error)"])
                continue
            }
            let runner = SinkRunner(
                config: sinkConfig, sink: sink, brokers: brokers, consumerProperties: config.kafka.consumer, producer: producer, logger: logger,
                topicPartitions: config.kafka.partitions, topicReplication: config.kafka.replicationFactor
            )
            let logger = self.logger
            let task = Task {
                do {
                    try await runner.run()
                } catch {
                    logger.error("sink failed", metadata: ["sink": "\(sinkConfig.name)", "error": "\(error)"])
                }
            }
            running.withLockedValue { $0[sinkConfig.name] = Running(runner: runner, task: task, fingerprint: sinkConfig.options) }
        }
    }
}
