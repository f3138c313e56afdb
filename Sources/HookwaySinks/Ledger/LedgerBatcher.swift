import NIOConcurrencyHelpers

/// Group commit for the ledger: bookings that arrive while a database transaction runs wait and
/// are booked together in the next one (at most `maxBatch`). Each caller still gets its own
/// outcome or error, and returns only after its booking is committed.
///
/// The sink runtime delivers up to `maxInFlight` events at once (one per lane, per-key order
/// kept by the lanes), so under load a batch holds about that many bookings; alone, an event is
/// booked at once with no added wait.
final class LedgerBatcher: Sendable {
    struct Waiting: Sendable {
        let request: BookingRequest
        let continuation: CheckedContinuation<BookingOutcome, any Error>
    }

    struct State {
        var queue: [Waiting] = []
        var flushing = false
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
        try await withCheckedThrowingContinuation { continuation in
            let startFlusher = state.withLockedValue { state -> Bool in
                state.queue.append(Waiting(request: request, continuation: continuation))
                guard !state.flushing else { return false }
                state.flushing = true
                return true
            }
            // One flusher at a time drains the queue. It is not a caller's task on purpose: a
            // caller that kept flushing other lanes' batches under sustained load would never
            // return to its own lane.
            if startFlusher { Task { await self.drain() } }
        }
    }

    func drain() async {
        while true {
            let batch = state.withLockedValue { state -> [Waiting] in
                guard !state.queue.isEmpty else {
                    state.flushing = false
                    return []
                }
                let count = min(maxBatch, state.queue.count)
                defer { state.queue.removeFirst(count) }
                return Array(state.queue.prefix(count))
            }
            guard !batch.isEmpty else { return }
            await commit(batch)
        }
    }

    func commit(_ batch: [Waiting]) async {
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
