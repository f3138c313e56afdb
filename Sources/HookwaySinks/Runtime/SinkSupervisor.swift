public import HookwayCore
public import HookwayKafka
public import Logging
import Metrics
import NIOConcurrencyHelpers
public import ServiceLifecycle

/// Runs every configured sink (or the named ones) and follows routes.json edits: sinks added
/// start, sinks removed stop, sinks whose settings changed restart — without a process restart.
///
/// A sink whose run dies (its consumer fails fatally, its store cannot open) is restarted with
/// exponential backoff (1 s … 60 s) from a fresh sink and consumer; ``health`` and
/// `hookway_sink_up{sink}` say which sinks are up, and since when one is down.
public final class SinkSupervisor: Service, Sendable {
    public typealias SinkFactory = @Sendable (SinkConfig, SinkContext) throws -> any Sink

    let brokers: String
    let only: Set<String>
    let producer: KafkaProducer
    let logger: Logger
    let factory: SinkFactory
    /// The routes file in force, which sinks run, their runners and health: one state
    /// machine, one lock.
    let state: NIOLockedValueBox<SinkSupervisorStateMachine>
    /// Slots to start (id and settings), from ``apply(_:)`` to the task group of ``run()``.
    let starts = AsyncStream<(id: Int, config: SinkConfig)>.makeStream()
    let initial: RoutesConfig
    /// Restart backoff: the first wait, doubled up to the maximum.
    let restartBackoff: (first: Duration, max: Duration)
    /// How long in-flight work may take after a stop (from `limits.shutdownTimeoutMs`).
    let drainTimeout: Duration

    public init(
        config: RoutesConfig,
        brokers: String,
        only: [String],
        producer: KafkaProducer,
        logger: Logger,
        restartBackoff: (first: Duration, max: Duration) = (.seconds(1), .seconds(60)),
        factory: @escaping SinkFactory
    ) {
        self.initial = config
        self.state = NIOLockedValueBox(SinkSupervisorStateMachine(routes: config))
        self.brokers = brokers
        self.only = Set(only)
        self.producer = producer
        self.logger = logger
        self.restartBackoff = restartBackoff
        // Leave a share of the shutdown bound for leaving the group and flushing the producer.
        self.drainTimeout = .milliseconds(max(1_000, config.limits.shutdownTimeoutMs * 2 / 3))
        self.factory = factory
    }

    /// Names of the sinks running now.
    public var runningSinks: [String] { state.withLockedValue { $0.runningSinks } }

    /// Each sink's state, by name.
    public var health: [SinkHealth] {
        let now = ContinuousClock.now
        return state.withLockedValue { $0.health(now: now) }
    }

    /// The runner of `name` now (for the package's fault-injection tests).
    package func runner(named name: String) -> SinkRunner? { state.withLockedValue { $0.runner(named: name) } }

