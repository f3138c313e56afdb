import Foundation
import GRDB
import HookwayCore
import Testing

@testable import HookwaySinks

/// Files written before the stores used GRDB open, keep their data and are migrated.
struct SQLiteMigrationTests {
    static func temporaryFile(_ name: String) -> String {
        NSTemporaryDirectory() + "hookway-migration-\(UUID().uuidString)/\(name)"
    }

    /// A ledger as the hand-written SQLite wrapper left it: its schema, its `schema_migrations`
    /// bookkeeping, one booked deposit.
    static func preGRDBLedger(at path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            try db.execute(sql: "PRAGMA journal_mode=WAL")
            try db.execute(sql: "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            try db.execute(sql: SQLiteLedgerStore.schema)
            try db.execute(sql: "INSERT INTO schema_migrations VALUES (1, '2026-12-01T00:00:00Z')")
            try db.execute(sql: "INSERT INTO ledger_transactions VALUES ('dep-1', 'bitnob.deposit', 'tx-1', 'booking', NULL, '2026-12-01T00:00:00Z')")
            try db.execute(
                sql: "INSERT INTO ledger_entries (event_id, account, currency, amount) VALUES ('dep-1', 'assets:bitnob', 'BTC', '0.00012345')"
            )
            try db.execute(
                sql: "INSERT INTO ledger_entries (event_id, account, currency, amount) VALUES ('dep-1', 'liabilities:alice', 'BTC', '-0.00012345')"
            )
            try db.execute(
                sql: "INSERT INTO ledger_balances VALUES ('assets:bitnob', 'BTC', '0.00012345'), ('liabilities:alice', 'BTC', '-0.00012345')"
            )
        }
    }

    @Test func aPreGRDBLedgerOpensKeepsItsBookingsAndIsMigrated() async throws {
        let path = Self.temporaryFile("ledger.sqlite")
        try Self.preGRDBLedger(at: path)
        let store = try SQLiteLedgerStore(path: path)
        let balances = try await store.balances()
        #expect(
            balances.map { "\($0.account) \($0.currency) \($0.balance.plainText)" } == [
                "assets:bitnob BTC 0.00012345", "liabilities:alice BTC -0.00012345",
            ]
        )
        // The old booking still deduplicates, and new ones book on top.
        let again = BookingRequest(eventID: "dep-1", type: "bitnob.deposit", subject: "tx-1", entries: [])
        #expect(try await store.book(again) == .alreadyBooked)
        let amount = try #require(ExactDecimal("0.00000005"))
        let next = BookingRequest(
            eventID: "dep-2",
            type: "bitnob.deposit",
            subject: "tx-2",
            entries: [
                LedgerEntry(account: "assets:bitnob", currency: "BTC", amount: amount),
                LedgerEntry(account: "liabilities:bob", currency: "BTC", amount: amount.negated),
            ]
        )
        #expect(try await store.book(next) == .booked)
        #expect(try await store.balances().first?.balance.plainText == "0.00012350")
        #expect(try await store.transactionCount() == 2)

        let db = try DatabaseQueue(path: path)
        let (applied, oldTable) = try await db.read { db in
            (try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier"), try db.tableExists("schema_migrations"))
        }
        #expect(applied == ["v1-ledger", "v2-drop-schema-migrations"])
        #expect(!oldTable, "the hand-made bookkeeping is gone")
        // Migrating again is a no-op.
        _ = try SQLiteLedgerStore(path: path)
    }

    @Test func aPreGRDBSentLogOpensAndStillKnowsWhatWasSent() async throws {
        let path = Self.temporaryFile("sent.sqlite")
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(
                sql: "CREATE TABLE email_sent (event_id TEXT PRIMARY KEY, message_id TEXT NOT NULL, recipients TEXT NOT NULL, sent_at TEXT NOT NULL)"
            )
            try db.execute(sql: "INSERT INTO email_sent VALUES ('evt-1', '<m1@hookway>', 'ops@example.com', '2026-12-01T00:00:00Z')")
        }
        let log = try EmailSentLog(path: path)
        #expect(try await log.sentMessageID(eventID: "evt-1") == "<m1@hookway>")
        #expect(try await log.sentMessageID(eventID: "evt-2") == nil)
        try await log.record(eventID: "evt-2", messageID: "<m2@hookway>", recipients: ["a@example.com"])
        #expect(try await log.sentMessageID(eventID: "evt-2") == "<m2@hookway>")
    }

    @Test func aReadOnlyLedgerIsNotCreatedOrMigrated() throws {
        let path = Self.temporaryFile("missing.sqlite")
        #expect(throws: (any Error).self) { try SQLiteLedgerStore(path: path, readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
