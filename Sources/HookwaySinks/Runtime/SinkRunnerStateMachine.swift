/// A sink runner's bookkeeping, kept behind one lock: its methods take an event — a message
/// read, a delivery finished, a commit acknowledged or refused, the commit timer, a stop —
/// and say what to do. They never call out; ``SinkRunner`` acts on what they return.
///
/// Commits follow deliveries: the first delivery to finish while no commit is in flight
/// starts one with every offset that may be committed; deliveries finishing meanwhile are
/// batched into the next, which starts when the broker acknowledges (so at most one commit is
/// in flight, and a busy sink commits in batches). The timer only retries after a refused
/// commit.
struct SinkRunnerStateMachine {
    typealias Offsets = [(topic: String, partition: Int32, nextOffset: Int64)]

    enum Phase: Equatable {
        case reading
        /// No more messages are read; in-flight deliveries may finish.
        case draining
    }

    private(set) var phase = Phase.reading
    private var tracker = OffsetTracker()
    /// Messages read and not finished (delivered or dead-lettered).
    private(set) var inFlight = 0
    private var commitInFlight = false

    /// A message was read and handed to a lane.
    mutating func received(topic: String, partition: Int32, offset: Int64) {
        tracker.begin(topic: topic, partition: partition, offset: offset)
        inFlight += 1
    }

    /// A delivery finished (delivered, or durably dead-lettered): the offsets to commit now,
    /// when no commit is in flight.
    mutating func finished(topic: String, partition: Int32, offset: Int64) -> Offsets? {
        tracker.finish(topic: topic, partition: partition, offset: offset)
        inFlight -= 1
        return startCommit()
    }

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

    /// Stop reading; `true` when nothing is in flight (the runner is drained already).
    mutating func stopReading() -> Bool {
        phase = .draining
        return inFlight == 0
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
}
