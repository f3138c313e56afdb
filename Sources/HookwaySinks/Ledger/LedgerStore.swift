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

/// A balance of one account in one currency.
public struct LedgerBalance: Sendable, Hashable {
    public var account: String
    public var currency: String
    public var balance: ExactDecimal
}

/// The journal: immutable transactions keyed by CloudEvent id, balanced entries, balances.
public protocol LedgerStore: Sendable {
    /// Books `entries` (which must balance per currency) under `eventID` atomically; a second
    /// call with the same id books nothing. `reversing`: type globs of a booked transaction of
    /// `subject` to reverse instead of `entries`.
    func book(eventID: String, type: String, subject: String?, entries: [LedgerEntry], reversing: [Glob]?) throws -> BookingOutcome
    func balances() throws -> [LedgerBalance]
    /// Number of journal transactions (booked, skipped and reversals).
    func transactionCount() throws -> Int
}
