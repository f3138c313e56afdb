import HookwayCore

/// Integer signing timestamps and their tolerance window (PROVIDERS.md "Timestamps").
enum SigningTime {
    /// The unit a provider's timestamp header is in.
    enum Unit {
        /// Seconds only (Standard Webhooks' `webhook-timestamp`: the spec and the reference
        /// libraries refuse milliseconds).
        case seconds
        /// Above 10^12 milliseconds, else seconds (Bit Capital: its docs say seconds, its SDKs
        /// send `Date.now()`; Bitnob documents no unit).
        case secondsOrMilliseconds
    }

    /// Parses an integer timestamp header in `unit`. Returns milliseconds since the epoch, or
    /// `nil` when the text is not a plain integer (or is too large to be one).
    static func milliseconds(from text: String, unit: Unit) -> Int64? {
        let digits = Array(text.utf8)
        // 16 digits is far beyond any real clock and keeps the parse below from overflowing.
        guard !digits.isEmpty, digits.count <= 16, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var value: Int64 = 0
        for d in digits { value = value * 10 + Int64(d - 48) }
        if unit == .secondsOrMilliseconds, value > 1_000_000_000_000 { return value }
        let (milliseconds, overflow) = value.multipliedReportingOverflow(by: 1000)
        return overflow ? nil : milliseconds
    }

    /// True when `signedAt` lies within `toleranceSeconds` of `now`, either side.
    static func isWithinTolerance(signedAtMilliseconds signedAt: Int64, now: Timestamp, toleranceSeconds: Int) -> Bool {
        let tolerance = Int64(max(0, min(toleranceSeconds, 1_000_000_000))) * 1000
        let (delta, overflow) = now.millisecondsSinceEpoch.subtractingReportingOverflow(signedAt)
        if overflow { return false }
        return delta.magnitude <= UInt64(tolerance)
    }
}

/// RFC 3339 date-times as providers send them (`2022-10-26T22:36:41.658Z`,
/// `2023-05-17T23:12:00+00:00`), parsed without Foundation's locale-sensitive formatters.
enum RFC3339 {
    /// The instant `text` names, or `nil` when it is not an RFC 3339 date-time.
    static func parse(_ text: String) -> Timestamp? { Timestamp(strictRFC3339: text) }

    /// The CloudEvent `time` for a provider's event-time value: an RFC 3339 string as sent,
    /// an integer epoch (seconds, or milliseconds above 10^12) formatted; else `nil`.
    static func eventTime(from value: JSONValue?) -> String? {
        switch value {
        case .string(let s):
            return parse(s) != nil ? s : nil
        case .number(let n):
            return SigningTime.milliseconds(from: n, unit: .secondsOrMilliseconds).map { Timestamp(millisecondsSinceEpoch: $0).rfc3339 }
        default:
            return nil
        }
    }
}
