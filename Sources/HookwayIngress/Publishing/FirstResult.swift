import NIOConcurrencyHelpers

/// Awaits `operation` for at most `timeout`. Unlike a task group, returning on timeout does not
/// wait for the operation: a Kafka send cannot be taken back, so it finishes on its own (and a
/// late acknowledgement is harmless — the event id deduplicates the provider's retry).
func withDeadline<T: Sendable>(
    _ timeout: Duration, _ operation: @escaping @Sendable () async -> T
) async -> T? {
    let once = NIOLockedValueBox<CheckedContinuation<T?, Never>?>(nil)
    return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
        once.withLockedValue { $0 = continuation }
        let work = Task {
            let value = await operation()
            once.withLockedValue { $0.take() }?.resume(returning: value)
        }
        Task {
            try? await Task.sleep(for: timeout)
            if let c = once.withLockedValue({ $0.take() }) {
                c.resume(returning: nil)
            }
            _ = work
        }
    }
}
