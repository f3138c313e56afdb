import Foundation
import HookwayCore
import HookwaySinks
import Testing

func decimal(_ s: String) -> ExactDecimal {
    guard let d = ExactDecimal(s) else { fatalError("bad decimal literal in test: \(s)") }
    return d
}

func temporaryPath(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "hookway-test-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
}

struct LedgerStoreTests {
    @Test func bookingIsIdempotentOnEventID() throws {
        let store = try SQLiteLedgerStore(path: temporaryPath("ledger.sqlite"))
        let entries = [
            LedgerEntry(account: "assets:bitnob:BTC", currency: "BTC", amount: decimal("0.000123456789012345678")),
            LedgerEntry(account: "liabilities:alice", currency: "BTC", amount: decimal("-0.000123456789012345678")),
        ]
        #expect(try store.book(eventID: "e1", type: "bitnob.btc.lightning.received.success", subject: "tx1", entries: entries, reversing: nil) == .booked)
        #expect(try store.book(eventID: "e1", type: "bitnob.btc.lightning.received.success", subject: "tx1", entries: entries, reversing: nil) == .alreadyBooked)
        let balances = try store.balances()
        #expect(balances.first { $0.account == "assets:bitnob:BTC" }?.balance.plainText == "0.000123456789012345678")
        #expect(try store.transactionCount() == 1)
    }

    @Test func reversalUndoesTheBookingOfTheSameSubject() throws {
        let store = try SQLiteLedgerStore(path: temporaryPath("ledger.sqlite"))
        let entries = [
            LedgerEntry(account: "liabilities:customers", currency: "MXN", amount: decimal("15000.50")),
            LedgerEntry(account: "assets:bitso:mxn", currency: "MXN", amount: decimal("-15000.50")),
        ]
        _ = try store.book(eventID: "w:pending", type: "bitso.withdrawal.pending", subject: "w1", entries: entries, reversing: nil)
        #expect(try store.book(eventID: "w:failed", type: "bitso.withdrawal.failed", subject: "w1", entries: [], reversing: [Glob("bitso.withdrawal.pending")]) == .booked)
        #expect(try store.balances().allSatisfy { $0.balance.isZero })
        // A second failure of the same withdrawal has nothing left to reverse.
        #expect(try store.book(eventID: "w:failed2", type: "bitso.withdrawal.failed", subject: "w1", entries: [], reversing: [Glob("bitso.withdrawal.pending")]) == .nothingToReverse)
    }

    @Test func journalIsImmutable() throws {
        let path = temporaryPath("ledger.sqlite")
        let store = try SQLiteLedgerStore(path: path)
        _ = try store.book(eventID: "e1", type: "t", subject: nil, entries: [
            LedgerEntry(account: "a", currency: "X", amount: decimal("1")), LedgerEntry(account: "b", currency: "X", amount: decimal("-1")),
        ], reversing: nil)
        let db = try SQLiteDatabase(path: path)
        #expect(throws: (any Error).self) { try db.execute("DELETE FROM ledger_entries") }
        #expect(throws: (any Error).self) { try db.execute("UPDATE ledger_transactions SET kind = 'skipped'") }
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

    static func sink() throws -> LedgerSink {
        let options = try JSONParser.parse(Array(sinkJSON.utf8))
        var config = SinkConfig(name: "ledger", kind: .accounting, topics: ["payments.deposits"], options: options, baseDirectory: NSTemporaryDirectory() + UUID().uuidString)
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
            data: EventData(provider: "bitnob", source: "bitnob", event: "btc.lightning.received.success", entity: EntityRef(kind: "transaction", id: id),
                            status: "success", amount: ExactDecimal.amountText(from: amount), payload: payload),
            authMethod: .signature, receivedAt: .now())
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
        let other = Event(id: "x", data: EventData(provider: "koywe", source: "koywe", event: "payment.created", payload: .object([])), authMethod: .signature, receivedAt: .now())
        try await sink.deliver(other)
        #expect(try sink.store.transactionCount() == 1)
        #expect(try sink.store.balances().isEmpty)
    }
}

struct LedgerSpeedTests {
    @Test func bookingSpeedWithoutKafka() async throws {
        let sink = try LedgerSinkTests.sink()
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
        print("ledger: 2,000 bookings without Kafka in \(elapsed)")
        #expect(try sink.store.transactionCount() == 2000)
    }
}
