import NIOConcurrencyHelpers

/// Bounds how many consumed messages wait in the lanes or are being delivered. The reader
/// acquires a slot per message and a lane releases it when the message is done; the reader
/// waits only when all slots are taken — never because one lane is busy (which, with a
/// hand-off channel per lane, stalled every lane behind the busiest key).
final class InFlightLimit: Sendable {
    private struct State {
        var used = 0
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let limit: Int
    private let state = NIOLockedValueBox(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a slot, waiting for one if all are in use. One caller at a time (the reader).
    func acquire() async {
        let acquired = state.withLockedValue { state -> Bool in
            guard state.used >= limit else {
                state.used += 1
                return true
            }
            return false
        }
        if acquired { return }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLockedValue { state -> Bool in
                if state.used < limit {
                    state.used += 1
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Returns a slot, waking the reader if it waits for one.
    func release() {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                // The slot passes straight to the waiting reader.
                state.waiter = nil
                return waiter
            }
            state.used -= 1
            return nil
        }
        waiter?.resume()
    }
}
