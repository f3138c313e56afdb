public import HookwayCore
public import HookwayKafka

/// Makes an event durable on its topics. The ingress answers 200 only after `completion`
/// reports success.
public protocol EventPublisher: Sendable {
    /// Publishes `event` to every topic, written in `mode`; `completion` is called exactly once, on any thread
    /// (the connection's event loop when it fails at once, else the producer's poll thread),
    /// and must not block: with a receipt once every topic acknowledged (or the spool took it),
    /// else a ``WebhookError`` (503 `broker_unavailable` with `Retry-After`) when that does not
    /// happen within `timeout`.
    func publish(
        _ event: Event,
        to topics: [String],
        timeout: Duration,
        mode: CloudEventsMode,
        completion: @escaping @Sendable (Result<PublishReceipt, WebhookError>) -> Void
    )
    /// True when the broker answered recently.
    var isHealthy: Bool { get }
}

/// What `publish` achieved.
public struct PublishReceipt: Sendable {
    /// True when the event went to the local spool instead of Kafka (published later).
    public var spooled: Bool
    /// Where each copy went (empty when spooled): the publish span's partition and offset.
    /// The delivery reports as they came, so a receipt costs no copy.
    public var reports: [DeliveryReport]
    public init(spooled: Bool, reports: [DeliveryReport] = []) {
        self.spooled = spooled
        self.reports = reports
    }
}
