public import HookwayCore
import HookwayKafka
import HookwayProviders
import HookwayTracing
import Logging
import Metrics
import NIOConcurrencyHelpers
import Tracing

/// The `confirm` sink: fetches each matching event's entity from the provider's own API,
/// compares status, amount (exact decimals) and currency, and publishes the event with its
/// `confirmation` to `outputTopic` — mismatches and not-founds also to `kafka.mismatchTopic`.
///
/// Transient API failures and 429s are thrown as transient errors, so the runner retries them
/// with the sink's backoff (honouring `Retry-After`); a 404 is asked again every
/// `notFoundIntervalMs` until the event is `notFoundWindowMs` old. Redeliveries publish the same
/// event id again, which consumers deduplicate like any webhook retry.
public final class ConfirmSink: Sink {
    let name: String
    let options: ConfirmOptions
    let apis: [String: any ProviderAPI]
    let producer: KafkaProducer
    let mismatchTopic: String
    /// How confirmations are written (`kafka.cloudEvents.mode`).
    let cloudEventsMode: CloudEventsMode
    let logger: Logger
    let topics: TopicsOnce
    public let secrets: [Secret]

    init(
        name: String,
        options: ConfirmOptions,
        apis: [String: any ProviderAPI],
        producer: KafkaProducer,
        mismatchTopic: String,
        cloudEventsMode: CloudEventsMode = .structured,
        topics: TopicsOnce,
        secrets: [Secret],
        logger: Logger
    ) {
        self.name = name
        self.options = options
        self.apis = apis
        self.producer = producer
        self.mismatchTopic = mismatchTopic
        self.cloudEventsMode = cloudEventsMode
        self.topics = topics
        self.secrets = secrets
        self.logger = logger
        // Every result's series from the start, at 0: the mismatch alert's increase() then sees
        // the first mismatch.
        for result in [Confirmation.Result.matched, .mismatch, .notFound] { _ = Self.counter(sink: name, result: result) }
    }

    /// `hookway_confirm_total{sink,result}`.
    static func counter(sink: String, result: Confirmation.Result) -> Counter {
        Counter(label: "hookway_confirm_total", dimensions: [("sink", sink), ("result", result.rawValue)])
    }

    /// Builds the sink with one API client per source that has `api`.
    static func make(_ config: SinkConfig, context: SinkContext) throws -> ConfirmSink {
        let (options, problems) = ConfirmOptions.parse(config)
        guard let options else { throw SinkError.permanent(.sinkConfigInvalid, problems.map(\.description).joined(separator: "; ")) }
        guard let producer = context.producer, let routes = context.routes else {
            throw SinkError.permanent(.sinkConfigInvalid, "a confirm sink needs the process's Kafka producer and routes file")
        }
        var apis: [String: any ProviderAPI] = [:]
        var secrets: [Secret] = []
        for (sourceName, source) in routes.sources where options.source == nil || options.source == sourceName {
            guard let api = ProviderRegistry.api(for: source) else { continue }
            apis[sourceName] = api
            secrets += source.api.map { Array($0.credentials.values) } ?? []
        }
        let topics = TopicsOnce(
            names: [options.outputTopic, routes.kafka.mismatchTopic],
            brokers: context.brokers ?? routes.kafka.brokers ?? "localhost:9092",
            partitions: routes.kafka.partitions,
            replication: routes.kafka.replicationFactor
        )
        return ConfirmSink(
            name: config.name,
            options: options,
            apis: apis,
            producer: producer,
            mismatchTopic: routes.kafka.mismatchTopic,
            cloudEventsMode: routes.kafka.cloudEventsMode,
            topics: topics,
            secrets: secrets,
            logger: context.logger
        )
    }

