import HookwayCore
import NIOConcurrencyHelpers

/// Group commit for a sink's database (the ledger, the index): writes that arrive while a
/// transaction runs wait and are written together in the next one (at most `maxBatch`). Each
/// caller still gets its own result or error, and returns only after its write is committed.
///
/// The transactions are run by ``run()``, the sink's background work in the runner's structured
/// scope (not a caller's task: a caller that kept flushing other slots' batches under sustained
/// load would never return to its own key). While ``run()`` is not running — a command or a
/// test calling the sink directly — each write is a transaction of its own.
///
/// The sink runtime delivers up to `concurrency` events at once (one key at a time), so under
/// load a batch holds about that many writes; alone, a write is committed at once.
final class GroupCommit<Request: Sendable, Response: Sendable>: Sendable {
    struct Waiting: Sendable {
        let request: Request
        /// Resumed with the response once its batch commits.
        let continuation: CheckedContinuation<Response?, any Error>
    }

    struct State {
        var queue: [Waiting] = []
        /// Whether ``run()`` is running (bookings are queued for it).
        var running = false
        /// ``run()`` waiting for the first booking of its next batch.
        var parked: CheckedContinuation<Void, Never>?
    }

    /// Writes a batch in one transaction: one response per request, in order.
    let commitBatch: @Sendable ([Request]) async throws -> [Response]
    let maxBatch: Int
    let state = NIOLockedValueBox(State())

    init(maxBatch: Int, commit: @escaping @Sendable ([Request]) async throws -> [Response]) {
        self.commitBatch = commit
        self.maxBatch = max(1, maxBatch)
    }

    /// Writes `request` in the next batch; returns when that batch is committed.
    func submit(_ request: Request) async throws -> Response {
        let batched: Response? = try await withCheckedThrowingContinuation { continuation in
            let (queued, flusher) = state.withLockedValue { state -> (Bool, CheckedContinuation<Void, Never>?) in
                guard state.running else { return (false, nil) }
                state.queue.append(Waiting(request: request, continuation: continuation))
                defer { state.parked = nil }
                return (true, state.parked)
            }
            if queued { flusher?.resume() } else { continuation.resume(returning: nil) }
        }
        if let batched { return batched }
        return try await commitOne(request)
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
            let outcomes = try await commitBatch(batch.map(\.request))
            guard outcomes.count == batch.count else {
                throw GroupCommitError(message: "the database returned \(outcomes.count) results for \(batch.count) writes")
            }
            for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(returning: outcome) }
        } catch {
            guard batch.count > 1 else {
                batch[0].continuation.resume(throwing: error)
                return
            }
            // The whole transaction rolled back. Write one by one so a single bad write fails
            // alone instead of taking its neighbours with it on every retry.
            for waiting in batch {
                do {
                    waiting.continuation.resume(returning: try await commitOne(waiting.request))
                } catch {
                    waiting.continuation.resume(throwing: error)
                }
            }
        }
    }

    private func commitOne(_ request: Request) async throws -> Response {
        let responses = try await commitBatch([request])
        guard let response = responses.first, responses.count == 1 else {
            throw GroupCommitError(message: "the database returned \(responses.count) results for 1 write")
        }
        return response
    }
}

/// The database answered a batch with the wrong number of results.
struct GroupCommitError: HookwayError {
    var message: String
    var code: ErrorCode { .storageFailed }
    /// A transaction that rolled back: the deliveries retry.
    var isRetriable: Bool { true }
    var description: String { message }
}
