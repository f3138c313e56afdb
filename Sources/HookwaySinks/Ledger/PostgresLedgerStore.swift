import HookwayCore
public import Logging
import NIOConcurrencyHelpers
import PostgresNIO

/// The ledger in PostgreSQL (postgres-nio): the SQLite schema with native types — amounts and
/// balances are `NUMERIC` (exact), `booked_at` is `TIMESTAMPTZ`, the journal is immutable by
/// trigger. Migrations run once, under an advisory lock, before the first query.
///
/// A batch costs five round trips whatever its size (BEGIN, transactions, entries, balances,
/// COMMIT): rows travel as arrays through `unnest`, and balance changes are summed per account
/// in SQL. Reversals, which must read what was booked, are booked one at a time, in order.
public final class PostgresLedgerStore: LedgerStore {
    public var databaseSystem: String { "postgresql" }
    let client: PostgresClient
    let logger: Logger
    let location: String
    /// The task running the client when the store runs it itself (``ClientRunner/store``).
    let ownRunner: Task<Void, Never>?
    let migrated = NIOLockedValueBox(false)
    let applyMigrations: Bool

    /// Who runs the `PostgresClient`, which leases connections only while its `run()` runs.
    public enum ClientRunner: Sendable {
        /// The store, in a task of its own that ``close()`` ends: for commands and tests, which
        /// have no structured scope to run it in.
        case store
        /// The owner, by awaiting ``run()`` in its own scope: the sink runtime runs it as a
        /// child of the sink's runner, inside `hookway consume`'s service group.
        case owner
    }

    /// Connects lazily; `migrate: false` for read-only tools (`hookway ledger balances`).
    public init(url: String, logger: Logger, migrate: Bool = true, clientRunner: ClientRunner = .store) throws {
        let parsed = try PostgresURL(url)
        let client = PostgresClient(configuration: parsed.configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.location = parsed.description
        self.applyMigrations = migrate
        switch clientRunner {
        case .store: ownRunner = Task { await client.run() }
        case .owner: ownRunner = nil
        }
    }

    /// Runs the client until cancelled (``ClientRunner/owner``); returns at once when the store
    /// runs it itself.
    public func run() async {
        guard ownRunner == nil else { return }
        await client.run()
    }

    public func close() async {
        ownRunner?.cancel()
        await ownRunner?.value
    }

    // MARK: Migrations

    static let migrationLock: Int64 = 0x686f_6f6b_7761_7901  // "hookway" + 1

    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE IF NOT EXISTS ledger_transactions (
                seq BIGSERIAL NOT NULL UNIQUE,
                event_id TEXT PRIMARY KEY,
                event_type TEXT NOT NULL,
                subject TEXT,
                kind TEXT NOT NULL CHECK (kind IN ('booking', 'reversal', 'skipped')),
                reverses TEXT,
                booked_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS ledger_entries (
                id BIGSERIAL PRIMARY KEY,
                event_id TEXT NOT NULL REFERENCES ledger_transactions(event_id),
                account TEXT NOT NULL,
                currency TEXT NOT NULL,
                amount NUMERIC NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS ledger_entries_event ON ledger_entries(event_id)",
            "CREATE INDEX IF NOT EXISTS ledger_transactions_subject ON ledger_transactions(subject, kind)",
            """
            CREATE TABLE IF NOT EXISTS ledger_balances (
                account TEXT NOT NULL,
                currency TEXT NOT NULL,
                balance NUMERIC NOT NULL,
                PRIMARY KEY (account, currency)
            )
            """,
            """
            CREATE OR REPLACE FUNCTION hookway_journal_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'the journal is immutable'; END $$
            """,
            """
            CREATE OR REPLACE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
                FOR EACH ROW EXECUTE FUNCTION hookway_journal_immutable()
            """,
            """
            CREATE OR REPLACE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
                FOR EACH STATEMENT EXECUTE FUNCTION hookway_journal_immutable()
            """,
            """
            CREATE OR REPLACE TRIGGER ledger_transactions_immutable BEFORE UPDATE OR DELETE ON ledger_transactions
                FOR EACH ROW EXECUTE FUNCTION hookway_journal_immutable()
            """,
            """
            CREATE OR REPLACE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
                FOR EACH STATEMENT EXECUTE FUNCTION hookway_journal_immutable()
            """,
        ]
    ]

    /// Applies missing migrations (every process may try at once: the advisory lock serializes them).
    func ensureMigrated() async throws {
        guard applyMigrations, !migrated.withLockedValue({ $0 }) else { return }
        try await client.withConnection { connection in
            // Under the lock too: two sessions racing `CREATE TABLE IF NOT EXISTS` can both pass
            // the check and one fails on pg_type's unique index.
            try await connection.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: logger
                )
            }
            for (index, statements) in Self.migrations.enumerated() {
                let version = index + 1
                try await connection.withTransaction(logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
                    let done = try await connection.query("SELECT 1 FROM schema_migrations WHERE version = \(version)", logger: logger)
                    for try await _ in done { return }
                    for sql in statements { try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                    try await connection.query("INSERT INTO schema_migrations (version) VALUES (\(version))", logger: logger)
                }
            }
        }
        migrated.withLockedValue { $0 = true }
        logger.info("ledger schema ready", metadata: ["database": "\(location)"])
    }

