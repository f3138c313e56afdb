import Metrics
public import Prometheus

/// The Prometheus registry behind `/metrics`, bootstrapped once per process as the
/// swift-metrics backend so every `Counter(label:)` in any module lands here.
public struct MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// The process-wide endpoint; the first use makes its registry the swift-metrics backend
    /// (which can be bootstrapped only once per process).
    public static let shared: MetricsEndpoint = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return MetricsEndpoint(registry: registry)
    }()

    /// The exposition in Prometheus text format.
    public func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        registry.emit(into: &buffer)
        return buffer
    }
}
