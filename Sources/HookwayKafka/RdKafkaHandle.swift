import CRdKafka
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An `rd_kafka_t` whose lifetime is guarded by leases.
///
/// Threads other than the client's own poll thread (a `send`, a wake-up) take a lease for the
/// duration of their C call; the poll thread calls ``closeAndDrainLeases()`` before it destroys
/// the client, so no call can run on a destroyed handle.
///
/// `@unchecked Sendable`: `pointer` is immutable and librdkafka documents `rd_kafka_t` as
/// thread-safe for every call made through a lease (produce, queue yield); destruction happens
/// only after all leases are returned and new ones are refused.
final class RdKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// The queue the poll thread blocks on; yielding it wakes the thread.
    private let wakeQueue: OpaquePointer?
    private let leases = NIOLockedValueBox(Leases())

    private struct Leases {
        var active = 0
        var closed = false
    }

    init(_ pointer: OpaquePointer, wakeQueue: OpaquePointer?) {
        self.pointer = pointer
        self.wakeQueue = wakeQueue
    }

    /// Runs `body` with the client unless it is closed; returns `nil` if it is.
    func withLease<Result, Failure: Error>(
        _ body: (OpaquePointer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        let granted = leases.withLockedValue { state -> Bool in
            guard !state.closed else { return false }
            state.active += 1
            return true
        }
        guard granted else { return nil }
        defer { leases.withLockedValue { $0.active -= 1 } }
        return try body(pointer)
    }

    /// Wakes the poll thread from its blocking poll (a no-op once closed).
    func wake() {
        guard let wakeQueue else { return }
        _ = withLease { _ in rd_kafka_queue_yield(wakeQueue) }
    }

    /// Refuses new leases and waits for outstanding ones; they are single non-blocking C calls,
    /// so the wait is a few microseconds at most.
    func closeAndDrainLeases() {
        leases.withLockedValue { $0.closed = true }
        while leases.withLockedValue({ $0.active }) > 0 {
            sched_yield()
        }
    }

    /// Destroys the wake queue handle and the client. Call once, after ``closeAndDrainLeases()``.
    /// `skipConsumerClose`: the consumer already failed fatally, so leaving the group (which
    /// `rd_kafka_destroy` would attempt again) can only hang.
    func destroy(skipConsumerClose: Bool = false) {
        if let wakeQueue { rd_kafka_queue_destroy(wakeQueue) }
        if skipConsumerClose {
            rd_kafka_destroy_flags(pointer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
        } else {
            rd_kafka_destroy(pointer)
        }
    }
}
