import ArgumentParser
import HookwayCore
import HookwayKafka
import HookwayProviders
import HookwayRuntime
import Logging

/// `hookway reconcile SOURCE`: recovers the webhooks a provider never delivered, from its API.
struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a source's recent entities from its provider's API and publish the events whose webhooks never arrived."
    )

    @Argument(help: "The source (a key of \"sources\" with an \"api\" entry).") var source: String
    @OptionGroup var config: ConfigOption
    @OptionGroup var brokers: BrokersOption
    @Option(help: "Look back to this time (RFC 3339, or 30m / 6h / 7d ago) instead of the stored watermark.") var since: String?
    @Flag(help: "Print what would be published; publish nothing and keep the watermark.") var dryRun = false
    @Flag(
        help:
            "Ask the provider to resend its undelivered webhooks of the window (since --since, else the last 24 h) through its replay API, instead of publishing from its entities."
    ) var replay = false

    func run() async throws {
        var logger = Logger(label: "hookway.reconcile")
        logger.logLevel = .warning
        let routes = try config.load()
        guard let sourceConfig = routes.sources[source] else {
            printError("hookway reconcile: no source named \"\(source)\" in \(config.path); sources: \(routes.sourceNames.joined(separator: ", "))")
            throw ExitCode(1)
        }
        guard let api = ProviderRegistry.api(for: sourceConfig) else {
            printError("hookway reconcile: source \"\(source)\" has no \"api\" entry (see docs/reconciliation.md)")
            throw ExitCode(1)
        }
        // One "now" for the window's both ends: a replay's windows (Bitso's are at most 3 days)
        // must not gain a millisecond-long remainder between two readings of the clock.
        let now = Timestamp.now()
        var sinceTime: Timestamp?
        if let since {
            guard let parsed = Self.parseSince(since, now: now) else {
                printError("hookway reconcile: --since \"\(since)\" is neither an RFC 3339 time nor a duration like 30m, 6h or 7d")
                throw ExitCode(1)
            }
            sinceTime = parsed
        }
        if replay {
            try await runReplay(api: api, since: sinceTime, now: now)
            return
        }
        let brokerList = brokers.resolve(routes)
        let producer = try KafkaProducer.forCommand(clientID: "hookway-reconcile", brokers: brokerList, routes: routes, logger: logger)
        let reconciler = Reconciler(source: sourceConfig, api: api, routes: routes, brokers: brokerList, producer: producer, logger: logger)
        let report: Reconciler.Report
        do {
            report = try await reconciler.run(since: sinceTime, dryRun: dryRun)
        } catch {
            await api.shutdown()
            await producer.shutdown(timeout: .seconds(10))
            throw fail(error, logger: logger, context: "source \(source)", exitCode: 2)
        }
        await api.shutdown()
        await producer.shutdown(timeout: .seconds(10))
        print(ReconcileReportText.render(report))
    }

    /// `--replay`: the provider resends; Hookway's ingress receives the webhooks as usual.
    func runReplay(api: any ProviderAPI, since: Timestamp?, now: Timestamp) async throws {
        let from = since ?? Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Reconciler.firstLookback)
        let requests: [ReplayRequest]
        do {
            requests = try await api.replay(from: from, to: now, dryRun: dryRun)
        } catch {
            await api.shutdown()
            printError("hookway reconcile --replay: source \(source): \(error)")
            throw ExitCode(error.code == .apiUnsupported ? 1 : 2)
        }
        await api.shutdown()
        print(ReconcileReportText.renderReplay(source: source, from: from, to: now, requests: requests, dryRun: dryRun))
    }

    /// An RFC 3339 time, or a duration back from `now` (`30m`, `6h`, `7d`).
    static func parseSince(_ text: String, now: Timestamp) -> Timestamp? {
        if let time = Timestamp(rfc3339: text) { return time }
        let units: [Character: Int64] = ["m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last, let factor = units[unit], let n = Int64(text.dropLast()), n >= 0 else { return nil }
        let (back, overflow) = n.multipliedReportingOverflow(by: factor)
        guard !overflow, back <= now.millisecondsSinceEpoch else { return nil }
        return Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - back)
    }
}
