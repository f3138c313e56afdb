/// The producer's bookkeeping, kept inside a `NIOLockedValueBox`. Its methods only decide;
/// the caller resumes continuations and calls librdkafka after releasing the lock.
struct ProducerStateMachine {
    /// How a send ended, as seen by the awaiting task.
    enum SendOutcome: Sendable {
        case delivered(DeliveryReport)
        case failed(KafkaError)
        /// librdkafka refused to enqueue the message; nothing will be reported for it.
        case notQueued(KafkaError)
    }

    /// Called exactly once with a send's outcome (resumes an awaiting task, or settles a
    /// multi-topic publish without a task per send).
    typealias SendCompletion = @Sendable (SendOutcome) -> Void

    /// A send between `rd_kafka_produceva` and its delivery report.
    struct PendingSend {
        let completion: SendCompletion
        let topic: String
    }

    /// A `flush` or `shutdown` waiting for the poll thread.
    struct Command {
        enum Kind { case flush, shutdown }
        let kind: Kind
        let timeout: Duration
        let continuation: CheckedContinuation<KafkaError?, Never>?
    }

    private enum Lifecycle { case running, shuttingDown, closed }

    private var lifecycle = Lifecycle.running
    /// Starts at 1: the id travels as a pointer-sized opaque and 0 would read as NULL.
    private var nextID: UInt64 = 1
    private var pending: [UInt64: PendingSend] = [:]
    private var commands: [Command] = []

    var inFlightCount: Int { pending.count }

    enum RegisterAction {
        case produce(id: UInt64)
        case reject(SendCompletion, KafkaError)
    }

    mutating func register(_ completion: @escaping SendCompletion, topic: String) -> RegisterAction {
        guard case .running = lifecycle else {
            return .reject(completion, .closed("the producer"))
        }
        let id = nextID
        nextID &+= 1
        pending[id] = PendingSend(completion: completion, topic: topic)
        return .produce(id: id)
    }

    /// The message was not enqueued, so no report will come: hand the completion back.
    mutating func withdraw(_ id: UInt64) -> SendCompletion? {
        pending.removeValue(forKey: id)?.completion
    }

    /// A delivery report arrived; each id is reported at most once by librdkafka, and removal
    /// here makes a second resume impossible even if it were not.
    mutating func reportDelivery(_ id: UInt64) -> PendingSend? {
        pending.removeValue(forKey: id)
    }

    enum EnqueueCommandAction {
        case wakePollThread
        case completeNow(CheckedContinuation<KafkaError?, Never>?, KafkaError?)
    }

    mutating func enqueue(_ command: Command) -> EnqueueCommandAction {
        switch (lifecycle, command.kind) {
        case (.closed, .flush):
            return .completeNow(command.continuation, .closed("the producer"))
        case (.closed, .shutdown):
            return .completeNow(command.continuation, nil)
        case (.running, .shutdown):
            lifecycle = .shuttingDown
            commands.append(command)
            return .wakePollThread
        default:
            commands.append(command)
            return .wakePollThread
        }
    }

    /// Commands for the poll thread to run, in order.
    mutating func takeCommands() -> [Command] {
        defer { commands.removeAll() }
        return commands
    }

    /// The client is about to be destroyed: every send still pending fails, and commands that
    /// raced with the shutdown are answered.
    mutating func close() -> (sends: [PendingSend], commands: [Command]) {
        lifecycle = .closed
        defer {
            pending.removeAll()
            commands.removeAll()
        }
        return (Array(pending.values), commands)
    }
}
