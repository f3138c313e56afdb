/// What a `confirm` sink found when it fetched an event's entity from the provider's API,
/// published as CloudEvent extensions (flat strings, as CloudEvents 1.0 wants them):
/// `confirmation`, `checkedat`, `apistatus`, `apiamount`, `apicurrency`, `confirmationreason`.
public struct Confirmation: Sendable, Hashable {
    /// `matched`, `mismatch` or `not_found`.
    public struct Result: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The API's status, amount and currency agree with the event.
        public static let matched = Result(rawValue: "matched")
        /// The API disagrees; ``Confirmation/reason`` says where.
        public static let mismatch = Result(rawValue: "mismatch")
        /// The API did not know the entity within the sink's not-found window.
        public static let notFound = Result(rawValue: "not_found")
    }

    public var result: Result
    /// RFC 3339 time of the API answer the result rests on.
    public var checkedAt: String
    /// The entity as the API tells it (lower-case status, exact decimal amount in major units).
    public var apiStatus: String?
    public var apiAmount: String?
    public var apiCurrency: String?
    /// For a mismatch, what differs (`amount: event 100.00, api 90.00`).
    public var reason: String?

    public init(
        result: Result,
        checkedAt: String,
        apiStatus: String? = nil,
        apiAmount: String? = nil,
        apiCurrency: String? = nil,
        reason: String? = nil
    ) {
        self.result = result
        self.checkedAt = checkedAt
        self.apiStatus = apiStatus
        self.apiAmount = apiAmount
        self.apiCurrency = apiCurrency
        self.reason = reason
    }

    /// The extension attributes in a fixed order, absent values left out.
    var attributes: [(String, String)] {
        var out = [("confirmation", result.rawValue), ("checkedat", checkedAt)]
        if let apiStatus { out.append(("apistatus", apiStatus)) }
        if let apiAmount { out.append(("apiamount", apiAmount)) }
        if let apiCurrency { out.append(("apicurrency", apiCurrency)) }
        if let reason { out.append(("confirmationreason", reason)) }
        return out
    }

    /// Reads the extensions back from a CloudEvent; `nil` when it carries no `confirmation`.
    init?(cloudEvent root: JSONValue) {
        guard let result = root["confirmation"]?.stringValue else { return nil }
        self.init(
            result: Result(rawValue: result),
            checkedAt: root["checkedat"]?.stringValue ?? "",
            apiStatus: root["apistatus"]?.stringValue,
            apiAmount: root["apiamount"]?.stringValue,
            apiCurrency: root["apicurrency"]?.stringValue,
            reason: root["confirmationreason"]?.stringValue
        )
    }
}
