import Foundation

/// A value behind an `NSLock` (HookwayTesting does not depend on NIO).
///
/// `@unchecked Sendable`: `value` is only accessed inside `withLock`, under `lock`.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Runs `body`, then awaits `teardown` — whether `body` returned or threw — so a test's servers,
/// brokers and files are gone before the next test starts (a `defer { Task { … } }` would leave
/// them running into it).
public func withTeardown<Value>(
    _ teardown: () async -> Void,
    _ body: () async throws -> Value
) async throws -> Value {
    let value: Value
    do {
        value = try await body()
    } catch {
        await teardown()
        throw error
    }
    await teardown()
    return value
}
