import Testing

@testable import HookwaySinks

/// The runner's bookkeeping event by event, without a broker.
struct SinkRunnerStateMachineTests {
    typealias Offsets = SinkRunnerStateMachine.Offsets

    static func text(_ offsets: Offsets?) -> [String] {
        (offsets ?? []).map { "\($0.topic)/\($0.partition)@\($0.nextOffset)" }.sorted()
    }

    @Test func theFirstFinishedDeliveryStartsACommitAndLaterOnesWaitForIt() {
        var machine = SinkRunnerStateMachine()
        for offset in 0..<4 { machine.received(topic: "t", partition: 0, offset: Int64(offset)) }
        #expect(Self.text(machine.finished(topic: "t", partition: 0, offset: 0)) == ["t/0@1"])
        // A commit is in flight: these gather for the next one.
        #expect(machine.finished(topic: "t", partition: 0, offset: 2) == nil)
        #expect(machine.finished(topic: "t", partition: 0, offset: 1) == nil)
        #expect(Self.text(machine.commitSucceeded()) == ["t/0@3"], "the batch that gathered meanwhile")
        #expect(machine.commitSucceeded() == nil, "nothing new: no commit in flight any more")
        #expect(Self.text(machine.finished(topic: "t", partition: 0, offset: 3)) == ["t/0@4"])
    }

    @Test func anOffsetIsCommittedOnlyWhenEveryEarlierOneOfItsPartitionIsDone() {
        var machine = SinkRunnerStateMachine()
        machine.received(topic: "t", partition: 0, offset: 10)
        machine.received(topic: "t", partition: 0, offset: 11)
        machine.received(topic: "t", partition: 1, offset: 5)
        #expect(machine.finished(topic: "t", partition: 0, offset: 11) == nil, "10 is still in flight")
        #expect(Self.text(machine.finished(topic: "t", partition: 1, offset: 5)) == ["t/1@6"])
        #expect(machine.finished(topic: "t", partition: 0, offset: 10) == nil, "waits for the commit in flight")
        #expect(Self.text(machine.commitSucceeded()) == ["t/0@12"])
    }

    @Test func aRefusedCommitIsRetriedByTheTimer() {
        var machine = SinkRunnerStateMachine()
        machine.received(topic: "t", partition: 0, offset: 0)
        let first = machine.finished(topic: "t", partition: 0, offset: 0)
        #expect(machine.timerFired() == nil, "nothing to retry while the commit is in flight")
        machine.commitFailed(first ?? [])
        #expect(Self.text(machine.timerFired()) == ["t/0@1"])
    }

    @Test func stoppingSaysWhetherDeliveriesAreStillInFlightAndTheFinalCommitTakesTheRest() {
        var machine = SinkRunnerStateMachine()
        let drained = machine.stopReading()
        #expect(drained, "nothing in flight: drained at once")
        var busy = SinkRunnerStateMachine()
        busy.received(topic: "t", partition: 0, offset: 0)
        busy.received(topic: "t", partition: 0, offset: 1)
        _ = busy.finished(topic: "t", partition: 0, offset: 0)
        let busyDrained = busy.stopReading()
        #expect(!busyDrained)
        #expect(busy.phase == .draining)
        #expect(busy.inFlight == 1)
        _ = busy.finished(topic: "t", partition: 0, offset: 1)
        // The commit of offset 0 was started; the final one covers offset 1.
        #expect(Self.text(busy.finalCommit()) == ["t/0@2"])
        let rest = busy.finalCommit()
        #expect(rest.isEmpty)
        #expect(busy.positions[OffsetTracker.Key(topic: "t", partition: 0)] == 2)
    }
}
