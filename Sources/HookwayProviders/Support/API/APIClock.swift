import HookwayCore
import NIOConcurrencyHelpers

/// Nonces that only go up, across every task of the process: Bitso refuses a nonce not greater
/// than the last one its key used.
final class IncreasingNonce: Sendable {
    private let last = NIOLockedValueBox<Int64>(0)
    private let clock: @Sendable () -> Int64

    /// `clock`: microseconds since the epoch (as Bitso's Python SDK sends).
    init(clock: @escaping @Sendable () -> Int64 = { Timestamp.now().millisecondsSinceEpoch * 1000 }) {
        self.clock = clock
    }

    /// The clock's reading, bumped past the last nonce.
    func next() -> Int64 {
        let now = clock()
        return last.withLockedValue {
            $0 = max($0 + 1, now)
            return $0
        }
    }
}

/// Random bytes as lower-case hex (nonces for Bitnob's `X-Auth-Nonce`).
func randomHex(bytes count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return DigestCoding.hexString((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
}
