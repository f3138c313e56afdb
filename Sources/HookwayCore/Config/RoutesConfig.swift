/// routes.json, version 1 (CONTRACT.md §4), validated and compiled. Build one with
/// ``RoutesConfigLoader``; every value here has passed validation.
public struct RoutesConfig: Sendable {
    public var version: Int
    public var kafka: KafkaSettings
    public var limits: Limits
    public var spool: SpoolSettings
    /// Sources by name.
    public var sources: [String: SourceConfig]
    /// Source names in file order.
    public var sourceNames: [String]
    public var routes: [Route]
    /// Sinks by name.
    public var sinks: [String: SinkConfig]
    /// Sink names in file order.
    public var sinkNames: [String]
    /// The files its `file:` references read (secrets, key lists, allow-lists): a change to
    /// one reloads the config like a change to routes.json does.
    public var referencedFiles: [String] = []

    /// The compiled routing decision.
    public var routeTable: RouteTable { RouteTable(routes: routes, unroutedTopic: kafka.unroutedTopic) }

    /// `5 sources, 7 routes, 3 sinks`.
    public var summary: String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(plural(sources.count, "source")), \(plural(routes.count, "route")), \(plural(sinks.count, "sink"))"
    }
}

/// `kafka` in routes.json.
public struct KafkaSettings: Sendable, Hashable {
    public var brokers: String?
    public var partitions: Int32 = 6
    public var replicationFactor: Int16 = 1
    public var autoCreate = true
    /// librdkafka properties passed through to the producer, on top of Hookway's defaults.
    public var producer: [String: String] = [:]
    /// librdkafka properties passed through to consumers.
    public var consumer: [String: String] = [:]
    public var unroutedTopic = "webhooks.unrouted"
    /// Where `confirm` sinks also publish their mismatches and not-founds (`kafka.mismatchTopic`).
    public var mismatchTopic = "webhooks.mismatch"
    /// Where the ingress and the sinks report each event's outcomes (`kafka.outcomeTopic`,
    /// ``Outcome``); `null` in the file turns them off.
    public var outcomeTopic: String? = "hookway.outcomes"
    /// Most topics the ingress creates from templates (`kafka.topics.maxAutoCreated`): an
    /// authenticated sender's new event names cannot grow the cluster's topics and the metric
    /// series without bound. Past it, events for a new templated topic go to ``unroutedTopic``.
    public var maxAutoCreated = 1_000
    /// How long the ingress waits for `acks=all` before answering 503 (or spooling).
    public var ackTimeoutMs = 5000
    /// How events are written to Kafka (`kafka.cloudEvents.mode`): structured (the default) or
    /// binary per the CloudEvents Kafka protocol binding. Readers take both.
    public var cloudEventsMode = CloudEventsMode.structured

    /// librdkafka's own default `message.max.bytes`.
    public static let librdkafkaDefaultMessageMaxBytes = 1_000_000
    /// Kafka brokers' default `message.max.bytes` (1 MiB plus the batch header).
    public static let brokerDefaultMessageMaxBytes = 1_048_588
    /// Room for the CloudEvent envelope around a body (ids, type, headers): what
    /// `message.max.bytes` gets beyond `limits.maxBodyBytes` when the file does not set it.
    public static let envelopeReserveBytes = 65_536

    /// The producer's `message.max.bytes`: `kafka.producer` wins; otherwise big enough for a
    /// `maxBodyBytes` body and its envelope (and never below librdkafka's default).
    public func messageMaxBytes(for limits: Limits) -> Int {
        if let configured = producer["message.max.bytes"].flatMap(Int.init) { return configured }
        return max(Self.librdkafkaDefaultMessageMaxBytes, limits.maxBodyBytes + Self.envelopeReserveBytes)
    }

    /// Properties Hookway owns; overriding them would break the delivery promise.
    public static let ownedProducerProperties: Set<String> = ["enable.idempotence", "acks", "request.required.acks"]
    public static let ownedConsumerProperties: Set<String> = ["enable.auto.commit", "enable.auto.offset.store", "group.id"]

    public init() {}
}

/// `limits` in routes.json: what any request, authenticated or not, may cost the ingress
/// (docs/security.md lists each with what it bounds).
public struct Limits: Sendable, Hashable {
    static let keys: Set<String> = [
        "maxBodyBytes", "readTimeoutMs", "shutdownTimeoutMs", "headerTimeoutMs", "idleTimeoutMs", "maxConnections",
        "maxRequestsPerConnection", "maxAmountDigits", "trustedProxies", "proxyProtocol",
    ]

