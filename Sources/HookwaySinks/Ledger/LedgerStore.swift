public import HookwayCore

/// One balanced journal entry line: debits positive, credits negative.
public struct LedgerEntry: Sendable, Hashable {
    public var account: String
    public var currency: String
    public var amount: ExactDecimal
    public init(account: String, currency: String, amount: ExactDecimal) {
        self.account = account
        self.currency = currency
        self.amount = amount
    }
}

/// What booking an event did.
public enum BookingOutcome: Sendable, Equatable {
    case booked
    /// The event id was booked before: nothing changed (redelivery).
    case alreadyBooked
    /// No posting rule matched: recorded, no entries.
    case skipped
    /// A reversal found nothing of the same subject to reverse: recorded, no entries.
    case nothingToReverse
}

/// One event to book: its lines, or (`reversing`) the type globs of an earlier booking of the
/// same subject whose lines it negates.
public struct BookingRequest: Sendable, Hashable {
    public var eventID: String
    public var type: String
    public var subject: String?
    /// Balanced per currency; empty records the event as skipped.
    public var entries: [LedgerEntry]
    /// Type globs of a booked transaction of `subject` to reverse instead of `entries`.
    public var reversing: [Glob]?

    public init(eventID: String, type: String, subject: String?, entries: [LedgerEntry], reversing: [Glob]? = nil) {
        self.eventID = eventID
        self.type = type
        self.subject = subject
        self.entries = entries
        self.reversing = reversing
    }
}

/// A balance of one account in one currency.
public struct LedgerBalance: Sendable, Hashable {
    public var account: String
    public var currency: String
    public var balance: ExactDecimal
}

/// One line of the journal with the transaction (event id) it belongs to.
public struct JournalLine: Sendable, Hashable {
    public var eventID: String
    public var entry: LedgerEntry
}

/// The journal: immutable transactions keyed by CloudEvent id, balanced entries, balances.
/// SQLite and PostgreSQL implement it with the same schema and the same behaviour.
public protocol LedgerStore: Sendable {
    /// Books `requests` in order in one database transaction (group commit) and returns one
    /// outcome per request. A request whose event id is already booked (earlier, or earlier in
    /// the same batch) books nothing. Throws when the transaction fails; then nothing of the
    /// batch is booked.
    func book(_ requests: [BookingRequest]) async throws -> [BookingOutcome]
    /// The database's name in OpenTelemetry's conventions (`db.system.name`) for the booking span.
    var databaseSystem: String { get }
    func balances() async throws -> [LedgerBalance]
    /// Number of journal transactions (booked, skipped and reversals).
    func transactionCount() async throws -> Int
    /// Every journal line in booking order, for audits and for checking that transactions balance.
    func journal() async throws -> [JournalLine]
    /// Closes connections; the store is unusable afterwards.
    func close() async
    /// Background work the store needs while it is used (PostgreSQL's connection pool), run by
    /// the owner until cancelled; most stores need none.
    func run() async
}

extension LedgerStore {
    public func run() async {}

    /// Books one event in its own transaction.
    public func book(_ request: BookingRequest) async throws -> BookingOutcome {
        let outcomes = try await book([request])
        guard let outcome = outcomes.first else { throw LedgerStoreError("the ledger returned no outcome for \(request.eventID)") }
        return outcome
    }
}

/// A ledger store failure that is not the database's own error (a broken invariant, a bad URL).
public struct LedgerStoreError: HookwayError {
    /// `ledger_invariant` (the store broke its own rule), `ledger_url_invalid` or `ledger_missing`.
    public var code: ErrorCode
    public var message: String
    public var isRetriable: Bool { false }
    public init(_ message: String, code: ErrorCode = .ledgerInvariant) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

extension ErrorCode {
    public static let ledgerInvariant: ErrorCode = "ledger_invariant"
    public static let ledgerURLInvalid: ErrorCode = "ledger_url_invalid"
    /// A read-only command found no ledger database (nothing was booked yet).
    public static let ledgerMissing: ErrorCode = "ledger_missing"
}

extension LedgerStore {
    /// SQLite, unless the store says otherwise.
    public var databaseSystem: String { "sqlite" }
}
