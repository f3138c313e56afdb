import Foundation
import HookwayCore
import HookwayTesting
import Testing

@testable import HookwaySinks

func decimal(_ s: String) -> ExactDecimal {
    guard let d = ExactDecimal(s) else { fatalError("bad decimal literal in test: \(s)") }
    return d
}

func temporaryPath(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "hookway-test-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

@Suite(.timeLimit(.minutes(2)))
struct LedgerStoreTests {
    static let deposit = [
        LedgerEntry(account: "assets:bitnob:BTC", currency: "BTC", amount: decimal("0.000123456789012345678")),
        LedgerEntry(account: "liabilities:alice", currency: "BTC", amount: decimal("-0.000123456789012345678")),
    ]

    @Test(arguments: LedgerBackend.available)
    func bookingIsIdempotentOnEventID(_ backend: LedgerBackend) async throws {
        let store = try backend.store(try backend.freshDatabase())
        let request = BookingRequest(eventID: "e1", type: "bitnob.btc.lightning.received.success", subject: "tx1", entries: Self.deposit)
        #expect(try await store.book(request) == .booked)
        #expect(try await store.book(request) == .alreadyBooked)
        let balances = try await store.balances()
        #expect(balances.first { $0.account == "assets:bitnob:BTC" }?.balance.plainText == "0.000123456789012345678")
        #expect(try await store.transactionCount() == 1)
        await store.close()
    }

    @Test(arguments: LedgerBackend.available)
    func reversalUndoesTheBookingOfTheSameSubject(_ backend: LedgerBackend) async throws {
        let store = try backend.store(try backend.freshDatabase())
        let entries = [
            LedgerEntry(account: "liabilities:customers", currency: "MXN", amount: decimal("15000.50")),
            LedgerEntry(account: "assets:bitso:mxn", currency: "MXN", amount: decimal("-15000.50")),
        ]
        let reversal = [Glob("bitso.withdrawal.pending")]
        _ = try await store.book(BookingRequest(eventID: "w:pending", type: "bitso.withdrawal.pending", subject: "w1", entries: entries))
        #expect(
            try await store.book(
                BookingRequest(eventID: "w:failed", type: "bitso.withdrawal.failed", subject: "w1", entries: [], reversing: reversal)
            ) == .booked
        )
        #expect(try await store.balances().allSatisfy { $0.balance.isZero })
        // A second failure of the same withdrawal has nothing left to reverse.
        #expect(
            try await store.book(
                BookingRequest(eventID: "w:failed2", type: "bitso.withdrawal.failed", subject: "w1", entries: [], reversing: reversal)
            ) == .nothingToReverse
        )
        await store.close()
    }

    /// One batch, booked in order: a duplicate inside the batch books nothing, a reversal sees
    /// the booking made earlier in the same batch, balances move by the batch's sums.
    @Test(arguments: LedgerBackend.available)
    func batchBooksInOrderLikeOneByOne(_ backend: LedgerBackend) async throws {
        let store = try backend.store(try backend.freshDatabase())
        func lines(_ amount: String) -> [LedgerEntry] {
            [
                LedgerEntry(account: "assets:x", currency: "USD", amount: decimal(amount)),
                LedgerEntry(account: "liabilities:y", currency: "USD", amount: decimal(amount).negated),
            ]
        }
        let outcomes = try await store.book([
            BookingRequest(eventID: "a", type: "deposit", subject: "s-a", entries: lines("10.10")),
            BookingRequest(eventID: "a", type: "deposit", subject: "s-a", entries: lines("10.10")),
            BookingRequest(eventID: "b", type: "withdrawal.pending", subject: "s-b", entries: lines("-2.05")),
            BookingRequest(eventID: "c", type: "withdrawal.failed", subject: "s-b", entries: [], reversing: [Glob("withdrawal.pending")]),
            BookingRequest(eventID: "d", type: "unmatched", subject: nil, entries: []),
            BookingRequest(eventID: "e", type: "deposit", subject: nil, entries: lines("0.000000000000000001")),
        ])
        #expect(outcomes == [.booked, .alreadyBooked, .booked, .booked, .skipped, .booked])
        let balances = try await store.balances()
        #expect(balances.first { $0.account == "assets:x" }?.balance == decimal("10.100000000000000001"))
        #expect(balances.first { $0.account == "liabilities:y" }?.balance == decimal("-10.100000000000000001"))
        #expect(try await store.transactionCount() == 5)
        let journal = try await store.journal()
        #expect(journal.map(\.eventID) == ["a", "a", "b", "b", "c", "c", "e", "e"])
        await store.close()
    }

    @Test(arguments: LedgerBackend.available)
    func journalIsImmutable(_ backend: LedgerBackend) async throws {
        let database = try backend.freshDatabase()
        let store = try backend.store(database)
        _ = try await store.book(
            BookingRequest(
                eventID: "e1",
                type: "t",
                subject: nil,
                entries: [
                    LedgerEntry(account: "a", currency: "X", amount: decimal("1")), LedgerEntry(account: "b", currency: "X", amount: decimal("-1")),
                ]
            )
        )
        #expect(try backend.refuses("DELETE FROM ledger_entries", on: database))
        #expect(try backend.refuses("UPDATE ledger_transactions SET kind = 'skipped'", on: database))
        #expect(try backend.refuses("UPDATE ledger_entries SET amount = 2", on: database))
        #expect(try await store.transactionCount() == 1)
        await store.close()
    }
}

