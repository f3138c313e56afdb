/// Waits until `condition` holds — something a test can observe: a stand-in's request log, a
/// topic's contents, a port that accepts — asking again every `interval`, and throws
/// ``WaitTimedOut`` when `timeout` passes first.
public func eventually(
    _ what: String,
    timeout: Duration = .seconds(30),
    interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { throw WaitTimedOut(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}

/// ``eventually(_:timeout:interval:_:)`` gave up.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public var what: String
    public var timeout: Duration
    public var description: String { "timed out after \(timeout) waiting for \(what)" }
}
