/// The one reading of an HTTP `Retry-After` header (RFC 9110 §10.2.3) from anyone outside:
/// delta-seconds or an HTTP-date (IMF-fixdate, and the obsolete RFC 850 and asctime forms a
/// recipient must accept), clamped to `0...maximum`. It never traps, whatever the digits: a
/// provider's API (or anyone in the path of a plain-http `baseUrl`) chooses this value.
public enum RetryAfter {
    /// The longest pause any `Retry-After` can ask of Hookway: 5 minutes. Longer asks are
    /// treated as this much (the caller's own attempt budget then applies).
    public static let maximum = Duration.seconds(300)

    /// The pause `value` asks for, at most ``maximum``; `nil` when it is neither form.
    public static func parse(_ value: String, now: Timestamp = .now()) -> Duration? {
        let text = value.trimmingASCIIWhitespace
        guard !text.isEmpty else { return nil }
        if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // Compared as digits, never converted whole: "9223372036854775808" is a valid ask.
            let digits = text.drop { $0 == "0" }
            guard digits.count <= 6, let seconds = Int(digits.isEmpty ? "0" : digits) else { return maximum }
            return min(.seconds(seconds), maximum)
        }
        guard let date = httpDate(String(text)) else { return nil }
        let delta = date.millisecondsSinceEpoch - now.millisecondsSinceEpoch
        guard delta > 0 else { return .zero }
        return min(.milliseconds(delta), maximum)
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`.
    static func httpDate(_ text: String) -> Timestamp? {
        let tokens = text.split { $0 == " " || $0 == "," || $0 == "-" }.map(String.init)
        guard tokens.count >= 4, tokens.count <= 6 else { return nil }
        // In every form the day comes before the year; the weekday is not checked.
        let numbers = tokens.dropFirst().filter { $0.count <= 4 && $0.allSatisfy(\.isASCII) && Int($0) != nil }
        let month = tokens.dropFirst().lazy.compactMap { months.firstIndex(of: $0.lowercased()) }.first.map { $0 + 1 }
        let time = tokens.first { $0.count == 8 && $0.contains(":") }
        guard numbers.count == 2, let day = Int(numbers[0]), numbers[0].count <= 2, let short = Int(numbers[1]) else { return nil }
        let year = numbers[1].count == 2 ? (short < 50 ? 2000 + short : 1900 + short) : short
        guard let month, let time, (1...31).contains(day), numbers[1].count == 2 || numbers[1].count == 4 else { return nil }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return Timestamp(strictRFC3339: "\(year)-\(two(month))-\(two(day))T\(time)Z")
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
}

extension String {
    fileprivate var trimmingASCIIWhitespace: Substring {
        var text = self[...]
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