struct LedgerSinkTests {
    static let sinkJSON = """
        { "kind": "accounting", "topics": ["payments.deposits"], "database": "sqlite:ledger.sqlite",
          "postings": [ { "match": { "type": "bitnob.*.received.success" },
                          "debit": "assets:{provider}:{data.currency}",
                          "credit": "liabilities:customers:{data.payload.data.customerEmail}" } ],
          "reversals": [ { "match": { "type": "bitso.withdrawal.failed" }, "reverses": "bitso.withdrawal.pending" } ],
          "defaultCurrency": "BTC" }
        """

    static func sink(database: String? = nil) throws -> LedgerSink {
        var json = sinkJSON
        if let database { json = json.replacingOccurrences(of: "sqlite:ledger.sqlite", with: database) }
        let options = try JSONParser.parse(Array(json.utf8))
        var config = SinkConfig(
            name: "ledger",
            kind: .accounting,
            topics: ["payments.deposits"],
            options: options,
            baseDirectory: NSTemporaryDirectory() + UUID().uuidString
        )
        config.maxInFlight = 1
        return try LedgerSink.make(config)
    }

    static func deposit(id: String, amount: JSONValue, email: String = "alice@example.com") -> Event {
        let payload: JSONValue = .object([
            JSONMember("event", .string("btc.lightning.received.success")),
            JSONMember("data", .object([JSONMember("id", .string(id)), JSONMember("amount", amount), JSONMember("customerEmail", .string(email))])),
        ])
        return Event(
            id: "bitnob:btc.lightning.received.success:\(id)",
            data: EventData(
                provider: "bitnob",
                source: "bitnob",
                event: "btc.lightning.received.success",
                entity: EntityRef(kind: "transaction", id: id),
                status: "success",
                amount: ExactDecimal.amountText(from: amount),
                payload: payload
            ),
            authMethod: .signature,
            receivedAt: .now()
        )
    }

    @Test func postingRuleBooksBalancedEntries() throws {
        let sink = try Self.sink()
        let lines = try #require(try sink.entries(for: Self.deposit(id: "t1", amount: .string("0.5"))))
        #expect(lines.map(\.account) == ["assets:bitnob:BTC", "liabilities:customers:alice@example.com"])
        #expect(lines[0].amount + lines[1].amount == ExactDecimal.zero)
    }

    @Test func missingAmountIsPermanent() async throws {
        let sink = try Self.sink()
        await #expect(throws: SinkError.self) { try await sink.deliver(Self.deposit(id: "t2", amount: .string("lots"))) }
        do {
            try await sink.deliver(Self.deposit(id: "t3", amount: .null))
            Issue.record("expected a permanent error")
        } catch {
            #expect(error.isPermanent)
        }
    }

    @Test func unmatchedEventIsSkippedNotFailed() async throws {
        let sink = try Self.sink()
        let other = Event(
            id: "x",
            data: EventData(provider: "koywe", source: "koywe", event: "payment.created", payload: .object([])),
            authMethod: .signature,
            receivedAt: .now()
        )
        try await sink.deliver(other)
        #expect(try await sink.store.transactionCount() == 1)
        #expect(try await sink.store.balances().isEmpty)
    }
}

struct LedgerSpeedTests {
    /// Not a benchmark (see docs/benchmarks.md): a smoke check that group commit works.
    @Test(arguments: LedgerBackend.available)
    func bookingSpeedWithoutKafka(_ backend: LedgerBackend) async throws {
        let sink = try LedgerSinkTests.sink(database: try backend.freshDatabase())
        // The sink's background work (its group commit) runs as the runtime would run it.
        let background = Task { await sink.run() }
        defer { background.cancel() }
        while !sink.batcher.state.withLockedValue({ $0.running }) { await Task.yield() }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    for i in 0..<250 { try await sink.deliver(LedgerSinkTests.deposit(id: "speed-\(lane)-\(i)", amount: .string("1.5"))) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        print("ledger (\(backend)): 2,000 bookings without Kafka in \(elapsed)")
        #expect(try await sink.store.transactionCount() == 2000)
        await sink.shutdown()
    }
}
