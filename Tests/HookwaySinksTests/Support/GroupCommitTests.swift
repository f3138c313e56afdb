import HookwayCore
import NIOConcurrencyHelpers
import Testing

@testable import HookwaySinks

/// A store that records batch sizes and fails every transaction that holds a poison id, the
/// way a database rolls back a whole transaction for one bad row.
final class BatchRecordingStore: LedgerStore {
    let batches = NIOLockedValueBox<[[String]]>([])
    let poison: String

    init(poison: String) { self.poison = poison }

    func book(_ requests: [BookingRequest]) async throws -> [BookingOutcome] {
        try await Task.sleep(for: .milliseconds(5))
        batches.withLockedValue { $0.append(requests.map(\.eventID)) }
        if requests.contains(where: { $0.eventID == poison }) { throw LedgerStoreError("poison in batch") }
        return requests.map { _ in .booked }
    }
    func balances() async throws -> [LedgerBalance] { [] }
    func transactionCount() async throws -> Int { 0 }
    func journal() async throws -> [JournalLine] { [] }
    func close() async {}
}

struct GroupCommitTests {
    @Test func concurrentBookingsShareTransactionsAndAPoisonFailsAlone() async throws {
        let store = BatchRecordingStore(poison: "e7")
        let batcher = GroupCommit<BookingRequest, BookingOutcome>(maxBatch: 16) { try await store.book($0) }
        let flusher = Task { await batcher.run() }
        // Bookings queue for the flusher once it runs; before, each is booked on its own.
        while !batcher.state.withLockedValue({ $0.running }) { await Task.yield() }
        let results = await withTaskGroup(of: (String, Bool).self) { group in
            for i in 0..<64 {
                group.addTask {
                    let ok = (try? await batcher.submit(BookingRequest(eventID: "e\(i)", type: "t", subject: nil, entries: []))) != nil
                    return ("e\(i)", ok)
                }
            }
            var all: [String: Bool] = [:]
            for await (id, ok) in group { all[id] = ok }
            return all
        }
        #expect(results.count == 64)
        #expect(results.filter { !$0.value }.map(\.key) == ["e7"])
        let batches = store.batches.withLockedValue { $0 }
        // Far fewer transactions than bookings, none larger than maxBatch.
        #expect(batches.allSatisfy { $0.count <= 16 })
        #expect(batches.filter { $0.count > 1 }.count >= 2, "\(batches.map(\.count))")
        flusher.cancel()
        await flusher.value
    }

    @Test func withoutTheFlusherEachBookingIsItsOwnTransaction() async throws {
        let store = BatchRecordingStore(poison: "none")
        let batcher = GroupCommit<BookingRequest, BookingOutcome>(maxBatch: 16) { try await store.book($0) }
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 { group.addTask { _ = try? await batcher.submit(BookingRequest(eventID: "e\(i)", type: "t", subject: nil, entries: [])) } }
        }
        #expect(store.batches.withLockedValue { $0.map(\.count) } == Array(repeating: 1, count: 8))
    }

    /// At the runner's shutdown the slots have ended before the flusher is cancelled, so its
    /// queue is empty; still, a booking queued as it stops is answered (booked, or an error the
    /// delivery retries), never left waiting.
    @Test func bookingsQueuedWhenTheFlusherStopsAreAnswered() async throws {
        let store = BatchRecordingStore(poison: "none")
        let batcher = GroupCommit<BookingRequest, BookingOutcome>(maxBatch: 4) { try await store.book($0) }
        let flusher = Task { await batcher.run() }
        while !batcher.state.withLockedValue({ $0.running }) { await Task.yield() }
        let answered = await withTaskGroup(of: Void.self) { group in
            for i in 0..<12 {
                group.addTask { _ = try? await batcher.submit(BookingRequest(eventID: "e\(i)", type: "t", subject: nil, entries: [])) }
            }
            flusher.cancel()
            var count = 0
            for await _ in group { count += 1 }
            return count
        }
        await flusher.value
        #expect(answered == 12)
    }
}
