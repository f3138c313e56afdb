/// The consumer's bookkeeping, kept inside a `NIOLockedValueBox`: the bounded message buffer,
/// the tasks waiting in `next()`, the current assignment, and commit/close requests for the poll
/// thread. Methods only decide; callers resume continuations and call librdkafka outside the lock.
struct ConsumerStateMachine {
    typealias NextContinuation = CheckedContinuation<Result<KafkaMessage?, KafkaError>, Never>
    typealias CommitContinuation = CheckedContinuation<KafkaError?, Never>

    struct CommitRequest {
        let offsets: [TopicPartition: Int64]
        let continuation: CommitContinuation
    }

    private enum Lifecycle {
        case running
        case closing
        /// The sequence has ended, with an error if the consumer failed fatally.
        case finished(KafkaError?)
    }

    private var lifecycle = Lifecycle.running
    private var buffer = MessageBuffer()
    private var waiters: [(id: UInt64, continuation: NextContinuation)] = []
    private var nextWaiterID: UInt64 = 0
    /// Ids whose cancellation arrived before their continuation was registered.
    private var cancelledBeforeWaiting: Set<UInt64> = []
    private var commits: [CommitRequest] = []
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    private(set) var assignment: Set<TopicPartition> = []
    /// Whether the poll thread has paused fetching because the buffer is at the high-water mark.
    var isPausedForBackPressure = false

    let highWaterMark: Int
    var lowWaterMark: Int { highWaterMark / 2 }

    init(highWaterMark: Int) {
        self.highWaterMark = max(1, highWaterMark)
    }

    // MARK: - Application side

    mutating func makeWaiterID() -> UInt64 {
        nextWaiterID += 1
        return nextWaiterID
    }

    enum NextAction {
        case resume(NextContinuation, Result<KafkaMessage?, KafkaError>, wakePollThread: Bool)
        case wait
    }

    mutating func next(id: UInt64, _ continuation: NextContinuation) -> NextAction {
        // Cancelled before it could wait (the race swift-kafka-client guards the same way):
        // end the iteration now instead of waiting for a wake-up that will never come.
        if cancelledBeforeWaiting.remove(id) != nil {
            return .resume(continuation, .success(nil), wakePollThread: false)
        }
        if let message = buffer.popFirst() {
            let wake = isPausedForBackPressure && buffer.count <= lowWaterMark
            return .resume(continuation, .success(message), wakePollThread: wake)
        }
        if case .finished(let error) = lifecycle {
            return .resume(continuation, error.map { .failure($0) } ?? .success(nil), wakePollThread: false)
        }
        waiters.append((id, continuation))
        return .wait
    }

    /// A `next()` was cancelled: it ends the iteration (returns `nil`). When its continuation
    /// is not registered yet, the id is remembered so that registering resumes at once.
    mutating func cancelWaiter(id: UInt64) -> NextContinuation? {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else {
            cancelledBeforeWaiting.insert(id)
            return nil
        }
        return waiters.remove(at: index).continuation
    }

    /// A `next()` that registered and was resumed normally: forget a cancellation that came
    /// too late to matter (keeps ``cancelledBeforeWaiting`` bounded).
    mutating func nextCompleted(id: UInt64) {
        cancelledBeforeWaiting.remove(id)
    }

    enum RequestAction {
        case wakePollThread
        case rejectCommit(CommitContinuation)
        case resumeClose(CheckedContinuation<Void, Never>)
    }

    mutating func requestCommit(_ request: CommitRequest) -> RequestAction {
        guard case .running = lifecycle else { return .rejectCommit(request.continuation) }
        commits.append(request)
        return .wakePollThread
    }

    mutating func requestClose(_ continuation: CheckedContinuation<Void, Never>?) -> RequestAction? {
        switch lifecycle {
        case .finished:
            return continuation.map { .resumeClose($0) }
        case .running, .closing:
            lifecycle = .closing
            if let continuation { closeWaiters.append(continuation) }
            return .wakePollThread
        }
    }

    // MARK: - Poll thread side

    struct PollWork {
        var commits: [CommitRequest]
        var shouldClose: Bool
        var shouldResumeFetching: Bool
    }

    mutating func takePollWork() -> PollWork {
        defer { commits.removeAll() }
        let closing: Bool
        if case .running = lifecycle { closing = false } else { closing = true }
        return PollWork(
            commits: commits,
            shouldClose: closing,
            shouldResumeFetching: isPausedForBackPressure && buffer.count <= lowWaterMark
        )
    }

    enum DeliverAction {
        case resume(NextContinuation, KafkaMessage)
        case buffered(atHighWaterMark: Bool)
    }

    mutating func deliver(_ message: KafkaMessage) -> DeliverAction {
        // A message fetched just before its partition was revoked is not ours to hand out.
        guard assignment.contains(TopicPartition(topic: message.topic, partition: message.partition)) else {
            return .buffered(atHighWaterMark: buffer.count >= highWaterMark)
        }
        if !waiters.isEmpty {
            return .resume(waiters.removeFirst().continuation, message)
        }
        buffer.append(message)
        return .buffered(atHighWaterMark: buffer.count >= highWaterMark)
    }

    mutating func assign(_ partitions: [TopicPartition]) {
        assignment.formUnion(partitions)
    }

    /// Forgets revoked partitions: their buffered messages are dropped (the next owner re-reads
    /// them from the committed offset) and their offsets are never committed.
    mutating func revoke(_ partitions: [TopicPartition]) {
        let revoked = Set(partitions)
        assignment.subtract(revoked)
        buffer.removeAll(in: revoked)
    }

    /// Keeps the offsets of partitions still assigned; the rest belong to another member now.
    func ownedOffsets(_ offsets: [TopicPartition: Int64]) -> [TopicPartition: Int64] {
        offsets.filter { assignment.contains($0.key) }
    }

    struct FinishActions {
        var waiters: [NextContinuation]
        var commits: [CommitRequest]
        var closeWaiters: [CheckedContinuation<Void, Never>]
        var error: KafkaError?
    }

    /// Ends the sequence: waiting `next()` calls get `nil` (or the fatal error).
    mutating func finish(error: KafkaError?) -> FinishActions {
        lifecycle = .finished(error)
        assignment.removeAll()
        buffer.removeAll()
        defer {
            waiters.removeAll()
            commits.removeAll()
            closeWaiters.removeAll()
        }
        return FinishActions(
            waiters: waiters.map(\.continuation),
            commits: commits,
            closeWaiters: closeWaiters,
            error: error
        )
    }
}