    @discardableResult
    public func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        guard options.checks(event) else { return .skipped("not an event this sink checks") }
        let sourceName = options.source ?? event.data.source
        guard let api = apis[sourceName] else {
            throw .permanent(.eventUnusable, "source \"\(sourceName)\" has no \"api\" entry: the event cannot be confirmed")
        }
        await topics.ensure(logger: logger)
        var confirmed = event
        confirmed.confirmation = try await confirmation(of: event, api: api)
        guard let result = confirmed.confirmation?.result else { return .skipped("no confirmation") }
        // The confirmed event continues the trace from this delivery: its consumers' spans are
        // children of the span that asked the provider.
        if let context = ServiceContext.current, let trace = TraceContext(of: context) { confirmed.traceContext = trace }
        try await publish(confirmed, to: options.outputTopic)
        if result != .matched { try await publish(confirmed, to: mismatchTopic) }
        Self.counter(sink: name, result: result).increment()
        if result != .matched {
            logger.warning(
                "event not confirmed",
                metadata: ["event.id": "\(event.id)", "result": "\(result)", "reason": "\(confirmed.confirmation?.reason ?? "")"]
            )
        }
        return .confirmed(result.rawValue)
    }

    /// Asks the API, waiting out 404s within the window.
    func confirmation(of event: Event, api: any ProviderAPI) async throws(SinkError) -> Confirmation {
        let received = Timestamp(rfc3339: event.receivedAt) ?? .now()
        while true {
            let entity: APIEntity?
            do {
                entity = try await api.fetch(event)
            } catch {
                throw SinkError(code: error.code, error.message, permanent: !error.isRetriable, retryAfter: error.retryAfter)
            }
            let now = Timestamp.now()
            if let entity { return Self.compare(event, with: entity, api: api, at: now) }
            let age = now.millisecondsSinceEpoch - received.millisecondsSinceEpoch
            guard age < Int64(options.notFoundWindowMs) else { return Confirmation(result: .notFound, checkedAt: now.rfc3339) }
            do {
                try await Task.sleep(for: .milliseconds(min(options.notFoundIntervalMs, max(1, options.notFoundWindowMs - Int(age)))))
            } catch {
                throw .transient(.destinationUnavailable, "stopped while waiting for \(event.subject ?? event.id) to appear in the API")
            }
        }
    }

    /// Compares what the event says with what the API says; a field the event has and the API
    /// lacks is a mismatch too (money is not booked on an unverifiable amount).
    static func compare(_ event: Event, with entity: APIEntity, api: any ProviderAPI, at now: Timestamp) -> Confirmation {
        var differences: [String] = []
        if let status = event.data.status {
            if let apiStatus = entity.status {
                if !api.statusMatches(event: status, api: apiStatus) { differences.append("status: event \(status), api \(apiStatus)") }
            } else {
                differences.append("status: event \(status), api says none")
            }
        }
        if let amount = event.data.amount {
            if let apiAmount = entity.amount {
                if ExactDecimal(amount).flatMap({ a in ExactDecimal(apiAmount).map { a == $0 } }) != true {
                    differences.append("amount: event \(amount), api \(apiAmount)")
                }
            } else {
                differences.append("amount: event \(amount), api says none")
            }
        } else if api.webhooksCarryAmount {
            // The webhook had an amount Hookway left out (too long, not derivable): nothing to
            // compare, so nothing confirmed — a money event is not matched on its status alone.
            differences.append("amount: event says none, api \(entity.amount ?? "says none")")
        }
        if let direction = api.directionDifference(event: event, entity: entity) { differences.append(direction) }
        if let currency = event.data.currency {
            if let apiCurrency = entity.currency {
                if currency.lowercased() != apiCurrency.lowercased() { differences.append("currency: event \(currency), api \(apiCurrency)") }
            } else {
                differences.append("currency: event \(currency), api says none")
            }
        }
        return Confirmation(
            result: differences.isEmpty ? .matched : .mismatch,
            checkedAt: now.rfc3339,
            apiStatus: entity.status,
            apiAmount: entity.amount,
            apiCurrency: entity.currency,
            reason: differences.isEmpty ? nil : differences.joined(separator: "; ")
        )
    }

    func publish(_ event: Event, to topic: String) async throws(SinkError) {
        let message = event.kafkaMessage(cloudEventsMode)
        let headers = message.headers.map { KafkaHeader(key: $0.key, value: $0.value) }
        do {
            _ = try await producer.send(topic: topic, key: message.key, value: message.value, headers: headers)
        } catch {
            throw .transient(.destinationUnavailable, "publishing the confirmation of \(event.id) to \(topic) failed: \(error)")
        }
    }

    public func shutdown() async {
        for api in apis.values { await api.shutdown() }
    }
}

/// Creates the sink's output topics once, before the first publish.
final class TopicsOnce: Sendable {
    let names: [String]
    let brokers: String
    let partitions: Int32
    let replication: Int16
    private let done = NIOLockedValueBox(false)

    init(names: [String], brokers: String, partitions: Int32, replication: Int16) {
        self.names = names
        self.brokers = brokers
        self.partitions = partitions
        self.replication = replication
    }

    func ensure(logger: Logger) async {
        guard !done.withLockedValue({ $0 }) else { return }
        do {
            try await KafkaAdmin(bootstrapServers: brokers).createTopics(
                names,
                partitions: partitions,
                replicationFactor: replication,
                timeout: .seconds(10)
            )
            done.withLockedValue { $0 = true }
        } catch {
            // The broker may auto-create them; the publish that follows says whether it can.
            logger.warning(
                "could not create the confirm sink's topics",
                metadata: ["topics": "\(names.joined(separator: ","))", "error": "\(error)"]
            )
        }
    }
}
