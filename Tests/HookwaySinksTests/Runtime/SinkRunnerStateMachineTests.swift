import HookwayKafka
import Testing

@testable import HookwaySinks

/// The runner's scheduling and bookkeeping event by event, without a broker. Slots and the
/// reader are numbers here (continuations in the runner).
struct SinkRunnerStateMachineTests {
    typealias Machine = SinkRunnerStateMachine<Int, String>
    typealias Offsets = Machine.Offsets

    static func text(_ offsets: Offsets?) -> [String] {
        (offsets ?? []).map { "\($0.topic)/\($0.partition)@\($0.nextOffset)" }.sorted()
    }

    static func message(_ offset: Int64, key: String? = "k", partition: Int32 = 0) -> KafkaMessage {
        KafkaMessage(topic: "t", partition: partition, offset: offset, key: key.map { Array($0.utf8) }, value: nil)
    }

    static func delivered(_ action: Machine.SlotAction) -> Int64? {
        if case .deliver(let message) = action { return message.offset }
        return nil
    }

    @Test func theFirstFinishedDeliveryStartsACommitAndLaterOnesWaitForIt() {
        var machine = Machine(capacity: 64)
        let messages = (0..<4).map { Self.message(Int64($0), key: "k\($0)") }
        for m in messages { _ = machine.received(m) }
        #expect(Self.text(machine.finished(messages[0]).commit) == ["t/0@1"])
        // A commit is in flight: these gather for the next one.
        #expect(machine.finished(messages[2]).commit == nil)
        #expect(machine.finished(messages[1]).commit == nil)
        #expect(Self.text(machine.commitSucceeded()) == ["t/0@3"], "the batch that gathered meanwhile")
        #expect(machine.commitSucceeded() == nil, "nothing new: no commit in flight any more")
        #expect(Self.text(machine.finished(messages[3]).commit) == ["t/0@4"])
    }

    @Test func anOffsetIsCommittedOnlyWhenEveryEarlierOneOfItsPartitionIsDone() {
        var machine = Machine(capacity: 64)
        let a = Self.message(10, key: "a")
        let b = Self.message(11, key: "b")
        let c = Self.message(5, key: "c", partition: 1)
        for m in [a, b, c] { _ = machine.received(m) }
        #expect(machine.finished(b).commit == nil, "10 is still in flight")
        #expect(Self.text(machine.finished(c).commit) == ["t/1@6"])
        #expect(machine.finished(a).commit == nil, "waits for the commit in flight")
        #expect(Self.text(machine.commitSucceeded()) == ["t/0@12"])
    }

    @Test func aRefusedCommitIsRetriedByTheTimer() {
        var machine = Machine(capacity: 64)
        let m = Self.message(0)
        _ = machine.received(m)
        let first = machine.finished(m).commit
        #expect(machine.timerFired() == nil, "nothing to retry while the commit is in flight")
        machine.commitFailed(first ?? [])
        #expect(Self.text(machine.timerFired()) == ["t/0@1"])
    }

    @Test func oneKeysMessagesStartOneAtATimeInOrderWhileOtherKeysProceed() {
        var machine = Machine(capacity: 64)
        for (offset, key) in [(0, "a"), (1, "a"), (2, "b"), (3, "a")] { _ = machine.received(Self.message(Int64(offset), key: key)) }
        #expect(Self.delivered(machine.nextMessage(slot: 0, 0, cancelled: false)) == 0)
        // "a" is busy: the next free key is "b", not a's second message.
        #expect(Self.delivered(machine.nextMessage(slot: 1, 1, cancelled: false)) == 2)
        guard case .wait = machine.nextMessage(slot: 2, 2, cancelled: false) else {
            Issue.record("a third slot has nothing it may start")
            return
        }
        // Finishing a's first continues with a's next on the same slot.
        #expect(machine.finished(Self.message(0, key: "a")).next?.offset == 1)
        #expect(machine.finished(Self.message(2, key: "b")).next == nil)
        #expect(machine.finished(Self.message(1, key: "a")).next?.offset == 3)
    }

    @Test func aParkedSlotIsHandedTheNextFreeKeysMessage() {
        var machine = Machine(capacity: 64)
        guard case .wait = machine.nextMessage(slot: 0, 7, cancelled: false) else {
            Issue.record("nothing read yet: the slot parks")
            return
        }
        let handed = machine.received(Self.message(0, key: "a"))
        #expect(handed?.0 == 7)
        #expect(handed?.1.offset == 0)
        // Same key while it is busy: it waits, nobody is woken.
        #expect(machine.received(Self.message(1, key: "a")) == nil)
    }

