extension Timestamp {
    /// Parses RFC 3339 / ISO 8601 date-times as the providers' APIs send them:
    /// `2016-04-08T17:52:31.000+00:00`, `2025-09-04T12:51:16.620Z`, `2024-05-01T10:00:00Z`,
    /// `2024-05-01T10:00` (UTC), or a bare date `2024-05-01` (midnight UTC). `nil` for anything else.
    public init?(rfc3339 text: String) {
        self.init(parsing: text, strict: false)
    }

    /// Parses an RFC 3339 `date-time` exactly: seconds and an offset (`Z` or `±hh:mm`) are
    /// required and the day must exist in its month (`2022-10-26T22:36:41.658Z`). A leap
    /// second (`:60`) counts as `:59`.
    public init?(strictRFC3339 text: String) {
        self.init(parsing: text, strict: true)
    }

    private init?(parsing text: String, strict: Bool) {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var n: Int64 = 0
            for c in b[from..<from + count] {
                guard c >= 48, c <= 57 else { return nil }
                n = n * 10 + Int64(c - 48)
            }
            return n
        }
        guard let y = number(0, 4), b.count >= 10, b[4] == UInt8(ascii: "-"), let mo = number(5, 2), b[7] == UInt8(ascii: "-"),
            let d = number(8, 2), (1...12).contains(mo), d >= 1, d <= (strict ? Self.days(inMonth: mo, year: y) : 31)
        else { return nil }
        guard b.count > 10 || !strict else { return nil }
        var seconds: Int64 = 0
        var millis: Int64 = 0
        var offset: Int64 = 0
        if b.count > 10 {
            guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
                let h = number(11, 2), b.count > 13, b[13] == UInt8(ascii: ":"), let mi = number(14, 2), h < 24, mi < 60
            else { return nil }
            var i = 16
            var s: Int64 = 0
            if i < b.count, b[i] == UInt8(ascii: ":") {
                guard let parsed = number(17, 2), parsed <= 60 else { return nil }
                s = min(parsed, 59)
                i = 19
            } else if strict {
                return nil
            }
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                var digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 3 { millis = millis * 10 + Int64(b[i] - 48) }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
                if digits < 3 { for _ in digits..<3 { millis *= 10 } }
            }
            if i < b.count {
                switch b[i] {
                case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                    i += 1
                case UInt8(ascii: "+"), UInt8(ascii: "-"):
                    guard let oh = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = number(i + 4, 2), oh < 24, om < 60
                    else { return nil }
                    offset = (oh * 60 + om) * 60 * (b[i] == UInt8(ascii: "+") ? 1 : -1)
                    i += 6
                default: return nil
                }
            } else if strict {
                return nil
            }
            guard i == b.count else { return nil }
            seconds = h * 3600 + mi * 60 + s
        }
        // Howard Hinnant's days_from_civil.
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        self.init(millisecondsSinceEpoch: (days * 86400 + seconds - offset) * 1000 + millis)
    }

    private static func days(inMonth month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