    /// Runs every sink in a child task of its own until graceful shutdown; ``apply(_:)``
    /// hands new sinks to this scope through ``starts``, so no sink runs outside it.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                // Cancellation ends the wait as a shutdown would.
                try? await gracefulShutdown()
                self.starts.continuation.finish()
            }
            apply(initial)
            for await slot in starts.stream {
                group.addTask { await self.supervise(slot.id, slot.config) }
            }
            for runner in state.withLockedValue({ $0.stopAll() }) { runner.stop() }
            // The group waits for every sink to drain and stop.
        }
    }

    /// Brings the running sinks in line with `config`.
    public func apply(_ config: RoutesConfig) {
        let changes = state.withLockedValue { $0.apply(config, only: only) }
        for name in changes.stopped { logger.info("stopping sink", metadata: ["sink": "\(name)"]) }
        for runner in changes.stop { runner.stop() }
        for slot in changes.start { starts.continuation.yield(slot) }
    }

    /// Runs slot `id`'s sink until it is stopped, restarting it whenever its run dies.
    func supervise(_ id: Int, _ sinkConfig: SinkConfig) async {
        var backoff = restartBackoff.first
        let name = sinkConfig.name
        let up = Gauge(label: "hookway_sink_up", dimensions: [("sink", name)])
        defer { state.withLockedValue { $0.ended(id) } }
        while !state.withLockedValue({ $0.isStopped(id) }), !Task.isCancelled {
            let failure: String
            do {
                let settings = state.withLockedValue { $0.routes }
                let sink = try factory(sinkConfig, SinkContext(logger: logger, producer: producer, routes: settings, brokers: brokers))
                let runner = SinkRunner(
                    config: sinkConfig,
                    sink: sink,
                    brokers: brokers,
                    consumerProperties: settings.kafka.consumer,
                    producer: producer,
                    logger: logger,
                    drainTimeout: drainTimeout,
                    topicPartitions: settings.kafka.partitions,
                    topicReplication: settings.kafka.replicationFactor,
                    outcomeTopic: settings.kafka.outcomeTopic
                )
                guard state.withLockedValue({ $0.install(runner, in: id) }) else {
                    runner.stop()
                    return
                }
                up.record(1)
                let started = ContinuousClock.now
                defer { if ContinuousClock.now - started > restartBackoff.max { backoff = restartBackoff.first } }
                try await runner.run()
                if runner.wasStopped || state.withLockedValue({ $0.isStopped(id) }) { return }
                failure = "the sink's run ended without a stop"
            } catch {
                failure = "\(error)"
            }
            if state.withLockedValue({ $0.isStopped(id) }) { return }
            state.withLockedValue { $0.runFailed(id, error: failure, now: .now) }
            up.record(0)
            logger.error("sink down; restarting", metadata: ["sink": "\(name)", "error": "\(failure)", "in": "\(backoff)"])
            do {
                try await Task.sleep(for: backoff)
            } catch {
                return
            }
            backoff = min(backoff * 2, restartBackoff.max)
        }
    }
}

/// One sink's health as `hookway consume`'s `/healthz` reports it.
public struct SinkHealth: Sendable, Equatable {
    public var name: String
    /// How long the sink has been down (`nil`: up).
    public var downFor: Duration?
    public var lastError: String?
    public var restarts: Int
    /// The circuit breaker's state (`closed`, `half_open`, `open`): `nil` without a breaker.
    public var circuit: String?

    public init(name: String, downFor: Duration? = nil, lastError: String? = nil, restarts: Int = 0, circuit: String? = nil) {
        self.name = name
        self.downFor = downFor
        self.lastError = lastError
        self.restarts = restarts
        self.circuit = circuit
    }

    public var isUp: Bool { downFor == nil }
}

extension SinkHealth {
    /// `/healthz` of `hookway consume`: 200 unless a sink has been down longer than `grace`
    /// (a restart in progress is not an outage yet), with every sink's state.
    public static func report(_ sinks: [SinkHealth], grace: Duration) -> (healthy: Bool, json: String) {
        let failing = sinks.filter { ($0.downFor ?? .zero) > grace }
        var w = JSONWriter(reservingCapacity: 128)
        w.appendRaw(Array(#"{"status":"#.utf8))
        w.appendString(failing.isEmpty ? "ok" : "failing")
        w.appendRaw(Array(#","sinks":{"#.utf8))
        for (i, sink) in sinks.enumerated() {
            if i > 0 { w.appendRaw(Array(",".utf8)) }
            w.appendString(sink.name)
            w.appendRaw(Array(#":{"up":"#.utf8))
            w.appendRaw(Array((sink.isUp ? "true" : "false").utf8))
            w.appendRaw(Array(#","restarts":"#.utf8))
            w.appendRaw(Array(String(sink.restarts).utf8))
            if let down = sink.downFor {
                w.appendRaw(Array(#","downSeconds":"#.utf8))
                w.appendRaw(Array(String(down.components.seconds).utf8))
            }
            if let circuit = sink.circuit {
                // An open circuit is the destination's outage, not the sink's: reported, not failing.
                w.appendRaw(Array(#","circuit":"#.utf8))
                w.appendString(circuit)
            }
            if let error = sink.lastError {
                w.appendRaw(Array(#","error":"#.utf8))
                w.appendString(LogSafe.text(error, limit: 256))
            }
            w.appendRaw(Array("}".utf8))
        }
        w.appendRaw(Array("}}".utf8))
        return (failing.isEmpty, String(decoding: w.bytes, as: UTF8.self))
    }
}
