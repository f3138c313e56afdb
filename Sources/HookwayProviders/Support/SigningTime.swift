import HookwayCore

/// Integer signing timestamps and their tolerance window (PROVIDERS.md "Timestamps").
enum SigningTime {
    /// Parses an integer timestamp header: above 10^12 it is milliseconds, else seconds.
    /// Returns milliseconds since the epoch, or `nil` when the text is not a plain integer.
    static func milliseconds(from text: String) -> Int64? {
        let digits = Array(text.utf8)
        // 16 digits is far beyond any real clock and keeps the arithmetic below from overflowing.
        guard !digits.isEmpty, digits.count <= 16, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        var value: Int64 = 0
        for d in digits { value = value * 10 + Int64(d - 48) }
        return value > 1_000_000_000_000 ? value : value * 1000
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
    static func parse(_ text: String) -> Timestamp? {
        let b = Array(text.utf8)
        func num(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in start..<(start + count) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int64(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, let year = num(0, 4), b[4] == 45, let month = num(5, 2), b[7] == 45, let day = num(8, 2),
            b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == 0x20,
            let hour = num(11, 2), b[13] == 58, let minute = num(14, 2), b[16] == 58, let second = num(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var millis: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 3 { millis = millis * 10 + Int64(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        guard i < b.count else { return nil }
        var offsetMinutes: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86400 + hour * 3600 + minute * 60 + min(second, 59) - offsetMinutes * 60
        return Timestamp(millisecondsSinceEpoch: seconds * 1000 + millis)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The CloudEvent `time` for a provider's event-time value: an RFC 3339 string as sent,
    /// an integer epoch (seconds, or milliseconds above 10^12) formatted; else `nil`.
    static func eventTime(from value: JSONValue?) -> String? {
        switch value {
        case .string(let s):
            return parse(s) != nil ? s : nil
        case .number(let n):
            return SigningTime.milliseconds(from: n).map { Timestamp(millisecondsSinceEpoch: $0).rfc3339 }
        default:
            return nil
        }
    }
}
