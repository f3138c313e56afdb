import Testing

@testable import HookwaySinks

/// The runner's bookkeeping event by event, without a broker.
struct SinkRunnerStateMachineTests {
    typealias Offsets = SinkRunnerStateMachine.Offsets

    static func text(_ offsets: Offsets?) -> [String] {
        (offsets ?? []).map { "\($0.topic)/\($0.partition)@\($0.nextOffset)" }.sorted()
    }

    @Test func theFirstFinishedDeliveryStartsACommitAndLaterOnesWaitForIt() {
        var machine = SinkRunnerStateMachine(lanes: 1)
        for offset in 0..<4 { _ = machine.received(topic: "t", partition: 0, offset: Int64(offset), key: nil) }
        #expect(Self.text(machine.finished(topic: "t", partition: 0, offset: 0, key: nil, lane: 0)) == ["t/0@1"])
        // A commit is in flight: these gather for the next one.
        #expect(machine.finished(topic: "t", partition: 0, offset: 2, key: nil, lane: 0) == nil)
        #expect(machine.finished(topic: "t", partition: 0, offset: 1, key: nil, lane: 0) == nil)
        #expect(Self.text(machine.commitSucceeded()) == ["t/0@3"], "the batch that gathered meanwhile")
        #expect(machine.commitSucceeded() == nil, "nothing new: no commit in flight any more")
        #expect(Self.text(machine.finished(topic: "t", partition: 0, offset: 3, key: nil, lane: 0)) == ["t/0@4"])
    }

    @Test func anOffsetIsCommittedOnlyWhenEveryEarlierOneOfItsPartitionIsDone() {
        var machine = SinkRunnerStateMachine(lanes: 1)
        _ = machine.received(topic: "t", partition: 0, offset: 10, key: nil)
        _ = machine.received(topic: "t", partition: 0, offset: 11, key: nil)
        _ = machine.received(topic: "t", partition: 1, offset: 5, key: nil)
        #expect(machine.finished(topic: "t", partition: 0, offset: 11, key: nil, lane: 0) == nil, "10 is still in flight")
        #expect(Self.text(machine.finished(topic: "t", partition: 1, offset: 5, key: nil, lane: 0)) == ["t/1@6"])
        #expect(machine.finished(topic: "t", partition: 0, offset: 10, key: nil, lane: 0) == nil, "waits for the commit in flight")
        #expect(Self.text(machine.commitSucceeded()) == ["t/0@12"])
    }

    @Test func aRefusedCommitIsRetriedByTheTimer() {
        var machine = SinkRunnerStateMachine(lanes: 1)
        _ = machine.received(topic: "t", partition: 0, offset: 0, key: nil)
        let first = machine.finished(topic: "t", partition: 0, offset: 0, key: nil, lane: 0)
        #expect(machine.timerFired() == nil, "nothing to retry while the commit is in flight")
        machine.commitFailed(first ?? [])
        #expect(Self.text(machine.timerFired()) == ["t/0@1"])
    }

    @Test func stoppingSaysWhetherDeliveriesAreStillInFlightAndTheFinalCommitTakesTheRest() {
        var machine = SinkRunnerStateMachine(lanes: 1)
        let drained = machine.stopReading()
        #expect(drained, "nothing in flight: drained at once")
        var busy = SinkRunnerStateMachine(lanes: 1)
        _ = busy.received(topic: "t", partition: 0, offset: 0, key: nil)
        _ = busy.received(topic: "t", partition: 0, offset: 1, key: nil)
        _ = busy.finished(topic: "t", partition: 0, offset: 0, key: nil, lane: 0)
        let busyDrained = busy.stopReading()
        #expect(!busyDrained)
        #expect(busy.phase == .draining)
        #expect(busy.inFlight == 1)
        _ = busy.finished(topic: "t", partition: 0, offset: 1, key: nil, lane: 0)
        // The commit of offset 0 was started; the final one covers offset 1.
        #expect(Self.text(busy.finalCommit()) == ["t/0@2"])
        let rest = busy.finalCommit()
        #expect(rest.isEmpty)
        #expect(busy.positions[OffsetTracker.Key(topic: "t", partition: 0)] == 2)
    }

    @Test func keysSpreadByLoadAndStayOnTheirLaneWhileTheyHaveMessages() {
        var machine = SinkRunnerStateMachine(lanes: 3)
        func key(_ name: String) -> [UInt8] { Array(name.utf8) }
        // Three keys take the three lanes; a key's later messages follow it.
        let a = machine.received(topic: "t", partition: 0, offset: 0, key: key("a"))
        let b = machine.received(topic: "t", partition: 0, offset: 1, key: key("b"))
        let c = machine.received(topic: "t", partition: 0, offset: 2, key: key("c"))
        #expect(Set([a, b, c]) == [0, 1, 2])
        #expect(machine.received(topic: "t", partition: 0, offset: 3, key: key("a")) == a)
        #expect(machine.received(topic: "t", partition: 0, offset: 4, key: key("a")) == a)
        // A new key goes to a lane with the least waiting, never behind a's three.
        let d = machine.received(topic: "t", partition: 0, offset: 5, key: key("d"))
        #expect(d != a)
        // Once all of b's messages are done, b may land anywhere; until then it stays.
        #expect(machine.received(topic: "t", partition: 0, offset: 6, key: key("b")) == b)
        _ = machine.finished(topic: "t", partition: 0, offset: 1, key: key("b"), lane: b)
        _ = machine.finished(topic: "t", partition: 0, offset: 6, key: key("b"), lane: b)
        _ = machine.finished(topic: "t", partition: 0, offset: 5, key: key("d"), lane: d)
        // Messages without a key go to the least loaded lane: b's, empty now.
        #expect(machine.received(topic: "t", partition: 0, offset: 7, key: nil) == b)
    }
}
