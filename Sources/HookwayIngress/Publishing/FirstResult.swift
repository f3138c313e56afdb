import NIOConcurrencyHelpers

/// Awaits `operation` for at most `timeout`. Unlike a task group, returning on timeout does not
/// wait for the operation: a Kafka send cannot be taken back, so it finishes on its own (and a
/// late acknowledgement is harmless — the event id deduplicates the provider's retry). When the
/// operation wins, the timer is cancelled at once so no sleeping task outlives the request.
func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async -> T
) async -> T? {
    let state = NIOLockedValueBox<(continuation: CheckedContinuation<T?, Never>?, timer: Task<Void, Never>?)>((nil, nil))
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        state.withLockedValue { $0.continuation = continuation }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            state.withLockedValue { s -> CheckedContinuation<T?, Never>? in
                defer { s.continuation = nil }
                return s.continuation
            }?.resume(returning: nil)
        }
        state.withLockedValue { $0.timer = timer }
        Task {
            let value = await operation()
            let (c, t) = state.withLockedValue { s -> (CheckedContinuation<T?, Never>?, Task<Void, Never>?) in
                defer { s.continuation = nil; s.timer = nil }
                return (s.continuation, s.timer)
            }
            t?.cancel()
            c?.resume(returning: value)
        }
    }
}
