import CSQLite
public import HookwayCore
import NIOConcurrencyHelpers

/// Why a SQLite call failed.
public struct SQLiteError: HookwayError {
    /// SQLite's result code (`SQLITE_BUSY`, …).
    public var resultCode: Int32
    public var message: String
    /// SQLITE_BUSY / SQLITE_LOCKED: another writer holds the database; retrying helps.
    public var isBusy: Bool { resultCode == SQLITE_BUSY || resultCode == SQLITE_LOCKED }
    /// `storage_busy` while another writer holds the database, `storage_failed` otherwise.
    public var code: ErrorCode { isBusy ? .storageBusy : .storageFailed }
    public var isRetriable: Bool { isBusy }
    public var description: String { "sqlite error \(resultCode): \(message)" }

    init(code: Int32, message: String) {
        self.resultCode = code
        self.message = message
    }
}

/// One SQLite connection. Every call runs under one lock (SQLite connections are not for
/// concurrent use); callers keep calls off the cooperative pool (see ``LedgerSink``).
///
/// `@unchecked Sendable`: the only mutable state is the C handle, used exclusively inside
/// `lock.withLock`, and closed in `deinit` when no other reference exists.
public final class SQLiteDatabase: @unchecked Sendable {
    private var handle: OpaquePointer?
    private let lock = NIOLock()
    /// Prepared statements by SQL text, reused across calls (used only under `lock`).
    private let statements = StatementCache()
    public let path: String

    /// Opens (creating) the database; WAL mode so readers (`hookway ledger balances`) never
    /// block the writer.
    public init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(db)
            throw SQLiteError(code: rc, message: "\(message) (\(path))")
        }
        handle = db
        sqlite3_busy_timeout(db, 5000)
        if !readOnly {
            try execute("PRAGMA journal_mode=WAL")
            // NORMAL in WAL mode: a commit survives a process crash; only an OS crash or power
            // loss can lose the last transactions, which Kafka then redelivers (offsets are
            // committed after the booking), so nothing is lost end to end.
            try execute("PRAGMA synchronous=NORMAL")
            try execute("PRAGMA foreign_keys=ON")
            // 32 MiB of page cache (the default is 2 MiB): the ledger's indexes are hot, and
            // re-reading their pages from the OS on every batch cost more than the writes.
            try execute("PRAGMA cache_size=-32768")
        }
    }

    deinit {
        statements.finalizeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        lock.lock()
        defer { lock.unlock() }
        try executeLocked(sql)
    }

    private func executeLocked(_ sql: String) throws(SQLiteError) {
        try sqliteExecute(handle, sql)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it throws.
    public func transaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try lock.withLock {
            try executeLocked("BEGIN IMMEDIATE")
            do {
                let value = try body(SQLiteConnection(handle: handle, statements: statements))
                try executeLocked("COMMIT")
                return value
            } catch {
                try? executeLocked("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs read-only work under the lock.
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try lock.withLock { try body(SQLiteConnection(handle: handle, statements: statements)) }
    }
}

/// Statement helpers valid only inside ``SQLiteDatabase/transaction(_:)`` or `read`.
public struct SQLiteConnection {
    let handle: OpaquePointer?
    let statements: StatementCache

    public enum Value: Sendable, Equatable {
        case text(String)
        case integer(Int64)
        case null
    }

    /// Runs one statement with `?` parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [Value] = []) throws(SQLiteError) -> [[Value]] {
        let statement: OpaquePointer
        if let cached = statements.byText[sql] {
            statement = cached
        } else {
            var prepared: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &prepared, nil) == SQLITE_OK, let prepared else {
                throw SQLiteError(code: sqlite3_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
            }
            statements.byText[sql] = prepared
            statement = prepared
        }
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, p) in parameters.enumerated() {
            let index = Int32(i + 1)
            switch p {
            case .text(let s): sqlite3_bind_text(statement, index, s, -1, transient)
            case .integer(let n): sqlite3_bind_int64(statement, index, n)
            case .null: sqlite3_bind_null(statement, index)
            }
        }
        var rows: [[Value]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)))
            }
            var row: [Value] = []
            for c in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, c) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, c)))
                case SQLITE_NULL: row.append(.null)
                default: row.append(.text(sqlite3_column_text(statement, c).map { String(cString: $0) } ?? ""))
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Runs a script of statements that return no rows.
    public func execute(_ sql: String) throws(SQLiteError) {
        try sqliteExecute(handle, sql)
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
}

/// Prepared statements of one connection. Not thread-safe: only touched under the
/// connection's lock.
final class StatementCache {
    var byText: [String: OpaquePointer] = [:]

    func finalizeAll() {
        for statement in byText.values { sqlite3_finalize(statement) }
        byText = [:]
    }
}

extension SQLiteConnection.Value {
    public var text: String? {
        switch self {
        case .text(let s): return s
        case .integer(let n): return String(n)
        case .null: return nil
        }
    }
}

/// `sqlite3_exec` of a script that returns no rows; the caller holds the connection's lock.
private func sqliteExecute(_ handle: OpaquePointer?, _ sql: String) throws(SQLiteError) {
    var error: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(handle, sql, nil, nil, &error)
    if rc != SQLITE_OK {
        let message = error.map { String(cString: $0) } ?? "exec failed"
        sqlite3_free(error)
        throw SQLiteError(code: rc, message: message)
    }
}
