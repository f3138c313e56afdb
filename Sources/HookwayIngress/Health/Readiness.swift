/// What `/readyz` says: ready when Kafka answered lately or the spool can take events, and
/// why not otherwise — so an operator sees which of the two is down.
public struct Readiness: Sendable, Equatable {
    public enum SpoolState: String, Sendable { case ok, full, unhealthy, off }
    public var kafkaReachable: Bool
    public var spool: SpoolState

    public var ready: Bool { kafkaReachable || spool == .ok }

    /// `{"status":"ready","kafka":"reachable","spool":"ok"}`.
    public var json: String {
        #"{"status":"\#(ready ? "ready" : "not ready")","kafka":"\#(kafkaReachable ? "reachable" : "unreachable")","spool":"\#(spool.rawValue)"}"#
    }
}

extension KafkaEventPublisher {
    /// The readiness this publisher can promise now.
    public var readiness: Readiness {
        let spoolState: Readiness.SpoolState
        if spool == nil {
            spoolState = .off
        } else {
            spoolState = state.withLockedValue { !$0.spoolHealthy ? .unhealthy : $0.spoolHasRoom ? .ok : .full }
        }
        return Readiness(kafkaReachable: isHealthy, spool: spoolState)
    }
}
