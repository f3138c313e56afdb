/// Removes resolved secret values from text before it is logged, returned in an error or
/// written to a dead-letter header: a secret spliced into a URL path, its userinfo, a query or
/// a header must never come back out in a message.
///
/// Each secret is matched as it is and in its percent-encoded forms (a URL carries it
/// encoded), and replaced by `<secret REFERENCE>`. Values shorter than
/// ``minimumLength`` are not scrubbed: they would erase ordinary words and protect nothing.
public struct SecretScrubber: Sendable {
    public static let minimumLength = 4
    private let replacements: [(needle: String, replacement: String)]

    public init(_ secrets: some Sequence<Secret>) {
        var pairs: [(String, String)] = []
        for secret in secrets {
            let value = secret.stringValue
            guard value.utf8.count >= Self.minimumLength else { continue }
            let label = "<secret \(secret.reference)>"
            for form in Set([value, Self.percentEncoded(value, keepSlash: false), Self.percentEncoded(value, keepSlash: true)]) {
                pairs.append((form, label))
            }
        }
        // Longest first, so a secret that contains another is replaced whole.
        replacements = pairs.sorted { $0.0.utf8.count > $1.0.utf8.count }
    }

    /// True when there is nothing to scrub.
    public var isEmpty: Bool { replacements.isEmpty }

    /// `text` with every secret value replaced.
    public func scrub(_ text: String) -> String {
        guard !replacements.isEmpty else { return text }
        var out = text
        for (needle, replacement) in replacements where out.contains(needle) {
            out = out.replacingAll(needle, with: replacement)
        }
        return out
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (and `/` when asked).
    public static func percentEncoded(_ s: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 0x0f)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    /// Every non-overlapping occurrence of `needle` replaced, left to right (no Foundation).
    func replacingAll(_ needle: String, with replacement: String) -> String {
        let hay = Array(utf8)
        let pin = Array(needle.utf8)
        guard !pin.isEmpty, hay.count >= pin.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(hay.count)
        var i = 0
        while i < hay.count {
            if i + pin.count <= hay.count, hay[i] == pin[0], hay[i..<(i + pin.count)].elementsEqual(pin) {
                out += replacement.utf8
                i += pin.count
            } else {
                out.append(hay[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
