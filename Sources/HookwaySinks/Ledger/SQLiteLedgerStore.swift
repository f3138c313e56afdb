import GRDB
import HookwayCore

/// The ledger in SQLite (WAL, through GRDB). Amounts are exact decimal TEXT, never REAL;
/// balances are maintained in the same transaction as the entries, with exact arithmetic in
/// Swift. GRDB runs each batch on its writer queue, off the cooperative pool.
public final class SQLiteLedgerStore: LedgerStore {
    let db: any DatabaseWriter

    /// The ledger's schema, as GRDB migrations. Files made before GRDB (same tables, created
    /// with `IF NOT EXISTS`, versions in `schema_migrations`) adopt the first as they stand; the
    /// second drops that hand-made bookkeeping, which `grdb_migrations` replaces.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ledger") { db in try db.execute(sql: schema) }
        migrator.registerMigration("v2-drop-schema-migrations") { db in try db.execute(sql: "DROP TABLE IF EXISTS schema_migrations") }
        return migrator
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS ledger_transactions (
            event_id TEXT PRIMARY KEY,
            event_type TEXT NOT NULL,
            subject TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('booking', 'reversal', 'skipped')),
            reverses TEXT,
            booked_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ledger_entries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL REFERENCES ledger_transactions(event_id),
            account TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ledger_entries_event ON ledger_entries(event_id);
        CREATE INDEX IF NOT EXISTS ledger_transactions_subject ON ledger_transactions(subject, kind);
        CREATE TABLE IF NOT EXISTS ledger_balances (
            account TEXT NOT NULL,
            currency TEXT NOT NULL,
            balance TEXT NOT NULL,
            PRIMARY KEY (account, currency)
        );
        CREATE TRIGGER IF NOT EXISTS ledger_entries_immutable_update BEFORE UPDATE ON ledger_entries
            BEGIN SELECT RAISE(ABORT, 'the journal is immutable'); END;
        CREATE TRIGGER IF NOT EXISTS ledger_entries_immutable_delete BEFORE DELETE ON ledger_entries
            BEGIN SELECT RAISE(ABORT, 'the journal is immutable'); END;
        CREATE TRIGGER IF NOT EXISTS ledger_transactions_immutable_update BEFORE UPDATE ON ledger_transactions
            BEGIN SELECT RAISE(ABORT, 'the journal is immutable'); END;
        CREATE TRIGGER IF NOT EXISTS ledger_transactions_immutable_delete BEFORE DELETE ON ledger_transactions
            BEGIN SELECT RAISE(ABORT, 'the journal is immutable'); END;
        """

    /// Opens (creating directories and applying migrations), or opens an existing file to read.
    public init(path: String, readOnly: Bool = false) throws {
        db = readOnly ? try SQLiteStore.openReadOnly(path: path) : try SQLiteStore.open(path: path, migrator: Self.migrator)
    }

    public func book(_ requests: [BookingRequest]) async throws -> [BookingOutcome] {
        guard !requests.isEmpty else { return [] }
        return try await db.write { db in try Self.book(requests, in: db) }
    }

    /// Books a batch in one `BEGIN IMMEDIATE … COMMIT` (GRDB's `write`). Balance changes are
    /// summed per account and currency in memory and written once per batch, so a hot account
    /// (the provider's asset account every deposit debits) costs one row update per batch, not
    /// per event.
    static func book(_ requests: [BookingRequest], in c: Database) throws -> [BookingOutcome] {
        let now = Timestamp.now().rfc3339
        var deltas: [BalanceKey: ExactDecimal] = [:]
        var outcomes: [BookingOutcome] = []
        outcomes.reserveCapacity(requests.count)
        for request in requests {
            var lines = request.entries
            var kind = lines.isEmpty ? "skipped" : "booking"
            var reverses: String?
            if let reversing = request.reversing {
                lines = []
                if let (original, originalLines) = try Self.reversible(c, subject: request.subject, types: reversing) {
                    kind = "reversal"
                    reverses = original
                    lines = originalLines.map { LedgerEntry(account: $0.account, currency: $0.currency, amount: $0.amount.negated) }
                } else {
                    kind = "skipped"
                }
            }
            try c.cachedStatement(
                sql: "INSERT OR IGNORE INTO ledger_transactions (event_id, event_type, subject, kind, reverses, booked_at) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [request.eventID, request.type, request.subject, kind, reverses, now])
            if c.changesCount == 0 {
                outcomes.append(.alreadyBooked)
                continue
            }
            for line in lines {
                try c.cachedStatement(sql: "INSERT INTO ledger_entries (event_id, account, currency, amount) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [request.eventID, line.account, line.currency, line.amount.plainText])
                let key = BalanceKey(account: line.account, currency: line.currency)
                deltas[key] = (deltas[key] ?? .zero) + line.amount
            }
            if request.reversing != nil {
                outcomes.append(reverses == nil ? .nothingToReverse : .booked)
            } else {
                outcomes.append(request.entries.isEmpty ? .skipped : .booked)
            }
        }
        for (key, delta) in deltas.sorted(by: { ($0.key.account, $0.key.currency) < ($1.key.account, $1.key.currency) }) {
            let current = try String.fetchOne(
                c.cachedStatement(sql: "SELECT balance FROM ledger_balances WHERE account = ? AND currency = ?"),
                arguments: [key.account, key.currency]
            )
            guard let stored = current.map({ ExactDecimal($0) }) ?? .zero else {
                throw LedgerStoreError("the balance of \(key.account) \(key.currency) is not a decimal: \(current ?? "")")
            }
            let balance = stored + delta
            try c.cachedStatement(
                sql:
                    "INSERT INTO ledger_balances (account, currency, balance) VALUES (?, ?, ?) ON CONFLICT(account, currency) DO UPDATE SET balance = excluded.balance"
            ).execute(arguments: [key.account, key.currency, balance.plainText])
        }
        return outcomes
    }

    /// The latest booking of `subject` whose type matches `types` and that nothing reversed yet,
    /// with its lines.
    static func reversible(_ c: Database, subject: String?, types: [Glob]) throws -> (String, [LedgerEntry])? {
        let candidates = try Row.fetchAll(
            c,
            sql: """
                SELECT t.event_id, t.event_type FROM ledger_transactions t
                WHERE t.subject IS ? AND t.kind = 'booking'
                  AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.kind = 'reversal' AND r.reverses = t.event_id)
                ORDER BY t.rowid DESC
                """,
            arguments: [subject]
        )
        guard let match = candidates.first(where: { row in (row[1] as String?).map { t in types.contains { $0.matches(t) } } ?? false }),
            let original = match[0] as String?
        else { return nil }
        let rows = try Row.fetchAll(
            c,
            sql: "SELECT account, currency, amount FROM ledger_entries WHERE event_id = ? ORDER BY id",
            arguments: [original]
        )
        return (original, try rows.map { try Self.entry($0) })
    }

    /// The `account, currency, amount` columns of a row from `start` as an entry; a corrupt
    /// amount is an error.
    static func entry(_ row: Row, from start: Int = 0) throws -> LedgerEntry {
        let account: String = row[start]
        let currency: String = row[start + 1]
        let text: String = row[start + 2]
        guard let amount = ExactDecimal(text) else { throw LedgerStoreError("a journal amount is not a decimal: \(text)") }
        return LedgerEntry(account: account, currency: currency, amount: amount)
    }

    public func balances() async throws -> [LedgerBalance] {
        try await db.read { c in
            try Row.fetchAll(c, sql: "SELECT account, currency, balance FROM ledger_balances ORDER BY account, currency").map { row in
                let entry = try Self.entry(row)
                return LedgerBalance(account: entry.account, currency: entry.currency, balance: entry.amount)
            }
        }
    }

    public func transactionCount() async throws -> Int {
        try await db.read { c in try Int.fetchOne(c, sql: "SELECT COUNT(*) FROM ledger_transactions") ?? 0 }
    }

    public func journal() async throws -> [JournalLine] {
        try await db.read { c in
            try Row.fetchAll(c, sql: "SELECT event_id, account, currency, amount FROM ledger_entries ORDER BY id").map { row in
                JournalLine(eventID: row[0], entry: try Self.entry(row, from: 1))
            }
        }
    }

    public func close() async {}
}

/// An account in one currency: where balance changes accumulate within a batch.
struct BalanceKey: Hashable {
    var account: String
    var currency: String
}
