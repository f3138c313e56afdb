import HookwayCore
import Testing

@testable import HookwaySinks

/// The sink guard's decisions, event by event, on a clock the test moves.
struct SinkGuardStateMachineTests {
    let start = ContinuousClock.now

    func at(_ ms: Int) -> ContinuousClock.Instant { start + .milliseconds(ms) }

    @Test func rateLimitLetsTheBurstThroughThenOneEveryInterval() {
        var machine = SinkGuardStateMachine(rateLimit: SinkRateLimit(perSecond: 50, burst: 5), breaker: nil)
        for _ in 0..<5 { #expect(machine.admit(now: at(0)) == .proceed) }
        #expect(machine.admit(now: at(0)) == .waitUntil(at(20)))
        #expect(machine.admit(now: at(20)) == .proceed)
        #expect(machine.admit(now: at(21)) == .waitUntil(at(40)))
        // A quiet spell refills the bucket, never beyond the burst.
        for _ in 0..<5 { #expect(machine.admit(now: at(10_000)) == .proceed) }
        #expect(machine.admit(now: at(10_000)) != .proceed)
    }

    @Test func rateLimitHoldsOverAMinute() {
        var machine = SinkGuardStateMachine(rateLimit: SinkRateLimit(perSecond: 50, burst: 10), breaker: nil)
        var now = at(0)
        var admitted = 0
        while now < at(60_000) {
            switch machine.admit(now: now) {
            case .proceed: admitted += 1
            case .waitUntil(let until): now = until
            case .waitForProbe: Issue.record("no breaker, no probe")
            }
        }
        // 50 per second for 60 s, plus the burst taken at once.
        #expect(admitted >= 3_000 && admitted <= 3_010, "\(admitted)")
    }

    @Test func consecutiveFailuresOpenTheCircuitThenOneProbeClosesIt() {
        var breaker = CircuitBreakerSettings()
        breaker.consecutiveFailures = 3
        breaker.probeIntervalMs = 1_000
        var machine = SinkGuardStateMachine(rateLimit: nil, breaker: breaker)
        #expect(machine.record(.failed(retryAfter: nil), now: at(0)) == false)
        #expect(machine.record(.answered, now: at(1)) == false, "an answer resets the count")
        #expect(machine.record(.failed(retryAfter: nil), now: at(2)) == false)
        #expect(machine.record(.failed(retryAfter: nil), now: at(3)) == false)
        #expect(machine.record(.failed(retryAfter: nil), now: at(4)) == true)
        #expect(machine.circuitName == "open")
        #expect(machine.admit(now: at(500)) == .waitUntil(at(1_004)))
        // The probe: one delivery goes, the others wait for it.
        #expect(machine.admit(now: at(1_004)) == .proceed)
        #expect(machine.circuitName == "half_open")
        #expect(machine.admit(now: at(1_005)) == .waitForProbe)
        // It fails: open again for a whole interval.
        #expect(machine.record(.failed(retryAfter: nil), now: at(1_100)) == true)
        #expect(machine.admit(now: at(1_200)) == .waitUntil(at(2_100)))
        #expect(machine.admit(now: at(2_100)) == .proceed)
        #expect(machine.record(.answered, now: at(2_150)) == false)
        #expect(machine.circuitName == "closed")
        #expect(machine.admit(now: at(2_151)) == .proceed)
        #expect(machine.admit(now: at(2_151)) == .proceed)
    }

    @Test func aFailureRatioOverTheWindowOpensTheCircuit() {
        var breaker = CircuitBreakerSettings()
        breaker.consecutiveFailures = 100
        breaker.failureRatio = 0.5
        breaker.minimumCalls = 10
        breaker.windowMs = 10_000
        var machine = SinkGuardStateMachine(rateLimit: nil, breaker: breaker)
        // Alternating: never many failures in a row, but half of them fail.
        var opened = false
        for i in 0..<9 { opened = machine.record(i % 2 == 0 ? .failed(retryAfter: nil) : .answered, now: at(i * 100)) || opened }
        #expect(!opened, "below minimumCalls")
        #expect(machine.record(.failed(retryAfter: nil), now: at(1_000)) == true)
        // Outcomes older than the window no longer count.
        var fresh = SinkGuardStateMachine(rateLimit: nil, breaker: breaker)
        for i in 0..<6 { _ = fresh.record(.failed(retryAfter: nil), now: at(i)) }
        for i in 0..<10 { _ = fresh.record(.answered, now: at(20_000 + i)) }
        #expect(fresh.record(.failed(retryAfter: nil), now: at(20_100)) == false)
    }

    @Test func aProbeEndingWithoutAVerdictLetsAnotherProbe() {
        var breaker = CircuitBreakerSettings()
        breaker.consecutiveFailures = 1
        breaker.probeIntervalMs = 100
        var machine = SinkGuardStateMachine(rateLimit: nil, breaker: breaker)
        _ = machine.record(.failed(retryAfter: nil), now: at(0))
        #expect(machine.admit(now: at(100)) == .proceed)
        machine.finishedWithoutVerdict(now: at(110))
        #expect(machine.admit(now: at(110)) == .proceed)
        #expect(machine.circuitName == "half_open")
    }

    @Test func admittedDeliveriesCountInFlightUntilTheyFinish() {
        var machine = SinkGuardStateMachine(rateLimit: nil, breaker: nil)
        for _ in 0..<3 { _ = machine.admit(now: at(0)) }
        #expect(machine.inFlight == 3)
        _ = machine.record(.answered, now: at(1))
        _ = machine.record(.failed(retryAfter: nil), now: at(1))
        machine.finishedWithoutVerdict(now: at(1))
        #expect(machine.inFlight == 0)
    }

    @Test func retryAfterPausesTheWholeSink() {
        var machine = SinkGuardStateMachine(rateLimit: nil, breaker: nil)
        #expect(machine.record(.failed(retryAfter: .seconds(2)), now: at(0)) == false)
        #expect(machine.admit(now: at(10)) == .waitUntil(at(2_000)))
        // A shorter pause asked later does not cut the longer one short.
        _ = machine.record(.failed(retryAfter: .milliseconds(100)), now: at(20))
        #expect(machine.admit(now: at(500)) == .waitUntil(at(2_000)))
        #expect(machine.admit(now: at(2_000)) == .proceed)
    }

    @Test func aRateLimitedProbeKeepsTheCircuitOpenUntilItsToken() {
        var breaker = CircuitBreakerSettings()
        breaker.consecutiveFailures = 1
        breaker.probeIntervalMs = 10
        var machine = SinkGuardStateMachine(rateLimit: SinkRateLimit(perSecond: 1, burst: 1), breaker: breaker)
        #expect(machine.admit(now: at(0)) == .proceed)
        _ = machine.record(.failed(retryAfter: nil), now: at(5))
        #expect(machine.admit(now: at(20)) == .waitUntil(at(1_000)))
        #expect(machine.circuitName == "open")
        #expect(machine.admit(now: at(1_000)) == .proceed)
        #expect(machine.circuitName == "half_open")
    }
}

struct SinkHealthCircuitTests {
    @Test func anOpenCircuitIsShownButIsNotAFailingSink() {
        let report = SinkHealth.report(
            [SinkHealth(name: "crm", circuit: "open"), SinkHealth(name: "ledger")],
            grace: .zero
        )
        #expect(report.healthy)
        #expect(report.json == #"{"status":"ok","sinks":{"crm":{"up":true,"restarts":0,"circuit":"open"},"ledger":{"up":true,"restarts":0}}}"#)
    }
}
