import HookwayCore
import Metrics
import NIOConcurrencyHelpers

/// Metric handles created once per label set: building a handle goes through the metrics
/// factory (label formatting, a registry lookup under its lock), which is too much to pay on
/// every request or message.
final class MetricHandles<Key: Hashable & Sendable, Handle: Sendable>: Sendable {
    private let handles = NIOLockedValueBox<[Key: Handle]>([:])
    private let make: @Sendable (Key) -> Handle

    init(_ make: @escaping @Sendable (Key) -> Handle) {
        self.make = make
    }

    subscript(key: Key) -> Handle {
        handles.withLockedValue { handles in
            if let handle = handles[key] { return handle }
            let handle = make(key)
            handles[key] = handle
            return handle
        }
    }
}

/// The ingress's per-request metrics.
final class RequestMetrics: Sendable {
    struct RequestKey: Hashable, Sendable {
        var source: String
        var code: String
        var status: Int
    }

    /// `hookway_requests_total{source,code,status}`.
    let requests = MetricHandles<RequestKey, Counter> { key in
        Counter(label: "hookway_requests_total", dimensions: [("source", key.source), ("code", key.code), ("status", String(key.status))])
    }
    struct WarningKey: Hashable, Sendable {
        var source: String
        var code: String
    }

    /// `hookway_intake_warnings_total{source,code}`: what accepted events had left out
    /// (`amount_too_long`, `unsigned_members_dropped`, counted per member).
    let warnings = MetricHandles<WarningKey, Counter> { key in
        Counter(label: "hookway_intake_warnings_total", dimensions: [("source", key.source), ("code", key.code)])
    }
    private let durations = MetricHandles<String, Timer> { source in
        Timer(label: "hookway_request_duration_seconds", dimensions: [("source", source)], preferredDisplayUnit: .seconds)
    }
    /// `hookway_source_last_accepted_timestamp_seconds{source}`: when the source last had a
    /// webhook accepted (the "source silent" alert compares the silence with its usual gaps).
    private let lastAccepted = MetricHandles<String, Gauge> { source in
        Gauge(label: "hookway_source_last_accepted_timestamp_seconds", dimensions: [("source", source)])
    }
    /// Requests being answered right now (`hookway_requests_in_flight`).
    let inFlight = Meter(label: "hookway_requests_in_flight")

    static let shared = RequestMetrics()

    /// Counts one answered webhook and its duration.
    func record(source: String, code: String, status: Int, nanoseconds: Int64) {
        requests[RequestKey(source: source, code: code, status: status)].increment()
        durations[source].recordNanoseconds(nanoseconds)
        if (200..<300).contains(status) {
            lastAccepted[source].record(Double(Timestamp.now().millisecondsSinceEpoch) / 1000)
        }
    }

    /// `hookway_source_answer_deadline_seconds{source}` for each source whose provider stops
    /// waiting for our answer after a known time (Bitso's 5 s): the alert on publish latency
    /// compares the p99 with it. Set at start and at every reload.
    static func noteAnswerDeadlines(_ config: RoutesConfig) {
        for (name, source) in config.sources {
            guard let deadline = source.traits.answerDeadlineMs else { continue }
            Gauge(label: "hookway_source_answer_deadline_seconds", dimensions: [("source", name)]).record(Double(deadline) / 1000)
        }
    }
}

extension Duration {
    /// Whole nanoseconds (saturating far beyond any request's duration).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ attoseconds / 1_000_000_000
    }
}
