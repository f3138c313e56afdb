import CRdKafka
import NIOConcurrencyHelpers

/// The one librdkafka client and the one thread behind a ``KafkaAdmin``: operations queue up
/// (at most ``capacity`` at once; more fail fast with `_QUEUE_FULL` instead of piling up threads
/// during an outage) and run one after the other on the thread, against a client created on
/// first use and kept until the admin goes away.
final class AdminWorker: Sendable {
    /// Runs with the client, or with why it could not be created.
    typealias Operation = @Sendable (Result<OpaquePointer, KafkaError>) -> Void

    private enum Signal: Equatable { case idle, work }

    private struct State {
        var queue: [Operation] = []
        var stopped = false
        var started = false
    }

    let capacity: Int
    private let makeClient: @Sendable () throws(KafkaError) -> OpaquePointer
    private let state = NIOLockedValueBox(State())
    private let signal = ConditionLock(value: Signal.idle)

    init(capacity: Int, makeClient: @escaping @Sendable () throws(KafkaError) -> OpaquePointer) {
        self.capacity = capacity
        self.makeClient = makeClient
    }

    /// Queues `operation`; false when the queue is full or the worker stopped.
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
        var client: Result<OpaquePointer, KafkaError>?
        while true {
            signal.lock(whenValue: .work)
            signal.unlock(withValue: .idle)
            while true {
                let next = state.withLockedValue { state -> (Operation?, Bool) in
                    (state.queue.isEmpty ? nil : state.queue.removeFirst(), state.stopped)
                }
                guard let operation = next.0 else {
                    if next.1 {
                        if case .success(let rk) = client { rd_kafka_destroy(rk) }
                        return
                    }
                    break
                }
                // Created on first use; a failed creation is tried again by the next operation.
                if client == nil || (try? client?.get()) == nil {
                    client = Result { () throws(KafkaError) in try makeClient() }
                }
                operation(client ?? .failure(KafkaError(code: .creation, message: "no admin client")))
            }
        }
    }
}
