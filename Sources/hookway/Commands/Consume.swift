import ArgumentParser
import Foundation
import HookwayCore
import HookwayKafka
import HookwayRuntime
import HookwaySinks
import Logging
import ServiceLifecycle

/// `hookway consume`: the sink consumers.
struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the sink consumers (email, CRM, accounting) of the routes file.")

    @OptionGroup var config: ConfigOption
    @OptionGroup var brokers: BrokersOption
    @Option(name: .customLong("sink"), help: "Run only this sink (repeatable; default: every sink).") var sinks: [String] = []
    @Option(help: "Serve GET /metrics and /healthz on this port (env HOOKWAY_METRICS_PORT; default: off).") var metricsPort: Int?

    func run() async throws {
        let logger = LogSetup.bootstrap(label: "hookway.consume")
        let routes = try config.load()
        let tracing: TraceExport.Running?
        do {
            tracing = try TraceExport.bootstrap(serviceName: "hookway-consume", environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch {
            throw fail(error, logger: logger, context: "cannot start the sinks", exitCode: 1)
        }
        for name in sinks where routes.sinks[name] == nil {
            printError("no sink named \"\(name)\" in \(config.path); sinks: \(routes.sinkNames.joined(separator: ", "))")
            throw ExitCode(1)
        }
        let brokerList = brokers.resolve(routes)
        let metrics = MetricsEndpoint.shared
        let metricsPort = self.metricsPort ?? ProcessInfo.processInfo.environment["HOOKWAY_METRICS_PORT"].flatMap(Int.init)
        let producer = try KafkaProducer.forCommand(clientID: "hookway-sinks", brokers: brokerList, routes: routes, logger: logger)
        let supervisor = SinkSupervisor(config: routes, brokers: brokerList, only: sinks, producer: producer, logger: logger) { sink, context in
            try SinkRegistry.make(sink, context: context)
        }
        let watcher = ConfigWatcher(path: config.path, watching: routes.referencedFiles, logger: logger) { supervisor.apply($0) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ProducerLifetime(producer: producer)), .init(service: watcher), .init(service: supervisor),
        ]
        if !ReconcilePoller.sources(in: routes).isEmpty {
            services.append(.init(service: ReconcilePoller(routes: routes, brokers: brokerList, producer: producer, logger: logger)))
        }
        if let metricsPort {
            let host = ProcessInfo.processInfo.environment["HOOKWAY_HOST"] ?? "0.0.0.0"
            let grace = Duration.seconds(ProcessInfo.processInfo.environment["HOOKWAY_SINK_DOWN_GRACE_S"].flatMap(Int.init) ?? 30)
            let health: @Sendable () -> (healthy: Bool, json: String) = { SinkHealth.report(supervisor.health, grace: grace) }
            services.insert(
                .init(service: MetricsServer.make(host: host, port: metricsPort, metrics: metrics, logger: logger, health: health)),
                at: 0
            )
        }
        // First in the group, so last to stop: the spans of the drain are exported too.
        if let tracing { services.insert(.init(service: tracing.service), at: 0) }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // Sinks drain within two thirds of it (SinkSupervisor), the rest leaves the groups.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(routes.limits.shutdownTimeoutMs)
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.info(
            "consuming",
            metadata: ["sinks": "\((sinks.isEmpty ? routes.sinkNames : sinks).joined(separator: ","))", "brokers": "\(brokerList)"]
        )
        try await group.run()
    }
}

/// Flushes the dead-letter producer after the sinks stopped (it is first in the group, so last to stop).
struct ProducerLifetime: Service {
    let producer: KafkaProducer
    func run() async throws {
        try? await gracefulShutdown()
        await producer.shutdown(timeout: .seconds(10))
    }
}
