public import HookwayCore

/// Makes an event durable on its topics. The ingress answers 200 only after `publish` returns.
public protocol EventPublisher: Sendable {
    /// Publishes `event` to every topic and returns once all are acknowledged, or throws a
    /// ``WebhookError`` (503 `broker_unavailable` with `Retry-After`) when that does not happen
    /// within `timeout`.
    func publish(_ event: Event, to topics: [String], timeout: Duration) async throws(WebhookError) -> PublishReceipt
    /// The same for a caller that cannot wait (the ingress's event loop): `completion` is called
    /// exactly once, on any thread, and must not block. The default runs the `async` form in a task.
    func publish(
        _ event: Event,
        to topics: [String],
        timeout: Duration,
        completion: @escaping @Sendable (Result<PublishReceipt, WebhookError>) -> Void
    )
    /// True when the broker answered recently.
    var isHealthy: Bool { get }
}

extension EventPublisher {
    public func publish(
        _ event: Event,
        to topics: [String],
        timeout: Duration,
        completion: @escaping @Sendable (Result<PublishReceipt, WebhookError>) -> Void
    ) {
        Task {
            do throws(WebhookError) {
                completion(.success(try await publish(event, to: topics, timeout: timeout)))
            } catch {
                completion(.failure(error))
            }
        }
    }
}

/// What `publish` achieved.
public struct PublishReceipt: Sendable {
    /// True when the event went to the local spool instead of Kafka (published later).
    public var spooled: Bool
    public init(spooled: Bool) { self.spooled = spooled }
}