    // MARK: Booking

    public func book(_ requests: [BookingRequest]) async throws -> [BookingOutcome] {
        guard !requests.isEmpty else { return [] }
        try await ensureMigrated()
        return try await client.withTransaction(logger: logger) { connection in
            var outcomes = [BookingOutcome?](repeating: nil, count: requests.count)
            var run: [Int] = []
            for (index, request) in requests.enumerated() {
                if request.reversing == nil {
                    run.append(index)
                    continue
                }
                try await Self.bookRun(run, of: requests, into: &outcomes, connection: connection, logger: logger)
                run = []
                outcomes[index] = try await Self.bookReversal(request, connection: connection, logger: logger)
            }
            try await Self.bookRun(run, of: requests, into: &outcomes, connection: connection, logger: logger)
            return outcomes.map { $0 ?? .alreadyBooked }
        }
    }

    /// Books consecutive plain requests with three statements.
    static func bookRun(
        _ run: [Int],
        of requests: [BookingRequest],
        into outcomes: inout [BookingOutcome?],
        connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !run.isEmpty else { return }
        var seen = Set<String>()
        var ids: [String] = []
        var types: [String] = []
        var subjects: [String] = []
        var hasSubject: [Bool] = []
        var kinds: [String] = []
        for index in run {
            let request = requests[index]
            // A second delivery of an id within the batch: already booked by the first.
            guard seen.insert(request.eventID).inserted else {
                outcomes[index] = .alreadyBooked
                continue
            }
            ids.append(request.eventID)
            types.append(request.type)
            subjects.append(request.subject ?? "")
            hasSubject.append(request.subject != nil)
            kinds.append(request.entries.isEmpty ? "skipped" : "booking")
        }
        let insertedRows = try await connection.query(
            """
            INSERT INTO ledger_transactions (event_id, event_type, subject, kind)
            SELECT e, t, CASE WHEN h THEN s END, k
            FROM unnest(\(ids)::text[], \(types)::text[], \(subjects)::text[], \(hasSubject)::bool[], \(kinds)::text[]) WITH ORDINALITY AS u(e, t, s, h, k, n)
            ORDER BY n
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
            """,
            logger: logger
        )
        var inserted = Set<String>()
        for try await id in insertedRows.decode(String.self) { inserted.insert(id) }

        var entryIDs: [String] = []
        var accounts: [String] = []
        var currencies: [String] = []
        var amounts: [String] = []
        for index in run where outcomes[index] == nil {
            let request = requests[index]
            guard inserted.contains(request.eventID) else {
                outcomes[index] = .alreadyBooked
                continue
            }
            outcomes[index] = request.entries.isEmpty ? .skipped : .booked
            for line in request.entries {
                entryIDs.append(request.eventID)
                accounts.append(line.account)
                currencies.append(line.currency)
                amounts.append(line.amount.plainText)
            }
        }
        guard !entryIDs.isEmpty else { return }
        try await insertEntries(ids: entryIDs, accounts: accounts, currencies: currencies, amounts: amounts, connection: connection, logger: logger)
    }

