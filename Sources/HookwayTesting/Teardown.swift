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
