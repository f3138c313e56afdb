public import HookwayKafka
public import ServiceLifecycle

/// Probes the brokers every `interval` so `/readyz` reflects whether Kafka answers even when no
/// webhook arrives.
public struct BrokerHealthMonitor: Service {
    let admin: KafkaAdmin
    let interval: Duration
    let onAnswer: @Sendable () -> Void

    public init(admin: KafkaAdmin, interval: Duration = .seconds(3), onAnswer: @escaping @Sendable () -> Void) {
        self.admin = admin
        self.interval = interval
        self.onAnswer = onAnswer
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if await admin.isReachable(timeout: .seconds(2)) { onAnswer() }
            try? await Task.sleep(for: interval)
        }
    }
}