    @Test func messagesWithoutAKeyHaveNoOrderToKeep() {
        var machine = Machine(capacity: 64)
        _ = machine.received(Self.message(0, key: nil))
        _ = machine.received(Self.message(1, key: nil))
        #expect(Self.delivered(machine.nextMessage(slot: 0, 0, cancelled: false)) == 0)
        #expect(Self.delivered(machine.nextMessage(slot: 1, 1, cancelled: false)) == 1)
    }

    @Test func theReaderParksAtCapacityAndIsWokenWhenADeliveryFinishes() {
        var machine = Machine(capacity: 2)
        let first = Self.message(0, key: "a")
        _ = machine.received(first)
        let parkedEarly = machine.parkReader("reader", cancelled: false)
        #expect(!parkedEarly, "room left: no wait")
        _ = machine.received(Self.message(1, key: "b"))
        let parkedFull = machine.parkReader("reader", cancelled: false)
        #expect(parkedFull)
        let finished = machine.finished(first)
        #expect(finished.reader == "reader")
        let parked = machine.readerCancelled()
        #expect(parked == nil, "already woken")
    }

    @Test func aRevocationDropsTheWaitingMessagesOfItsPartitionsAndTheirOffsets() {
        var machine = Machine(capacity: 3)
        let a0 = Self.message(0, key: "a", partition: 0)
        _ = machine.received(a0)
        _ = machine.received(Self.message(1, key: "a", partition: 0))
        _ = machine.received(Self.message(0, key: "b", partition: 1))
        #expect(Self.delivered(machine.nextMessage(slot: 0, 0, cancelled: false)) == 0)
        let parked = machine.parkReader("reader", cancelled: false)
        #expect(parked)
        // Partition 0 goes: its waiting message is dropped (a0, in delivery, is not touched).
        let woken = machine.revoked([OffsetTracker.Key(topic: "t", partition: 0)])
        #expect(woken == "reader")
        #expect(machine.inFlight == 2)
        let done = machine.finished(a0)
        #expect(done.next == nil, "a's second message was dropped")
        #expect(done.commit == nil, "a revoked partition's offsets are not committed")
        #expect(Self.delivered(machine.nextMessage(slot: 0, 0, cancelled: false)) == 0, "b's message on partition 1")
    }

    @Test func stoppingEndsParkedSlotsAndLetsTheRestDrain() {
        var machine = Machine(capacity: 64)
        _ = machine.nextMessage(slot: 0, 10, cancelled: false)
        let (idle, drained) = machine.stopReading()
        #expect(idle == [10])
        #expect(drained, "nothing in flight: drained at once")

        var busy = Machine(capacity: 64)
        let m0 = Self.message(0, key: "a")
        let m1 = Self.message(1, key: "a")
        _ = busy.received(m0)
        _ = busy.received(m1)
        _ = busy.nextMessage(slot: 0, 0, cancelled: false)
        let (none, busyDrained) = busy.stopReading()
        #expect(none.isEmpty)
        #expect(!busyDrained)
        #expect(busy.phase == .draining)
        guard case .end = busy.nextMessage(slot: 1, 1, cancelled: false) else {
            Issue.record("while draining, a slot with nothing ready ends")
            return
        }
        let next = busy.finished(m0)
        #expect(next.next?.offset == 1, "what was read is still delivered while draining")
        _ = busy.finished(m1)
        // The commit of offset 0 was started; the final one covers offset 1.
        #expect(Self.text(busy.finalCommit()) == ["t/0@2"])
        #expect(busy.finalCommit().isEmpty)
        #expect(busy.positions[OffsetTracker.Key(topic: "t", partition: 0)] == 2)
    }

    @Test func aCancelledSlotIsResumedOnceAndAskingWhileCancelledEnds() {
        var machine = Machine(capacity: 64)
        _ = machine.nextMessage(slot: 3, 30, cancelled: false)
        let first = machine.slotCancelled(3)
        let second = machine.slotCancelled(3)
        #expect(first == 30)
        #expect(second == nil)
        _ = machine.received(Self.message(0))
        guard case .end = machine.nextMessage(slot: 4, 40, cancelled: true) else {
            Issue.record("a cancelled slot takes nothing")
            return
        }
    }
}
