import Foundation
public import GRDB

/// How the ledger and the email sent-log open their SQLite files (GRDB): WAL, so readers
/// (`hookway ledger balances`) never block the writer (GRDB's pool writes with `BEGIN
/// IMMEDIATE`); a busy timeout; and the schema brought up to date by the file's own
/// ``DatabaseMigrator``.
///
/// GRDB runs every access on its own serial queues, never on Swift's cooperative pool.
enum SQLiteStore {
    /// Opens (creating the directory and the file) and migrates a database for writing.
    static func open(path: String, migrator: DatabaseMigrator) throws -> DatabasePool {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // NORMAL in WAL mode: a commit survives a process crash; only an OS crash or power
            // loss can lose the last transactions, which Kafka then redelivers (offsets are
            // committed after the booking), so nothing is lost end to end.
            try db.execute(sql: "PRAGMA synchronous=NORMAL")
            // 32 MiB of page cache (the default is 2 MiB): the ledger's indexes are hot, and
            // re-reading their pages from the OS on every batch cost more than the writes.
            try db.execute(sql: "PRAGMA cache_size=-32768")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrator.migrate(pool)
        return pool
    }

    /// Opens an existing database for reading only (no migration, no file created).
    static func openReadOnly(path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: configuration)
    }
}

extension DatabaseError {
    /// SQLITE_BUSY / SQLITE_LOCKED: another writer holds the database; retrying helps.
    public var isBusy: Bool { resultCode == .SQLITE_BUSY || resultCode == .SQLITE_LOCKED }
}