    /// Appends journal lines and moves the balances by their sums (accounts in a fixed order so
    /// two writers lock balance rows in the same order and cannot deadlock).
    static func insertEntries(
        ids: [String],
        accounts: [String],
        currencies: [String],
        amounts: [String],
        connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO ledger_entries (event_id, account, currency, amount)
            SELECT e, a, c, x::numeric
            FROM unnest(\(ids)::text[], \(accounts)::text[], \(currencies)::text[], \(amounts)::text[]) WITH ORDINALITY AS u(e, a, c, x, n)
            ORDER BY n
            """,
            logger: logger
        )
        try await connection.query(
            """
            INSERT INTO ledger_balances (account, currency, balance)
            SELECT a, c, sum(x::numeric)
            FROM unnest(\(accounts)::text[], \(currencies)::text[], \(amounts)::text[]) AS u(a, c, x)
            GROUP BY a, c
            ORDER BY a, c
            ON CONFLICT (account, currency) DO UPDATE SET balance = ledger_balances.balance + excluded.balance
            """,
            logger: logger
        )
    }

    /// Books one reversal: the latest unreversed booking of the subject whose type matches.
    static func bookReversal(_ request: BookingRequest, connection: PostgresConnection, logger: Logger) async throws -> BookingOutcome {
        let types = request.reversing ?? []
        let candidates = try await connection.query(
            """
            SELECT t.event_id, t.event_type FROM ledger_transactions t
            WHERE t.subject IS NOT DISTINCT FROM \(request.subject) AND t.kind = 'booking'
              AND NOT EXISTS (SELECT 1 FROM ledger_transactions r WHERE r.kind = 'reversal' AND r.reverses = t.event_id)
            ORDER BY t.seq DESC
            """,
            logger: logger
        )
        var original: String?
        for try await (id, type) in candidates.decode((String, String).self) where original == nil && types.contains(where: { $0.matches(type) }) {
            original = id
        }
        var lines: [(String, String, String)] = []
        if let original {
            let rows = try await connection.query(
                "SELECT account, currency, (-amount)::text FROM ledger_entries WHERE event_id = \(original) ORDER BY id",
                logger: logger
            )
            for try await line in rows.decode((String, String, String).self) { lines.append(line) }
        }
        let inserted = try await connection.query(
            """
            INSERT INTO ledger_transactions (event_id, event_type, subject, kind, reverses)
            VALUES (\(request.eventID), \(request.type), \(request.subject), \(original == nil ? "skipped" : "reversal"), \(original))
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
            """,
            logger: logger
        )
        var booked = false
        for try await _ in inserted { booked = true }
        guard booked else { return .alreadyBooked }
        guard original != nil else { return .nothingToReverse }
        if !lines.isEmpty {
            try await insertEntries(
                ids: lines.map { _ in request.eventID },
                accounts: lines.map(\.0),
                currencies: lines.map(\.1),
                amounts: lines.map(\.2),
                connection: connection,
                logger: logger
            )
        }
        return .booked
    }

    // MARK: Reading

    public func balances() async throws -> [LedgerBalance] {
        try await ensureMigrated()
        let rows = try await client.query("SELECT account, currency, balance::text FROM ledger_balances ORDER BY account, currency", logger: logger)
        var balances: [LedgerBalance] = []
        for try await (account, currency, text) in rows.decode((String, String, String).self) {
            guard let balance = ExactDecimal(text) else { throw LedgerStoreError("balance of \(account) \(currency) is not a decimal: \(text)") }
            balances.append(LedgerBalance(account: account, currency: currency, balance: balance))
        }
        return balances
    }

    public func transactionCount() async throws -> Int {
        try await ensureMigrated()
        let rows = try await client.query("SELECT COUNT(*)::bigint FROM ledger_transactions", logger: logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    public func journal() async throws -> [JournalLine] {
        try await ensureMigrated()
        let rows = try await client.query("SELECT event_id, account, currency, amount::text FROM ledger_entries ORDER BY id", logger: logger)
        var lines: [JournalLine] = []
        for try await (id, account, currency, text) in rows.decode((String, String, String, String).self) {
            guard let amount = ExactDecimal(text) else { throw LedgerStoreError("journal amount of \(id) is not a decimal: \(text)") }
            lines.append(JournalLine(eventID: id, entry: LedgerEntry(account: account, currency: currency, amount: amount)))
        }
        return lines
    }
}
