/// Something the intake changed or left out of an accepted event, for the ingress to log (at
/// warning) and count; the event is still published.
public struct IntakeWarning: Sendable, Hashable {
    /// What happened, stable for metrics and log queries.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// `data.amount` was left out: more significant digits than `limits.maxAmountDigits`.
        public static let amountTooLong = Code(rawValue: "amount_too_long")
        /// Members the signature does not cover were dropped from `data.payload` (Koywe's
        /// body-embedded signature).
        public static let unsignedMembersDropped = Code(rawValue: "unsigned_members_dropped")
        /// `data.amount` was left out: the payload gave only minor units (`centAmount`) of a
        /// currency Hookway does not know, or not as an integer.
        public static let amountNotDerived = Code(rawValue: "amount_not_derived")
        public var description: String { rawValue }
    }

    public var code: Code
    /// What and where, with attacker-controlled text already bounded and escaped.
    public var message: String
    /// How many items it concerns (members dropped; 1 otherwise).
    public var count: Int

    public init(_ code: Code, _ message: String, count: Int = 1) {
        self.code = code
        self.message = message
        self.count = count
    }
}
