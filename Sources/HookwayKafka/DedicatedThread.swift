import Foundation

/// Runs blocking work on threads of their own, never on Swift's cooperative pool.
enum DedicatedThread {
    /// Starts a long-lived named thread (a client's poll loop).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    /// Runs one blocking call on a fresh thread and awaits its result without blocking the
    /// caller's executor.
    static func run<Value: Sendable>(name: String, _ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            start(name: name) { continuation.resume(returning: body()) }
        }
    }
}
