import Foundation
import HookwayCore
import NIOPosix

/// The ledger in SQLite (WAL). Amounts are exact decimal TEXT, never REAL; balances are
/// maintained in the same transaction as the entries, with exact arithmetic in Swift.
///
/// SQLite calls block, so every call runs on `NIOThreadPool.singleton`, one hop per batch.
public final class SQLiteLedgerStore: LedgerStore {
    let db: SQLiteDatabase

    static let migrations: [String] = [
        """
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
    ]

    /// Opens (creating directories and applying migrations).
    public init(path: String, readOnly: Bool = false) throws {
        if !readOnly {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }
        db = try SQLiteDatabase(path: path, readOnly: readOnly)
        if !readOnly { try migrate() }
    }

    func migrate() throws {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        for (i, sql) in Self.migrations.enumerated() {
            let version = Int64(i + 1)
            try db.transaction { c in
                let done = try c.query("SELECT 1 FROM schema_migrations WHERE version = ?", [.integer(version)])
                guard done.isEmpty else { return }
                try c.execute(sql)
                try c.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [.integer(version), .text(Timestamp.now().rfc3339)])
            }
        }
    }

    public func book(_ requests: [BookingRequest]) async throws -> [BookingOutcome] {
        guard !requests.isEmpty else { return [] }
        return try await NIOThreadPool.singleton.runIfActive { try self.bookBlocking(requests) }
    }

    /// Books a batch in one `BEGIN IMMEDIATE … COMMIT`. Balance changes are summed per account
    /// and currency in memory and written once per batch, so a hot account (the provider's
    /// asset account every deposit debits) costs one row update per batch, not per event.
    public func bookBlocking(_ requests: [BookingRequest]) throws -> [BookingOutcome] {
        try db.transaction { c -> [BookingOutcome] in
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
                try c.query(
                    "INSERT OR IGNORE INTO ledger_transactions (event_id, event_type, subject, kind, reverses, booked_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        .text(request.eventID), .text(request.type), request.subject.map { .text($0) } ?? .null, .text(kind),
                        reverses.map { .text($0) } ?? .null, .text(now),
                    ]
                )
                if c.changes == 0 {
                    outcomes.append(.alreadyBooked)
                    continue
                }
                for line in lines {
                    try c.query(
                        "INSERT INTO ledger_entries (event_id, account, currency, amount) VALUES (?, ?, ?, ?)",
                        [.text(request.eventID), .text(line.account), .text(line.currency), .text(line.amount.plainText)]
                    )
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
                let current = try c.query(
                    "SELECT balance FROM ledger_balances WHERE account = ? AND currency = ?",
                    [.text(key.account), .text(key.currency)]
                )
                let balance = (current.first?[0].text.flatMap(ExactDecimal.init) ?? .zero) + delta
                try c.query(
                    "INSERT INTO ledger_balances (account, currency, balance) VALUES (?, ?, ?) ON CONFLICT(account, currency) DO UPDATE SET balance = excluded.balance",
                    [.text(key.account), .text(key.currency), .text(balance.plainText)]
                )
            }
            return outcomes
        }
    }

    /// The latest booking of `subject` whose type matches `types` and that nothing reversed yet,
    /// with its lines.
    static func reversible(_ c: SQLiteConnection, subject: String?, types: [Glob]) throws -> (String, [LedgerEntry])? {
        let candidates = try c.query(
            """
            SELECT t.event_id, t.event_type FROM ledger_transactions t
            WHERE t.subject IS ? AND t.kind = 'booking'
              AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.kind = 'reversal' AND r.reverses = t.event_id)
            ORDER BY t.rowid DESC
            """,
            [subject.map { .text($0) } ?? .null]
        )
        guard let match = candidates.first(where: { row in row[1].text.map { t in types.contains { $0.matches(t) } } ?? false }),
            let original = match[0].text
        else { return nil }
        let rows = try c.query("SELECT account, currency, amount FROM ledger_entries WHERE event_id = ? ORDER BY id", [.text(original)])
        let lines = rows.compactMap { row -> LedgerEntry? in
            guard let a = row[0].text, let cur = row[1].text, let amt = row[2].text.flatMap(ExactDecimal.init) else { return nil }
            return LedgerEntry(account: a, currency: cur, amount: amt)
        }
        return (original, lines)
    }

    public func balances() async throws -> [LedgerBalance] {
        try await NIOThreadPool.singleton.runIfActive {
            try self.db.read { c in
                try c.query("SELECT account, currency, balance FROM ledger_balances ORDER BY account, currency").compactMap { row in
                    guard let a = row[0].text, let cur = row[1].text, let b = row[2].text.flatMap(ExactDecimal.init) else { return nil }
                    return LedgerBalance(account: a, currency: cur, balance: b)
                }
            }
        }
    }

    public func transactionCount() async throws -> Int {
        try await NIOThreadPool.singleton.runIfActive {
            try self.db.read { c in
                if case .integer(let n) = try c.query("SELECT COUNT(*) FROM ledger_transactions").first?.first { return Int(n) }
                return 0
            }
        }
    }

    public func journal() async throws -> [JournalLine] {
        try await NIOThreadPool.singleton.runIfActive {
            try self.db.read { c in
                try c.query("SELECT event_id, account, currency, amount FROM ledger_entries ORDER BY id").compactMap { row in
                    guard let id = row[0].text, let a = row[1].text, let cur = row[2].text, let amt = row[3].text.flatMap(ExactDecimal.init) else {
                        return nil
                    }
                    return JournalLine(eventID: id, entry: LedgerEntry(account: a, currency: cur, amount: amt))
                }
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
