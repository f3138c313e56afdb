import HookwayCore

/// What `/readyz` says: ready when Kafka answered lately or the spool can take events, and
/// why not otherwise — so an operator sees which of the two is down.
public struct Readiness: Sendable, Equatable {
    public enum SpoolState: String, Sendable { case ok, full, unhealthy, off }
    public var kafkaReachable: Bool
    public var spool: SpoolState
    /// Why a broker probe failed: librdkafka's code and message.
    public struct ProbeError: Sendable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Why the last broker probe failed, while unreachable.
    public var kafkaError: ProbeError?

    public init(kafkaReachable: Bool, spool: SpoolState, kafkaError: ProbeError? = nil) {
        self.kafkaReachable = kafkaReachable
        self.spool = spool
        self.kafkaError = kafkaError
    }

    public var ready: Bool { kafkaReachable || spool == .ok }

    /// `{"status":"ready","kafka":"reachable","spool":"ok"}`; while Kafka is unreachable also
    /// `"kafkaError":{"code":"_TRANSPORT","message":"…"}` when a probe said why.
    public var json: String {
        var w = JSONWriter(reservingCapacity: 160)
        w.appendRaw(Array(#"{"status":"#.utf8))
        w.appendString(ready ? "ready" : "not ready")
        w.appendRaw(Array(#","kafka":"#.utf8))
        w.appendString(kafkaReachable ? "reachable" : "unreachable")
        w.appendRaw(Array(#","spool":"#.utf8))
        w.appendString(spool.rawValue)
        if !kafkaReachable, let kafkaError {
            w.appendRaw(Array(#","kafkaError":{"code":"#.utf8))
            w.appendString(kafkaError.code)
            w.appendRaw(Array(#","message":"#.utf8))
            w.appendString(kafkaError.message)
            w.appendRaw(Array("}".utf8))
        }
        w.appendRaw(Array("}".utf8))
        return String(decoding: w.bytes, as: UTF8.self)
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
        let probeError = isHealthy ? nil : admin.lastProbeError
        return Readiness(kafkaReachable: isHealthy, spool: spoolState, kafkaError: probeError.map { .init(code: $0.code.name, message: $0.message) })
    }
}