    public var maxBodyBytes = 1_048_576
    /// A request body must arrive within this time (slow-body protection).
    public var readTimeoutMs = 10_000
    public var shutdownTimeoutMs = 15_000
    /// A request head (request line and headers) must arrive within this time of its first
    /// byte — of the connection's start for the first request (slowloris protection).
    public var headerTimeoutMs = 10_000
    /// A keep-alive connection with no request in progress is closed after this time.
    public var idleTimeoutMs = 60_000
    /// Connections served at once; more wait in the listen backlog (read at start).
    public var maxConnections = 4_096
    /// A connection is closed (`Connection: close`) after this many requests.
    public var maxRequestsPerConnection = 1_000
    /// Amounts with more significant digits get no `data.amount` (and a warning).
    public var maxAmountDigits = ExactDecimal.defaultMaxSignificantDigits
    /// Peers whose forwarding headers are believed (`X-Forwarded-For`, PROXY protocol).
    public var trustedProxies: [CIDRBlock] = []
    /// Trusted proxies send a PROXY protocol v1/v2 header first on each connection.
    public var proxyProtocol = false
    public init() {}

    /// The client a request comes from: the TCP peer, unless the peer is a trusted proxy —
    /// then the address the PROXY header gave, else the rightmost address of
    /// `X-Forwarded-For` that is not itself a trusted proxy (the leftmost entries are
    /// whatever the client wrote and prove nothing).
    public func clientAddress(peer: IPAddress?, proxied: IPAddress?, forwardedFor: [String]) -> IPAddress? {
        guard let peer, trustedProxies.contains(where: { $0.contains(peer) }) else { return peer }
        if let proxied { return proxied }
        return ForwardedFor.clientAddress(headerValues: forwardedFor, trusted: trustedProxies) ?? peer
    }
}

/// `spool` in routes.json: the local durable log used while Kafka does not acknowledge.
public struct SpoolSettings: Sendable, Hashable {
    public enum FsyncMode: String, Sendable, Hashable { case always, batch }
    public var enabled = false
    public var path = "var/spool"
    public var maxBytes: Int64 = 1_073_741_824
    public var fsync: FsyncMode = .always
    public init() {}
}

/// A sink's `kind` (`email`); the kinds themselves are declared next to their sinks.
public struct SinkKind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
}

/// `retry` of a sink.
public struct RetryPolicy: Sendable, Hashable {
    public var attempts = 5
    public var backoffMs = 500
    public var maxBackoffMs = 30_000
    public init() {}
}

/// `rateLimit` of a sink: deliveries started per second, with a burst (a token bucket).
public struct SinkRateLimit: Sendable, Hashable {
    /// Sustained deliveries per second (> 0; fractions allowed: 0.5 is one every two seconds).
    public var perSecond: Double
    /// Deliveries that may start at once after a quiet spell (≥ 1).
    public var burst: Int
    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }
}

/// `circuitBreaker` of a sink: when the destination keeps failing, stop calling it and pause
/// the sink (no retries spent, nothing dead-lettered) until a single probe delivery succeeds.
public struct CircuitBreakerSettings: Sendable, Hashable {
    /// Opens after this many retriable failures in a row.
    public var consecutiveFailures = 5
    /// Or when at least this share of the deliveries in `windowMs` failed (0 < r ≤ 1) …
    public var failureRatio = 0.5
    /// … once the window holds at least `minimumCalls` deliveries.
    public var minimumCalls = 20
    public var windowMs = 60_000
    /// How long it stays open before one delivery probes the destination.
    public var probeIntervalMs = 30_000
    public init() {}
}

/// One entry of `sinks`.
public struct SinkConfig: Sendable {
    public var name: String
    public var kind: SinkKind
    public var topics: [String]
    /// Consumer group, default `hookway.sink.{name}`.
    public var group: String
    public var retry: RetryPolicy
    /// Dead-letter topic, default `webhooks.dlq.{name}`.
    public var deadLetterTopic: String
    /// Messages worked on at once across keys (per-key order is kept): `concurrency`
    /// (`maxInFlight` is its older name).
    public var maxInFlight: Int
    /// `rateLimit`: `nil` for no limit.
    public var rateLimit: SinkRateLimit?
    /// `circuitBreaker`: `nil` for none (retries, then the dead-letter topic).
    public var circuitBreaker: CircuitBreakerSettings?
    /// The whole sink object, for the kind's own typed options.
    public var options: JSONValue
    /// Directory of the routes file, for relative paths in options.
    public var baseDirectory: String

    public init(name: String, kind: SinkKind, topics: [String], options: JSONValue = .object([]), baseDirectory: String = ".") {
        self.name = name
        self.kind = kind
        self.topics = topics
        self.group = "hookway.sink.\(name)"
        self.retry = RetryPolicy()
        self.deadLetterTopic = "webhooks.dlq.\(name)"
        self.maxInFlight = 16
        self.options = options
        self.baseDirectory = baseDirectory
    }
}

/// One thing wrong (or suspicious) in a routes file: a JSON path and a sentence.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }
    public var path: String
    public var message: String
    public var severity: Severity

    public init(_ path: String, _ message: String, severity: Severity = .error) {
        self.path = path
        self.message = message
        self.severity = severity
    }

    /// `$.sources.bitnob.secrets[0]: literal secret; use "env:NAME" or "file:PATH"`.
    public var description: String { severity == .warning ? "\(path): warning: \(message)" : "\(path): \(message)" }
}
