import CRdKafka
import NIOConcurrencyHelpers

/// The one librdkafka client and the one thread behind a ``KafkaAdmin``: operations queue up
/// (at most ``capacity`` at once; more fail fast with `_QUEUE_FULL` instead of piling up threads
/// during an outage) and run one after the other on the thread, against a client created on
/// first use and kept until the admin goes away.
final class AdminWorker: Sendable {
    typealias Operation = @Sendable (OpaquePointer?) -> Void

    private enum Signal: Equatable { case idle, work }

    private struct State {
        var queue: [Operation] = []
        var stopped = false
        var started = false
    }

    let capacity: Int
    private let makeClient: @Sendable () -> OpaquePointer?
    private let state = NIOLockedValueBox(State())
    private let signal = ConditionLock(value: Signal.idle)

    init(capacity: Int, makeClient: @escaping @Sendable () -> OpaquePointer?) {
        self.capacity = capacity
        self.makeClient = makeClient
    }

    /// Queues `operation` (given the client, `nil` when it could not be created); false when the
    /// queue is full or the worker stopped.
    func submit(_ operation: @escaping Operation) -> Bool {
        let (accepted, start) = state.withLockedValue { state -> (Bool, Bool) in
            guard !state.stopped, state.queue.count < capacity else { return (false, false) }
            state.queue.append(operation)
            defer { state.started = true }
            return (true, !state.started)
        }
        guard accepted else { return false }
        if start { DedicatedThread.start(name: "hookway.kafka.admin") { [self] in runLoop() } }
        signal.lock()
        signal.unlock(withValue: .work)
        return true
    }

    /// Ends the thread after the queued operations; the client is destroyed on the thread.
    func stop() {
        let wasStarted = state.withLockedValue { state -> Bool in
            state.stopped = true
            return state.started
        }
        guard wasStarted else { return }
        signal.lock()
        signal.unlock(withValue: .work)
    }

    private func runLoop() {
        var client: OpaquePointer?
        var triedCreating = false
        while true {
            signal.lock(whenValue: .work)
            signal.unlock(withValue: .idle)
            while true {
                let next = state.withLockedValue { state -> (Operation?, Bool) in
                    (state.queue.isEmpty ? nil : state.queue.removeFirst(), state.stopped)
                }
                guard let operation = next.0 else {
                    if next.1 {
                        if let client { rd_kafka_destroy(client) }
                        return
                    }
                    break
                }
                if client == nil, !triedCreating || state.withLockedValue({ !$0.stopped }) {
                    client = makeClient()
                    triedCreating = true
                }
                operation(client)
            }
        }
    }
}
