import Metrics

/// Why the ingress closed a connection itself (the `reason` label of
/// `hookway_connections_closed_total`; a fixed set, never from input).
enum ConnectionCloseReason: String, CaseIterable, Sendable {
    case headerTimeout = "header_timeout"
    case idleTimeout = "idle_timeout"
    case bodyTimeout = "body_timeout"
    case maxRequests = "max_requests"
    case invalidProxyHeader = "invalid_proxy_header"

    private static let counters: [ConnectionCloseReason: Counter] = Dictionary(
        uniqueKeysWithValues: allCases.map {
            ($0, Counter(label: "hookway_connections_closed_total", dimensions: [("reason", $0.rawValue)]))
        }
    )

    func count() { Self.counters[self]?.increment() }
}
