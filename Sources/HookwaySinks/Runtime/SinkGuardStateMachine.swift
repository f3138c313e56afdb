import HookwayCore

/// What protects a sink's destination, as one state machine: the rate limit (a token bucket),
/// the pause a destination asked for (`Retry-After` honoured by the whole sink), and the
/// circuit breaker. Its methods only decide, from the time they are given; ``SinkGuard`` holds
/// it behind one lock and does the waiting.
struct SinkGuardStateMachine {
    enum Circuit: Equatable {
        case closed
        /// No delivery starts before `until`; then one probes.
        case open(until: ContinuousClock.Instant)
        /// One delivery is probing the destination; the others wait for its outcome.
        case halfOpen
    }

    /// What a delivery about to start must do.
    enum Admission: Equatable {
        case proceed
        /// Try again at this time (the rate limit, a pause, an open circuit).
        case waitUntil(ContinuousClock.Instant)
        /// A probe is out; try again when it ends.
        case waitForProbe
    }

    /// The destination's answer, as the breaker counts it.
    enum Outcome {
        /// Delivered — or refused for good (a 4xx says the destination is up).
        case answered
        /// A retriable failure; `retryAfter` when the destination asked for a pause.
        case failed(retryAfter: Duration?)
    }

    let rateLimit: SinkRateLimit?
    let breaker: CircuitBreakerSettings?

    private(set) var circuit = Circuit.closed
    /// Deliveries admitted and not finished (`hookway_sink_in_flight`).
    private(set) var inFlight = 0
    /// When the next delivery may start under the rate limit (GCRA: the bucket is full when
    /// this is `burst` intervals in the past).
    private var nextFree: ContinuousClock.Instant?
    /// No delivery starts before this (the destination's `Retry-After`).
    private var pausedUntil: ContinuousClock.Instant?
    private var consecutiveFailures = 0
    /// Outcomes of the breaker's window, one bucket per second.
    private var window: [(second: Int64, answered: Int, failed: Int)] = []

    init(rateLimit: SinkRateLimit?, breaker: CircuitBreakerSettings?) {
        self.rateLimit = rateLimit
        self.breaker = breaker
    }

    /// Whether a delivery may start now; when it may, its rate-limit token is taken and it
    /// counts in flight until ``record(_:now:)`` or ``finishedWithoutVerdict(now:)``.
    mutating func admit(now: ContinuousClock.Instant) -> Admission {
        let admission = decide(now: now)
        if admission == .proceed { inFlight += 1 }
        return admission
    }

    private mutating func decide(now: ContinuousClock.Instant) -> Admission {
        switch circuit {
        case .halfOpen:
            return .waitForProbe
        case .open(let until) where now < until:
            return .waitUntil(until)
        case .open:
            circuit = .halfOpen
            return takeToken(now: now, probing: true)
        case .closed:
            if let pausedUntil, now < pausedUntil { return .waitUntil(pausedUntil) }
            return takeToken(now: now, probing: false)
        }
    }

    private mutating func takeToken(now: ContinuousClock.Instant, probing: Bool) -> Admission {
        guard let rateLimit else { return .proceed }
        let interval = Duration.seconds(1.0 / rateLimit.perSecond)
        let earliest = (nextFree ?? now) - interval * (rateLimit.burst - 1)
        if earliest > now {
            // The probe keeps its place: it waits for the token like anyone else.
            if probing { circuit = .open(until: earliest) }
            return .waitUntil(earliest)
        }
        nextFree = max(nextFree ?? now, now) + interval
        return .proceed
    }

    /// What the circuit does after an outcome: `true` when it is open now (the failed delivery
    /// waits for the circuit instead of spending a retry).
    mutating func record(_ outcome: Outcome, now: ContinuousClock.Instant) -> Bool {
        inFlight -= 1
        switch outcome {
        case .answered:
            consecutiveFailures = 0
            count(answered: true, now: now)
            if circuit != .closed { circuit = .closed }
            return false
        case .failed(let retryAfter):
            if let retryAfter, retryAfter > .zero {
                let until = now + retryAfter
                pausedUntil = max(pausedUntil ?? until, until)
            }
            consecutiveFailures += 1
            count(answered: false, now: now)
            guard let breaker else { return false }
            switch circuit {
            case .halfOpen, .open:
                circuit = .open(until: now + .milliseconds(breaker.probeIntervalMs))
                return true
            case .closed:
                guard consecutiveFailures >= breaker.consecutiveFailures || ratioTripped(breaker) else { return false }
                circuit = .open(until: now + .milliseconds(breaker.probeIntervalMs))
                return true
            }
        }
    }

    /// An admitted delivery ended without saying anything about the destination (a permanent
    /// failure of the event itself): a probe that ends so lets another probe.
    mutating func finishedWithoutVerdict(now: ContinuousClock.Instant) {
        inFlight -= 1
        if circuit == .halfOpen { circuit = .open(until: now) }
    }

    private func ratioTripped(_ breaker: CircuitBreakerSettings) -> Bool {
        let (answered, failed) = window.reduce((0, 0)) { ($0.0 + $1.answered, $0.1 + $1.failed) }
        let calls = answered + failed
        return calls >= breaker.minimumCalls && Double(failed) >= breaker.failureRatio * Double(calls)
    }

    private mutating func count(answered: Bool, now: ContinuousClock.Instant) {
        guard let breaker else { return }
        let second = now.secondsSinceReference
        let oldest = second - Int64(breaker.windowMs / 1000)
        if let first = window.first, first.second <= oldest { window.removeAll { $0.second <= oldest } }
        if window.last?.second != second { window.append((second, 0, 0)) }
        if answered { window[window.count - 1].answered += 1 } else { window[window.count - 1].failed += 1 }
    }

    /// `hookway_sink_circuit_state`: 0 closed, 1 half-open, 2 open.
    var circuitGaugeValue: Int {
        switch circuit {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }

    /// The circuit as `/healthz` names it.
    var circuitName: String {
        switch circuit {
        case .closed: "closed"
        case .halfOpen: "half_open"
        case .open: "open"
        }
    }
}

extension ContinuousClock.Instant {
    /// Whole seconds since an arbitrary fixed point of this clock (for bucketing).
    fileprivate var secondsSinceReference: Int64 {
        let elapsed = self - ContinuousClock.Instant.reference
        return elapsed.components.seconds
    }

    private static let reference = ContinuousClock.now
}
