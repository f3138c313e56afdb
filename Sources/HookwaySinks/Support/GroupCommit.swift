import NIOConcurrencyHelpers

/// Group commit for the ledger: bookings that arrive while a database transaction runs wait and
/// are booked together in the next one (at most `maxBatch`). Each caller still gets its own
/// outcome or error, and returns only after its booking is committed.
///
/// The transactions are run by ``run()``, the sink's background work in the runner's structured
/// scope (not a caller's task: a caller that kept flushing other slots' batches under sustained
/// load would never return to its own key). While ``run()`` is not running — a command or a
/// test calling the sink directly — each booking is a transaction of its own.
///
/// The sink runtime delivers up to `concurrency` events at once (one key at a time), so under
/// load a batch holds about that many bookings; alone, an event is booked at once.
final class LedgerBatcher: Sendable {
    struct Waiting: Sendable {
        let request: BookingRequest
        /// Resumed with the outcome once its batch commits.
        let continuation: CheckedContinuation<BookingOutcome?, any Error>
    }

    struct State {
        var queue: [Waiting] = []
        /// Whether ``run()`` is running (bookings are queued for it).
        var running = false
        /// ``run()`` waiting for the first booking of its next batch.
        var parked: CheckedContinuation<Void, Never>?
    }

    let store: any LedgerStore
    let maxBatch: Int
    let state = NIOLockedValueBox(State())

    init(store: any LedgerStore, maxBatch: Int) {
        self.store = store
        self.maxBatch = max(1, maxBatch)
    }

    /// Books `request` in the next batch; returns when that batch is committed.
    func book(_ request: BookingRequest) async throws -> BookingOutcome {
        let batched: BookingOutcome? = try await withCheckedThrowingContinuation { continuation in
            let (queued, flusher) = state.withLockedValue { state -> (Bool, CheckedContinuation<Void, Never>?) in
                guard state.running else { return (false, nil) }
                state.queue.append(Waiting(request: request, continuation: continuation))
                defer { state.parked = nil }
                return (true, state.parked)
            }
            if queued { flusher?.resume() } else { continuation.resume(returning: nil) }
        }
        if let batched { return batched }
        return try await store.book(request)
    }

    /// Runs the transactions until cancelled, then commits what was queued before it stopped.
    func run() async {
        state.withLockedValue { $0.running = true }
        while !Task.isCancelled {
            await waitForBookings()
            await drain()
        }
        state.withLockedValue { $0.running = false }
        await drain()
    }

    private func waitForBookings() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (flusher: CheckedContinuation<Void, Never>) in
                let now = state.withLockedValue { state -> Bool in
                    guard state.queue.isEmpty, !Task.isCancelled else { return true }
                    state.parked = flusher
                    return false
                }
                if now { flusher.resume() }
            }
        } onCancel: {
            state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
                defer { state.parked = nil }
                return state.parked
            }?.resume()
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLockedValue { state -> [Waiting] in
                let count = min(maxBatch, state.queue.count)
                defer { state.queue.removeFirst(count) }
                return Array(state.queue.prefix(count))
            }
            guard !batch.isEmpty else { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Waiting]) async {
        do {
            let outcomes = try await store.book(batch.map(\.request))
            guard outcomes.count == batch.count else {
                throw LedgerStoreError("the ledger returned \(outcomes.count) outcomes for \(batch.count) bookings")
            }
            for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
        } catch {
            guard batch.count > 1 else {
                batch[0].continuation.resume(throwing: error)
                return
            }
            // The whole transaction rolled back. Book one by one so a single bad booking fails
            // alone instead of taking its neighbours with it on every retry.
            for waiting in batch {
                do {
                    waiting.continuation.resume(returning: try await store.book(waiting.request))
                } catch {
                    waiting.continuation.resume(throwing: error)
                }
            }
        }
    }
}
