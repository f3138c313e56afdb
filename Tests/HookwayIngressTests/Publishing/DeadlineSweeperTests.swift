import NIOConcurrencyHelpers
import Testing

@testable import HookwayIngress

struct DeadlineSweeperTests {
    @Test func firesEachDeadlineOnceAfterItPassesAndStopsWhenIdle() async throws {
        let sweeper = DeadlineSweeper(tick: .milliseconds(10))
        let fired = NIOLockedValueBox<[Int: ContinuousClock.Instant]>([:])
        let start = ContinuousClock.now
        for (i, ms) in [200, 50, 120, 50].enumerated() {
            sweeper.after(.milliseconds(ms)) { fired.withLockedValue { $0[i] = .now } }
        }
        // Until all four fired (the other test lane may be busy on the same two cores).
        let waitUntil = ContinuousClock.now + .seconds(3)
        while fired.withLockedValue({ $0.count }) < 4, ContinuousClock.now < waitUntil { try await Task.sleep(for: .milliseconds(10)) }
        let times = fired.withLockedValue { $0 }
        #expect(times.count == 4)
        for (i, ms) in [200, 50, 120, 50].enumerated() {
            let at = try #require(times[i]) - start
            #expect(at >= .milliseconds(ms), "deadline \(i) fired early: \(at)")
            #expect(at < .milliseconds(ms + 300), "deadline \(i) fired late: \(at)")
        }
        #expect(sweeper.state.withLockedValue { !$0.sweeping && $0.queues.isEmpty })
        // A new deadline after going idle starts the sweeper again.
        let again = NIOLockedValueBox(false)
        sweeper.after(.milliseconds(20)) { again.withLockedValue { $0 = true } }
        try await Task.sleep(for: .milliseconds(200))
        #expect(again.withLockedValue { $0 })
    }
}
