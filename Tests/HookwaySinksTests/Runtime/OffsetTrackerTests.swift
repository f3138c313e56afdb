import HookwayCore
import HookwaySinks
import Testing

struct OffsetTrackerTests {
    @Test func commitsOnlyTheContiguousDonePrefix() {
        var t = OffsetTracker()
        for o in 10...14 { t.begin(topic: "a", partition: 0, offset: Int64(o)) }
        t.finish(topic: "a", partition: 0, offset: 12)
        t.finish(topic: "a", partition: 0, offset: 11)
        #expect(t.takeCommittable().isEmpty)
        t.finish(topic: "a", partition: 0, offset: 10)
        let first = t.takeCommittable()
        #expect(first.count == 1)
        #expect(first.first?.nextOffset == 13)
        #expect(t.takeCommittable().isEmpty)
        t.finish(topic: "a", partition: 0, offset: 14)
        #expect(t.inFlight == 1)
        t.finish(topic: "a", partition: 0, offset: 13)
        #expect(t.takeCommittable().first?.nextOffset == 15)
        #expect(t.inFlight == 0)
    }

    @Test func partitionsAreIndependentAndFailedCommitsAreRetried() {
        var t = OffsetTracker()
        t.begin(topic: "a", partition: 0, offset: 0)
        t.begin(topic: "a", partition: 1, offset: 100)
        t.finish(topic: "a", partition: 1, offset: 100)
        let offsets = t.takeCommittable()
        #expect(offsets.map(\.partition) == [1])
        t.commitFailed(offsets)
        #expect(t.takeCommittable().map(\.nextOffset) == [101])
    }
}

struct BackoffTests {
    @Test func exponentialCappedWithJitterBounds() {
        var policy = HookwayCore.RetryPolicy()
        policy.backoffMs = 100
        policy.maxBackoffMs = 1000
        #expect(policy.delay(afterAttempt: 1, random: 0) == .milliseconds(50))
        #expect(policy.delay(afterAttempt: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 3, random: 1) == .milliseconds(400))
        #expect(policy.delay(afterAttempt: 10, random: 1) == .milliseconds(1000))
        #expect(policy.delay(afterAttempt: 100, random: 0.5) == .milliseconds(750))
    }
}
