public import HookwayCore
public import HookwayKafka

/// A destination for events: email, CRM, the ledger, or your own. The runtime calls `deliver`
/// for each event in partition-key order, retries what fails transiently, and dead-letters what
/// fails permanently or too often. Implementations must be idempotent on `event.id`: delivery
/// is at-least-once.
public protocol Sink: Sendable {
    /// Delivers one event and says what it did (reported to `kafka.outcomeTopic`); throws
    /// ``SinkError`` saying whether a retry could help.
    @discardableResult
    func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome
    /// Background work the sink needs while it delivers (a connection pool): the runner runs it
    /// as a child task beside the deliveries and cancels it when they are over.
    func run() async
    /// Releases connections and files; called once when the sink stops.
    func shutdown() async
    /// The resolved secrets the sink holds (`{env:…}`/`{file:…}` values in URLs, headers,
    /// passwords): the runtime scrubs them from every error it logs or dead-letters.
    var secrets: [Secret] { get }
}

extension Sink {
    public func run() async {}
    public func shutdown() async {}
    public var secrets: [Secret] { [] }
}

/// A sink that takes Kafka messages as they are (the `index` sink reads outcomes, which are
/// not CloudEvents). The runner gives it each message with the same retries, limits and
/// dead-lettering, and reports no outcome of it (the index would index its own reports).
public protocol RawMessageSink: Sink {
    func deliver(message: KafkaMessage) async throws(SinkError)
}

/// What a sink did with an event it did not fail: the outcome the runner reports.
public enum SinkOutcome: Sendable, Equatable {
    /// Delivered to the destination (the CRM, a custom sink).
    case delivered
    /// Booked in the ledger.
    case booked
    /// Sent by email.
    case sent
    /// Checked with the provider's API: `matched`, `mismatch` or `not_found`.
    case confirmed(String)
    /// Nothing to do, or done before (why, in a few words).
    case skipped(String)

    /// The outcome as reported: its kind and its `result`.
    public var report: (kind: Outcome.Kind, result: String?) {
        switch self {
        case .delivered: (.delivered, nil)
        case .booked: (.booked, nil)
        case .sent: (.sent, nil)
        case .confirmed(let result): (.confirmed, result)
        case .skipped(let why): (.skipped, why)
        }
    }
}

/// Why a delivery failed, and whether trying again could help.
public struct SinkError: HookwayError {
    /// What failed, stably (`smtp_rejected`, `ledger_busy`, …): the `hookway_error_code`
    /// header of a dead letter.
    public var code: ErrorCode
    public var message: String
    /// A bad template, a 4xx, an unbalanced posting: retrying cannot help, dead-letter now.
    public var isPermanent: Bool
    /// The destination asked for a pause (HTTP `Retry-After`).
    public var retryAfter: Duration?

    public var isRetriable: Bool { !isPermanent }

    public init(code: ErrorCode, _ message: String, permanent: Bool, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.isPermanent = permanent
        self.retryAfter = retryAfter
    }

    public static func transient(_ code: ErrorCode, _ message: String, retryAfter: Duration? = nil) -> SinkError {
        SinkError(code: code, message, permanent: false, retryAfter: retryAfter)
    }
    public static func permanent(_ code: ErrorCode, _ message: String) -> SinkError { SinkError(code: code, message, permanent: true) }

    public var description: String { "\(isPermanent ? "permanent" : "transient") \(code): \(message)" }
}

extension ErrorCode {
    /// A sink's options are invalid (`routes check` names the path).
    public static let sinkConfigInvalid: ErrorCode = "sink_config_invalid"
    /// An event lacks what the sink needs (a field a template or posting reads, an amount).
    public static let eventUnusable: ErrorCode = "event_unusable"
    /// A template rendered to something the destination cannot take (an address, a URL).
    public static let renderInvalid: ErrorCode = "render_invalid"
    /// The destination refused the delivery (SMTP 5xx, HTTP 4xx).
    public static let destinationRejected: ErrorCode = "destination_rejected"
    /// The destination could not be reached or answered a retriable failure.
    public static let destinationUnavailable: ErrorCode = "destination_unavailable"
    /// The sink's own local storage (ledger database, sent-log, outbox) failed.
    public static let storageFailed: ErrorCode = "storage_failed"
    /// The ledger database is locked by another writer.
    public static let storageBusy: ErrorCode = "storage_busy"
    /// The ledger requires a `matched` confirmation and the event has another (or none).
    public static let eventUnconfirmed: ErrorCode = "event_unconfirmed"
    /// A sink's Kafka consumer failed for good; the sink restarts.
    public static let consumerFailed: ErrorCode = "consumer_failed"
}
