public import HookwayCore
public import HookwayKafka
public import HookwayProviders
import HookwayTracing
public import Logging
import NIOConcurrencyHelpers
import Tracing

/// Recovers webhooks that never came: lists a source's recent entities from its provider's
/// API (newest first, paging until older than the watermark), builds for each the CloudEvent
/// its webhook would have produced — the same deterministic id, `authmethod: "api"` — and
/// publishes those whose id is not yet in the topics the routes send it to.
///
/// The watermark lives in the compacted topic ``watermarkTopic`` (key: the source name), so
/// restarts and several replicas start where the last run ended. Each run re-reads the
/// ``settleWindow`` before the watermark: an entity created then may have changed status
/// since (a pending deposit completing), and that change is a new event.
public struct Reconciler: Sendable {
    /// The compacted topic of watermarks.
    public static let watermarkTopic = "hookway.reconcile.watermarks"
    /// How far back a first run (no watermark, no `--since`) looks.
    public static let firstLookback: Int64 = 24 * 3_600_000
    /// How much before the watermark each run re-reads, for status changes of older entities.
    public static let settleWindow: Int64 = 24 * 3_600_000
    /// Most pages one run reads (a bound on what one run can cost the provider's rate limit).
    public static let maxPages = 200

    /// What one run found and did.
    public struct Report: Sendable {
        public var source: String
        /// Entities read from the API within the window.
        public var listed = 0
        /// Entities whose webhook's event cannot be told from the API (no event built).
        public var unmappable = 0
        /// Events already in Kafka (their ids found in their topics).
        public var alreadyInKafka = 0
        /// Events published now (or, with `dryRun`, that would be), with their topics.
        public var recovered: [(event: Event, topics: [String])] = []
        /// The window's start: the watermark minus the settle window, or `--since`.
        public var from: Timestamp
        /// The watermark stored after the run (`nil` for a dry run).
        public var newWatermark: Timestamp?
        public var dryRun: Bool
    }

    let source: SourceConfig
    let api: any ProviderAPI
    let routes: RoutesConfig
    let brokers: String
    let producer: KafkaProducer
    let logger: Logger
    /// Candidates checked against Kafka and published together: what a run holds at once,
    /// whatever the number of pages (a page's entities are dropped once they are events).
    let batchLimit: Int

    public init(
        source: SourceConfig,
        api: any ProviderAPI,
        routes: RoutesConfig,
        brokers: String,
        producer: KafkaProducer,
        logger: Logger,
        batchLimit: Int = 500
    ) {
        self.batchLimit = max(1, batchLimit)
        self.source = source
        self.api = api
        self.routes = routes
        self.brokers = brokers
        self.producer = producer
        self.logger = logger
    }

    /// One run. `since` overrides the stored watermark; `dryRun` publishes and stores nothing.
    public func run(since: Timestamp? = nil, dryRun: Bool = false, now: Timestamp = .now()) async throws(ReconcileError) -> Report {
        let stored = try await WatermarkStore(brokers: brokers, routes: routes).read(source: source.name)
        let from =
            since
            ?? stored.map { Timestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch - Self.settleWindow) }
            ?? Timestamp(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Self.firstLookback)
        var report = Report(source: source.name, from: from, dryRun: dryRun)

