import Foundation
import HookwayCore
import HookwaySinks
import HookwayTesting
import Logging
import Testing

/// The index against SQLite always and PostgreSQL when `HOOKWAY_TEST_POSTGRES` is set.
struct IndexStoreTests {
    static func store(_ backend: LedgerBackend) throws -> any IndexStore {
        let database = try backend.freshDatabase()
        switch backend {
        case .sqlite: return try SQLiteIndexStore(path: String(database.dropFirst("sqlite:".count)))
        case .postgres: return try PostgresIndexStore(url: database, logger: Logger(label: "test.index"))
        }
    }

    /// Runs `body` with a fresh store of `backend` whose client runs beside it.
    static func withStore(_ backend: LedgerBackend, _ body: (any IndexStore) async throws -> Void) async throws {
        let store = try Self.store(backend)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            defer { group.cancelAll() }
            try await body(store)
        }
        await store.close()
    }

    static func summary(type: String = "bitso.funding.complete", subject: String?, receivedAt: String, amount: String = "100.00") -> Outcome.Summary {
        Outcome.Summary(
            source: "/webhooks/bitso",
            type: type,
            subject: subject,
            time: receivedAt,
            receivedAt: receivedAt,
            authMethod: "signature",
            amount: amount,
            currency: "MXN",
            status: "complete"
        )
    }

    static func at(_ ms: Int64) -> Timestamp { Timestamp(millisecondsSinceEpoch: 1_796_000_000_000 + ms) }

    @Test(arguments: LedgerBackend.available)
    func aTraceIsTheEventAndItsOutcomesOldestFirstAndRedeliveriesChangeNothing(_ backend: LedgerBackend) async throws {
        try await Self.withStore(backend) { store in
            let received = Outcome(
                eventID: "bitso:funding:f1",
                kind: .received,
                at: Self.at(0),
                topics: [Outcome.Position(topic: "payments.deposits", partition: 2, offset: 41)],
                summary: Self.summary(subject: "f1", receivedAt: Self.at(0).rfc3339)
            )
            let retried = Outcome(
                eventID: "bitso:funding:f1",
                kind: .retried,
                sink: "crm",
                at: Self.at(20),
                attempt: 1,
                code: "destination_unavailable",
                message: "503"
            )
            let booked = Outcome(eventID: "bitso:funding:f1", kind: .booked, sink: "ledger", at: Self.at(10), attempt: 1)
            let lettered = Outcome(
                eventID: "bitso:funding:f1",
                kind: .deadLettered,
                sink: "crm",
                at: Self.at(30),
                attempt: 3,
                code: "destination_rejected",
                message: "422",
                deadLetter: Outcome.Position(topic: "crm.dlq", partition: 1, offset: 9)
            )
            try await store.write([.outcome(received), .outcome(retried), .outcome(booked), .outcome(lettered)])
            // Kafka redelivers: the same outcomes again, and the event's own message.
            try await store.write([
                .outcome(booked), .outcome(received),
                .event(
                    id: "bitso:funding:f1",
                    summary: received.summary!,
                    position: Outcome.Position(topic: "payments.deposits", partition: 2, offset: 41)
                ),
            ])
            let trace = try #require(try await store.trace("bitso:funding:f1"))
            #expect(trace.event?.summary.amount == "100.00")
            #expect(trace.event?.topics == [Outcome.Position(topic: "payments.deposits", partition: 2, offset: 41)])
            #expect(trace.outcomes.map(\.kind) == [.received, .booked, .retried, .deadLettered])
            #expect(trace.outcomes.last?.deadLetter == Outcome.Position(topic: "crm.dlq", partition: 1, offset: 9))
            #expect(trace.outcomes.last?.code == "destination_rejected")
            #expect(try await store.trace("nobody") == nil)
        }
    }

    @Test(arguments: LedgerBackend.available)
    func searchFiltersBySubjectSourceTypeTimeAndStatusNewestFirst(_ backend: LedgerBackend) async throws {
        try await Self.withStore(backend) { store in
            var records: [IndexRecord] = []
            for i in 0..<10 {
                let type = i % 2 == 0 ? "bitso.funding.complete" : "bitso.withdrawal.complete"
                let summary = Self.summary(type: type, subject: "s\(i % 3)", receivedAt: Self.at(Int64(i) * 1000).rfc3339)
                records.append(.outcome(Outcome(eventID: "e\(i)", kind: .received, at: Self.at(Int64(i) * 1000), summary: summary)))
                records.append(.outcome(Outcome(eventID: "e\(i)", kind: .booked, sink: "ledger", at: Self.at(Int64(i) * 1000 + 5), attempt: 1)))
            }
            try await store.write(records)
            var query = IndexQuery()
            query.subject = "s1"
            #expect(try await store.search(query).map(\.id) == ["e7", "e4", "e1"])
            query = IndexQuery()
            query.type = Glob("bitso.withdrawal.*")
            query.since = Self.at(3000).millisecondsSinceEpoch
            query.until = Self.at(8000).millisecondsSinceEpoch
            query.source = "bitso"
            let found = try await store.search(query)
            #expect(found.map(\.id) == ["e7", "e5", "e3"])
            #expect(found.first?.latest == ["ledger": .booked])
            query = IndexQuery()
            query.status = "failed"
            #expect(try await store.search(query).isEmpty)
            query = IndexQuery()
            query.limit = 2
            #expect(try await store.search(query).map(\.id) == ["e9", "e8"])
        }
    }

    @Test(arguments: LedgerBackend.available)
    func retentionPurgesOldEventsWithTheirOutcomes(_ backend: LedgerBackend) async throws {
        try await Self.withStore(backend) { store in
            for (id, ms) in [("old", Int64(0)), ("new", Int64(100_000))] {
                try await store.write([
                    .outcome(
                        Outcome(eventID: id, kind: .received, at: Self.at(ms), summary: Self.summary(subject: id, receivedAt: Self.at(ms).rfc3339))
                    ),
                    .outcome(Outcome(eventID: id, kind: .sent, sink: "mail", at: Self.at(ms + 1), attempt: 1)),
                ])
            }
            #expect(try await store.purge(receivedBefore: Self.at(50_000).millisecondsSinceEpoch) == 1)
            #expect(try await store.trace("old") == nil)
            #expect(try await store.trace("new")?.outcomes.count == 2)
        }
    }
}
