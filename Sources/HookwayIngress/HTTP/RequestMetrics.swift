import Metrics
import NIOConcurrencyHelpers

/// The ingress's per-request metrics, with handles created once per label set: building a
/// handle goes through the metrics factory (label formatting, a registry lookup under its
/// lock), which is too much to pay on every request.
final class RequestMetrics: Sendable {
    struct RequestKey: Hashable {
        var source: String
        var code: String
        var status: Int
    }

    private let requests = NIOLockedValueBox<[RequestKey: Counter]>([:])
    private let durations = NIOLockedValueBox<[String: Timer]>([:])
    /// Requests being answered right now (`hookway_requests_in_flight`).
    let inFlight = Meter(label: "hookway_requests_in_flight")

    static let shared = RequestMetrics()

    /// Counts one answered webhook and its duration.
    func record(source: String, code: String, status: Int, nanoseconds: Int64) {
        let key = RequestKey(source: source, code: code, status: status)
        let counter = requests.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "hookway_requests_total", dimensions: [("source", source), ("code", code), ("status", String(status))])
            counters[key] = counter
            return counter
        }
        counter.increment()
        let timer = durations.withLockedValue { timers in
            if let timer = timers[source] { return timer }
            let timer = Timer(label: "hookway_request_duration_seconds", dimensions: [("source", source)], preferredDisplayUnit: .seconds)
            timers[source] = timer
            return timer
        }
        timer.recordNanoseconds(nanoseconds)
    }
}

extension Duration {
    /// Whole nanoseconds (saturating far beyond any request's duration).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ attoseconds / 1_000_000_000
    }
}
