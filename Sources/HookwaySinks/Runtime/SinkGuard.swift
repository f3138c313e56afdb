import HookwayCore
import Logging
import Metrics
import NIOConcurrencyHelpers

/// Holds a sink's ``SinkGuardStateMachine`` behind one lock and does its waiting: every
/// delivery asks ``admit()`` before it calls the destination and reports how it went with
/// ``record(_:)``. While the circuit is open the lanes wait here, so the reader stops taking
/// messages and the consumer's bounded buffer pauses fetching: the sink's partitions stand
/// still instead of being retried through or dead-lettered.
final class SinkGuard: Sendable {
    private let state: NIOLockedValueBox<SinkGuardStateMachine>
    private let sink: String
    private let logger: Logger
    private let circuitGauge: Gauge
    private let throttled: FloatingPointCounter
    private let inFlight: Gauge
    /// How often a delivery waiting behind a probe looks again.
    private static let probeLook = Duration.milliseconds(50)

    init(sink: String, rateLimit: SinkRateLimit?, breaker: CircuitBreakerSettings?, logger: Logger) {
        self.state = NIOLockedValueBox(SinkGuardStateMachine(rateLimit: rateLimit, breaker: breaker))
        self.sink = sink
        self.logger = logger
        circuitGauge = Gauge(label: "hookway_sink_circuit_state", dimensions: [("sink", sink)])
        throttled = FloatingPointCounter(label: "hookway_sink_throttled_seconds_total", dimensions: [("sink", sink)])
        inFlight = Gauge(label: "hookway_sink_in_flight", dimensions: [("sink", sink)])
        circuitGauge.record(0)
        inFlight.record(0)
    }

    /// Waits until a delivery may start (rate limit, pause, circuit) and counts it in flight;
    /// `false` when the task was cancelled first. Every `true` must be followed by one
    /// ``record(_:)`` or ``finishedWithoutVerdict()``.
    func admit() async -> Bool {
        var waitedSince: ContinuousClock.Instant?
        defer {
            if let waitedSince {
                let waited = (ContinuousClock.now - waitedSince).components
                throttled.increment(by: Double(waited.seconds) + Double(waited.attoseconds) / 1e18)
            }
        }
        while true {
            let now = ContinuousClock.now
            let (admission, running) = state.withLockedValue { ($0.admit(now: now), $0.inFlight) }
            let pause: Duration
            switch admission {
            case .proceed:
                inFlight.record(running)
                publishCircuit()
                return true
            case .waitUntil(let until):
                pause = until - now
            case .waitForProbe:
                pause = Self.probeLook
            }
            if waitedSince == nil { waitedSince = now }
            do {
                try await Task.sleep(for: pause)
            } catch {
                return false
            }
        }
    }

    /// The destination's answer to an admitted delivery; `true` when the circuit is open now
    /// (the delivery waits in ``admit()`` instead of spending a retry).
    @discardableResult
    func record(_ outcome: SinkGuardStateMachine.Outcome) -> Bool {
        let (open, before, after, running) = state.withLockedValue { machine in
            let before = machine.circuitName
            let open = machine.record(outcome, now: .now)
            return (open, before, machine.circuitName, machine.inFlight)
        }
        inFlight.record(running)
        if before != after {
            if after == "open" {
                logger.warning("circuit opened: deliveries paused", metadata: ["sink": "\(sink)", "was": "\(before)"])
            } else {
                logger.notice("circuit \(after): deliveries resume", metadata: ["sink": "\(sink)"])
            }
        }
        publishCircuit()
        return open
    }

    /// An admitted delivery ended without saying anything about the destination (a permanent
    /// failure of the event itself); a probe that ends so lets another probe.
    func finishedWithoutVerdict() {
        inFlight.record(
            state.withLockedValue { machine in
                machine.finishedWithoutVerdict(now: .now)
                return machine.inFlight
            }
        )
    }

    /// `closed`, `half_open` or `open`, for `/healthz`.
    var circuit: String { state.withLockedValue { $0.circuitName } }

    private func publishCircuit() {
        circuitGauge.record(state.withLockedValue { $0.circuitGaugeValue })
    }
}
