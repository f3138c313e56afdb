public import HookwayCore

/// Makes an event durable on its topics. The ingress answers 200 only after `publish` returns.
public protocol EventPublisher: Sendable {
    /// Publishes `event` to every topic and returns once all are acknowledged, or throws a
    /// ``WebhookError`` (503 `broker_unavailable` with `Retry-After`) when that does not happen
    /// within `timeout`.
    func publish(_ event: Event, to topics: [String], timeout: Duration) async throws(WebhookError) -> PublishReceipt
    /// True when the broker answered recently.
    var isHealthy: Bool { get }
}

/// What `publish` achieved.
public struct PublishReceipt: Sendable {
    /// True when the event went to the local spool instead of Kafka (published later).
    public var spooled: Bool
    public init(spooled: Bool) { self.spooled = spooled }
}
