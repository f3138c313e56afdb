import Foundation
import GRDB
import HookwayCore
import HookwaySinks
import HookwayTesting
import Logging
import Testing

/// The ledger databases a test runs against: SQLite always, PostgreSQL when `make test` (or
/// the caller) set `HOOKWAY_TEST_POSTGRES`.
enum LedgerBackend: String, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var available: [LedgerBackend] { TestPostgres.serverURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// A `database` option naming a new, empty ledger.
    func freshDatabase() throws -> String {
        switch self {
        case .sqlite: return "sqlite:" + temporaryPath("ledger.sqlite")
        case .postgres: return try TestPostgres.freshDatabase()
        }
    }

    func store(_ database: String) throws -> any LedgerStore {
        switch self {
        case .sqlite: return try SQLiteLedgerStore(path: String(database.dropFirst("sqlite:".count)))
        case .postgres: return try PostgresLedgerStore(url: database, logger: Logger(label: "test.ledger"))
        }
    }

    /// Whether `sql` (an UPDATE/DELETE on the journal) is refused by the database.
    func refuses(_ sql: String, on database: String) throws -> Bool {
        switch self {
        case .sqlite:
            let db = try DatabaseQueue(path: String(database.dropFirst("sqlite:".count)))
            do {
                try db.write { try $0.execute(sql: sql) }
                return false
            } catch {
                return true
            }
        case .postgres:
            return try !TestPostgres.run(sql, on: database).ok
        }
    }
}