        var batch: [Event] = []
        var seen = Set<String>()
        try await forEachPage(since: from) { entities throws(ReconcileError) in
            for entity in entities {
                report.listed += 1
                guard let event = api.event(for: entity, source: source, at: now) else {
                    report.unmappable += 1
                    continue
                }
                if seen.insert(event.id).inserted { batch.append(event) }
            }
            if batch.count >= batchLimit {
                try await settle(batch, since: from, dryRun: dryRun, report: &report)
                batch.removeAll()
            }
        }
        try await settle(batch, since: from, dryRun: dryRun, report: &report)
        guard !dryRun else { return report }
        try await WatermarkStore(brokers: brokers, routes: routes).write(source: source.name, watermark: now, producer: producer)
        report.newWatermark = now
        return report
    }

    /// Checks a batch of candidates against Kafka and publishes the missing ones (unless
    /// `dryRun`). The report keeps their ids, types and topics, not their payloads.
    func settle(_ candidates: [Event], since from: Timestamp, dryRun: Bool, report: inout Report) async throws(ReconcileError) {
        guard !candidates.isEmpty else { return }
        let table = routes.routeTable
        let topicsByID = Dictionary(candidates.map { ($0.id, table.topics(for: $0)) }, uniquingKeysWith: { first, _ in first })
        let present = try await idsInKafka(Set(candidates.map(\.id)), topics: Set(topicsByID.values.joined()), since: from)
        var recovered: [(event: Event, topics: [String])] = []
        for event in candidates {
            if present.contains(event.id) {
                report.alreadyInKafka += 1
            } else {
                recovered.append((event, topicsByID[event.id] ?? []))
            }
        }
        if !dryRun { try await publish(recovered) }
        for (event, topics) in recovered {
            var kept = event
            kept.data.payload = .null
            report.recovered.append((kept, topics))
        }
    }

    /// Pages newest first until a page reaches entities older than `since`, each handed to
    /// `body` before the next is read (a run never holds more than one page of responses).
    /// Transient errors are retried (the provider's `Retry-After` first) up to five times per page.
    func forEachPage(since: Timestamp, _ body: ([APIEntity]) async throws(ReconcileError) -> Void) async throws(ReconcileError) {
        var cursor: String?
        for _ in 0..<Self.maxPages {
            let page = try await withRetries { () async throws(APIError) -> APIPage in try await api.list(cursor: cursor) }
            var reachedOlder = false
            var fresh: [APIEntity] = []
            for entity in page.entities {
                if let created = entity.createdAt, created < since {
                    reachedOlder = true
                    continue
                }
                fresh.append(entity)
            }
            try await body(fresh)
            guard let next = reachedOlder ? page.nextSeries : page.next else { return }
            cursor = next
        }
        logger.warning("reconcile stopped after the page limit", metadata: ["source": "\(source.name)", "pages": "\(Self.maxPages)"])
    }

    func withRetries<T>(_ call: () async throws(APIError) -> T) async throws(ReconcileError) -> T {
        var delay = Duration.seconds(1)
        for attempt in 1...5 {
            do {
                return try await call()
            } catch {
                guard error.isRetriable, attempt < 5 else { throw ReconcileError(api: error, source: source.name) }
                // Bounded whatever the provider asked (RetryAfter.parse clamps too; a limiter's own wait is ours).
                let wait = min(max(delay, error.retryAfter ?? .zero), RetryAfter.maximum)
                logger.warning("provider API failed; retrying", metadata: ["source": "\(source.name)", "error": "\(error)", "delay": "\(wait)"])
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    throw ReconcileError(code: .reconcileFailed, "\(source.name): cancelled", retriable: true)
                }
                delay = min(delay * 2, .seconds(30))
            }
        }
        throw ReconcileError(code: .reconcileFailed, "\(source.name): retries exhausted", retriable: true)
    }

    /// The ids among `ids` that some message in `topics` (from an hour before `since`, for
    /// clock skew between the provider and the brokers) carries in `ce_id`.
    func idsInKafka(_ ids: Set<String>, topics: Set<String>, since: Timestamp) async throws(ReconcileError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let found = FoundIDs()
        do {
            try await KafkaTopicReader.read(
                bootstrapServers: brokers,
                topics: topics.sorted(),
                since: since.millisecondsSinceEpoch - 3_600_000,
                properties: routes.kafka.consumer
            ) { message in
                guard let header = message.headers.first(where: { $0.key == "ce_id" })?.value else { return }
                let id = String(decoding: header, as: UTF8.self)
                if ids.contains(id) { found.insert(id) }
            }
        } catch {
            throw ReconcileError(
                code: .reconcileKafka,
                "\(source.name): reading \(topics.sorted().joined(separator: ", ")): \(error)",
                retriable: true
            )
        }
        return found.ids
    }

    func publish(_ recovered: [(event: Event, topics: [String])]) async throws(ReconcileError) {
        let topics = Set(recovered.flatMap(\.topics))
        if routes.kafka.autoCreate, !topics.isEmpty {
            // Already-existing topics count as created; a broker that refuses shows in the send.
            try? await KafkaAdmin(bootstrapServers: brokers).createTopics(
                topics.sorted(),
                partitions: routes.kafka.partitions,
                replicationFactor: routes.kafka.replicationFactor,
                timeout: .seconds(10)
            )
        }
        // A recovered event belongs to the run that found it (its span, when tracing is on): the
        // sinks' spans for it continue that trace.
        let trace = ServiceContext.current.flatMap { TraceContext(of: $0) }
        for (found, topics) in recovered {
            var event = found
            if let trace { event.traceContext = trace }
            let message = event.kafkaMessage(routes.kafka.cloudEventsMode)
            let headers = message.headers.map { KafkaHeader(key: $0.key, value: $0.value) }
            for topic in topics {
                do {
                    _ = try await producer.send(topic: topic, key: message.key, value: message.value, headers: headers)
                } catch {
                    throw ReconcileError(
                        code: .reconcileKafka,
                        "\(source.name): publishing \(event.id) to \(topic): \(error)",
                        retriable: error.isRetriable
                    )
                }
            }
        }
    }
}

/// The ids a topic read found (the reader calls back on its own thread).
final class FoundIDs: Sendable {
    private let box = NIOLockedValueBox(Set<String>())
    func insert(_ id: String) { _ = box.withLockedValue { $0.insert(id) } }
    var ids: Set<String> { box.withLockedValue { $0 } }
}

/// Why a reconcile run failed.
public struct ReconcileError: HookwayError {
    public var code: ErrorCode
    public var message: String
    public var isRetriable: Bool
    public var description: String { "\(code): \(message)" }

    public init(code: ErrorCode, _ message: String, retriable: Bool) {
        self.code = code
        self.message = message
        self.isRetriable = retriable
    }

    init(api error: APIError, source: String) {
        self.init(code: error.code, "\(source): \(error.message)", retriable: error.isRetriable)
    }
}

extension ErrorCode {
    /// A reconcile run could not finish.
    public static let reconcileFailed: ErrorCode = "reconcile_failed"
    /// Kafka could not be read or written during a reconcile run.
    public static let reconcileKafka: ErrorCode = "reconcile_kafka"
}
