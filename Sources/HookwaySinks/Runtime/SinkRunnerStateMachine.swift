import HookwayKafka

/// A sink runner's state, kept behind one lock: its methods take an event — a message read, a
/// delivery finished, a commit acknowledged or refused, the commit timer, a rebalance, a stop —
/// and say what to do. They never call out; ``SinkRunner`` acts on what they return.
///
/// **Scheduling.** Messages wait in a ``KeyOrderedQueue``; `concurrency` delivery slots take
/// them, one key at a time in offset order. A slot with nothing to do parks as a `Slot`
/// (a continuation in the runner, a number in tests); the reader parks as a `Reader` when
/// `capacity` messages are read and not finished.
///
/// **Commits** follow deliveries: the first delivery to finish while no commit is in flight
/// starts one with every offset that may be committed; deliveries finishing meanwhile are
/// batched into the next, which starts when the broker acknowledges (so at most one commit is
/// in flight, and a busy sink commits in batches). The timer only retries a refused commit.
struct SinkRunnerStateMachine<Slot, Reader> {
    typealias Offsets = [(topic: String, partition: Int32, nextOffset: Int64)]

    enum Phase: Equatable {
        case reading
        /// No more messages are read; what was read may still be delivered.
        case draining
    }

    private(set) var phase = Phase.reading
    private var tracker = OffsetTracker()
    private var queue = KeyOrderedQueue()
    /// Messages read and not finished (delivered, dead-lettered or dropped by a rebalance).
    private(set) var inFlight = 0
    /// How many messages may be read and not finished before the reader waits.
    let capacity: Int
    private var commitInFlight = false
    private var parkedSlots: [(id: Int, slot: Slot)] = []
    private var parkedReader: Reader?
    /// Whether ``SinkRunner/stop()`` was called (a run that ends without it died).
    var stopRequested = false
    /// The consumer of the run in progress (for the package's fault-injection tests).
    var consumer: KafkaConsumer?

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    // MARK: Reading

    /// A message was read: a parked slot to hand it to, or `nil` (it waits its turn).
    mutating func received(_ message: KafkaMessage) -> (Slot, KafkaMessage)? {
        tracker.begin(topic: message.topic, partition: message.partition, offset: message.offset)
        inFlight += 1
        queue.enqueue(message)
        guard !parkedSlots.isEmpty, let next = queue.startNext() else { return nil }
        return (parkedSlots.removeFirst().slot, next)
    }

    /// Whether the reader may read the next message now.
    var hasRoom: Bool { inFlight < capacity }

    /// The reader asks to wait for room: `false` when there is room (or it was cancelled) and
    /// it must not wait; `true` when it is parked until ``finished(_:)`` makes room.
    mutating func parkReader(_ reader: Reader, cancelled: Bool) -> Bool {
        guard !cancelled, !hasRoom, phase == .reading else { return false }
        parkedReader = reader
        return true
    }

    /// The reader's task was cancelled: the parked reader to resume, if it is still parked.
    mutating func readerCancelled() -> Reader? {
        defer { parkedReader = nil }
        return parkedReader
    }

    // MARK: Delivering

    /// What a slot asking for work does.
    enum SlotAction {
        case deliver(KafkaMessage)
        /// Parked: woken by a message or the end.
        case wait
        /// Nothing left to deliver: the slot ends.
        case end
    }

    /// A slot with nothing to do asks for its next message.
    mutating func nextMessage(slot id: Int, _ slot: Slot, cancelled: Bool) -> SlotAction {
        // A cancelled slot takes nothing: a message it started would stay busy for good.
        if cancelled { return .end }
        if let message = queue.startNext() { return .deliver(message) }
        // While draining, nothing new becomes ready: a key's remaining messages continue on the
        // slot delivering that key.
        if phase == .draining { return .end }
        parkedSlots.append((id, slot))
        return .wait
    }

    /// A parked slot's task was cancelled: the slot to resume with the end, if it is parked.
    mutating func slotCancelled(_ id: Int) -> Slot? {
        guard let index = parkedSlots.firstIndex(where: { $0.id == id }) else { return nil }
        return parkedSlots.remove(at: index).slot
    }

    /// What follows a finished delivery.
    struct Finished {
        /// Offsets to commit now (`nil`: nothing new, or a commit is in flight).
        var commit: Offsets?
        /// The same key's next message, for this slot to deliver at once.
        var next: KafkaMessage?
        /// The reader, parked for room that is now free.
        var reader: Reader?
    }

    /// A delivery finished (delivered, or durably dead-lettered).
    mutating func finished(_ message: KafkaMessage) -> Finished {
        tracker.finish(topic: message.topic, partition: message.partition, offset: message.offset)
        inFlight -= 1
        return Finished(commit: startCommit(), next: queue.finish(message), reader: takeReaderIfRoom())
    }

    // MARK: Rebalancing

    /// Partitions were revoked: their offsets are forgotten (never committed by this member)
    /// and their messages not started are dropped (the new owner reads them again). Returns the
    /// reader if that made room.
    mutating func revoked(_ partitions: Set<OffsetTracker.Key>) -> Reader? {
        tracker.forget(partitions)
        inFlight -= queue.drop(partitions: partitions)
        return takeReaderIfRoom()
    }

    // MARK: Committing

    /// The broker stored the last commit: the batch that gathered meanwhile, if any.
    mutating func commitSucceeded() -> Offsets? {
        commitInFlight = false
        return startCommit()
    }

    /// The last commit failed: its offsets go back, for the timer to retry.
    mutating func commitFailed(_ offsets: Offsets) {
        tracker.commitFailed(offsets)
        commitInFlight = false
    }

    /// The commit timer fired: retries what a refused commit left.
    mutating func timerFired() -> Offsets? {
        startCommit()
    }

    // MARK: Stopping

    /// Stop reading. Returns the parked slots (they end: nothing new will come) and whether
    /// nothing is in flight (the runner is drained already).
    mutating func stopReading() -> (endSlots: [Slot], drained: Bool) {
        phase = .draining
        let slots = parkedSlots.map(\.slot)
        parkedSlots = []
        return (slots, inFlight == 0)
    }

    /// Everything committable, for the last commit after every task ended.
    mutating func finalCommit() -> Offsets {
        commitInFlight = false
        return tracker.takeCommittable()
    }

    /// Where the sink stands per partition (for the lag gauge).
    var positions: [OffsetTracker.Key: Int64] { tracker.positions }

    private mutating func startCommit() -> Offsets? {
        guard !commitInFlight else { return nil }
        let offsets = tracker.takeCommittable()
        guard !offsets.isEmpty else { return nil }
        commitInFlight = true
        return offsets
    }

    private mutating func takeReaderIfRoom() -> Reader? {
        guard hasRoom, let reader = parkedReader else { return nil }
        parkedReader = nil
        return reader
    }
}

extension SinkRunnerStateMachine: Sendable where Slot: Sendable, Reader: Sendable {}
