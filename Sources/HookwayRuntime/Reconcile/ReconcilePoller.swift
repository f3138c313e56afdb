public import HookwayCore
public import HookwayKafka
import HookwayProviders
public import Logging
import Metrics
public import ServiceLifecycle
import Tracing

/// `api.pollEvery` in `hookway consume`: runs ``Reconciler`` for each source that asks for it,
/// every `pollEvery`. Replicas share the watermark in Kafka: a replica finds a watermark
/// younger than half the period and skips its turn, so N replicas do about one run per period.
public struct ReconcilePoller: Service {
    let routes: RoutesConfig
    let brokers: String
    let producer: KafkaProducer
    let logger: Logger

    public init(routes: RoutesConfig, brokers: String, producer: KafkaProducer, logger: Logger) {
        self.routes = routes
        self.brokers = brokers
        self.producer = producer
        self.logger = logger
    }

    /// The sources the poller runs for.
    public static func sources(in routes: RoutesConfig) -> [SourceConfig] {
        routes.sourceNames.compactMap { routes.sources[$0] }.filter { $0.api?.pollEvery != nil }
    }

    /// Polls until shutdown; a shutdown cancels the wait between runs (and a run in progress:
    /// what it already published stays, its watermark is not moved, the next run repeats it).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for source in Self.sources(in: routes) {
                    group.addTask { await poll(source) }
                }
            }
        }
    }

    func poll(_ source: SourceConfig) async {
        guard let period = source.api?.pollEvery, let api = ProviderRegistry.api(for: source) else { return }
        defer { Task { await api.shutdown() } }
        let reconciler = Reconciler(source: source, api: api, routes: routes, brokers: brokers, producer: producer, logger: logger)
        let recovered = Counter(label: "hookway_reconcile_recovered_total", dimensions: [("source", source.name)])
        let failures = Counter(label: "hookway_reconcile_failures_total", dimensions: [("source", source.name)])
        while !Task.isCancelled {
            do {
                let stored = try await WatermarkStore(brokers: brokers, routes: routes).read(source: source.name)
                let now = Timestamp.now()
                let half = period.components.seconds * 500
                if let stored, now.millisecondsSinceEpoch - stored.millisecondsSinceEpoch < half {
                    logger.debug("reconcile: another run is recent; skipping", metadata: ["source": "\(source.name)"])
                } else {
                    // One span per run: the provider API calls are its children.
                    let report = try await withSpan("reconcile \(source.name)", ofKind: .internal) { span in
                        span.attributes["hookway.source"] = source.name
                        let report = try await reconciler.run(now: now)
                        span.attributes["hookway.reconcile.listed"] = report.listed
                        span.attributes["hookway.reconcile.recovered"] = report.recovered.count
                        return report
                    }
                    recovered.increment(by: report.recovered.count)
                    logger.info(
                        "reconciled",
                        metadata: [
                            "source": "\(source.name)", "listed": "\(report.listed)", "already": "\(report.alreadyInKafka)",
                            "recovered": "\(report.recovered.map(\.event.id).joined(separator: ","))",
                        ]
                    )
                }
            } catch {
                failures.increment()
                // withSpan rethrows untyped: every error here is a ReconcileError, anything else unclassified.
                let code = (error as? ReconcileError).map { "\($0.code)" } ?? "internal"
                let message = (error as? ReconcileError)?.message ?? "\(error)"
                logger.error("reconcile failed", metadata: ["source": "\(source.name)", "code": "\(code)", "error": "\(message)"])
            }
            do {
                try await Task.sleep(for: period)
            } catch {
                return
            }
        }
    }
}
