import ArgumentParser
import Foundation
import HookwayCore
import HookwayIngress
import HookwayKafka
import HookwayRuntime
import Logging
import ServiceLifecycle

/// `hookway serve`: the ingress.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the webhook ingress: verify, normalize, route, publish to Kafka.")

    @OptionGroup var config: ConfigOption
    @OptionGroup var brokers: BrokersOption
    @Option(help: "Address to listen on (default: $HOOKWAY_HOST or 0.0.0.0).") var host: String?
    @Option(help: "Port to listen on (default: $HOOKWAY_PORT or 8080).") var port: Int?
    @Option(help: "Seconds to wait for the brokers at start before exiting with code 2.") var startupTimeout: Int = 30

    func run() async throws {
        let logger = LogSetup.bootstrap(label: "hookway.serve")
        var loaded = try config.load()
        let env = ProcessInfo.processInfo.environment
        let tracing: TraceExport.Running?
        do {
            tracing = try TraceExport.bootstrap(serviceName: "hookway-serve", environment: env, logger: logger)
        } catch {
            throw fail(error, logger: logger, context: "cannot start the ingress", exitCode: 1)
        }
        // One spool per replica: a container or pod sets its own volume's path here, so replicas
        // sharing one routes.json never share a spool directory.
        if let spoolPath = env["HOOKWAY_SPOOL_PATH"], !spoolPath.isEmpty {
            loaded.spool.path = spoolPath
        }
        let routes = loaded
        // Checked before waiting for the brokers: a spool that cannot work is a configuration
        // error (exit 1 naming the path), not a broker outage to wait out and restart on.
        if routes.spool.enabled {
            do {
                try Spool.checkWritable(routes.spool.path)
            } catch {
                throw fail(error, logger: logger, context: "cannot start the ingress", exitCode: 1)
            }
        }
        let options = IngressServer.Options(
            configPath: config.path,
            host: host ?? env["HOOKWAY_HOST"] ?? "0.0.0.0",
            port: port ?? env["HOOKWAY_PORT"].flatMap(Int.init) ?? 8080,
            brokers: brokers.resolve(routes),
            tracer: tracing?.tracer
        )
        let metrics = MetricsEndpoint.shared
        let admin = KafkaAdmin(bootstrapServers: options.brokers)
        let deadline = ContinuousClock.now + .seconds(startupTimeout)
        while !(await admin.isReachable(timeout: .seconds(2))) {
            let why = admin.lastProbeError.map { "\($0.message) [\($0.code)]" } ?? "no answer"
            if ContinuousClock.now >= deadline {
                logger.critical(
                    "brokers unreachable at start",
                    metadata: ["brokers": "\(options.brokers)", "waited_s": "\(startupTimeout)", "error": "\(why)"]
                )
                printError("hookway serve: brokers \(options.brokers) unreachable for \(startupTimeout) s: \(why)")
                throw ExitCode(2)
            }
            logger.warning("waiting for brokers", metadata: ["brokers": "\(options.brokers)", "error": "\(why)"])
            try await Task.sleep(for: .seconds(1))
        }
        let server: IngressServer
        do {
            server = try IngressServer(config: routes, options: options, metrics: metrics.render, admin: admin, logger: logger)
        } catch {
            throw fail(error, logger: logger, context: "cannot start the ingress", exitCode: error.code == .spoolUnavailable ? 1 : 2)
        }
        var services = server.makeServices { port in
            logger.info(
                "listening",
                metadata: ["address": "\(options.host):\(port)", "config": "\(options.configPath)", "summary": "\(routes.summary)"]
            )
        }
        services.insert(ConfigWatcher(path: config.path, watching: routes.referencedFiles, logger: logger) { server.apply($0) }, at: 0)
        // First in the group, so last to stop: the spans of the shutdown are exported too.
        if let tracing { services.insert(tracing.service, at: 0) }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // Stop accepting, let in-flight requests end (200 or 503), flush the producer, close the
        // spool — all within limits.shutdownTimeoutMs.
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(routes.limits.shutdownTimeoutMs)
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
    }
}
