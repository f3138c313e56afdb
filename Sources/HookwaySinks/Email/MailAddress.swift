/// One mailbox: `Ops Team <ops@example.com>` or `ops@example.com`.
struct MailAddress: Sendable, Hashable {
    var displayName: String?
    /// The addr-spec, `local@domain`: what goes into `MAIL FROM` / `RCPT TO`.
    var address: String

    /// Parses one mailbox; `nil` when it does not look like one.
    init?(_ text: String) {
        let trimmed = Self.clean(text)
        if let open = trimmed.lastIndex(of: "<"), let close = trimmed.lastIndex(of: ">"), open < close {
            var name = Self.clean(String(trimmed[..<open]))
            if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
            displayName = name.isEmpty ? nil : name
            address = Self.clean(String(trimmed[trimmed.index(after: open)..<close]))
        } else {
            displayName = nil
            address = trimmed
        }
        guard Self.isAddrSpec(address) else { return nil }
    }

    /// A rendered `to`/`cc` entry may hold several mailboxes separated by commas (outside quotes).
    static func list(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var angle = false
        for c in text {
            switch c {
            case "\"":
                quoted.toggle()
                current.append(c)
            case "<" where !quoted:
                angle = true
                current.append(c)
            case ">" where !quoted:
                angle = false
                current.append(c)
            case ",", ";":
                if quoted || angle {
                    current.append(c)
                } else {
                    parts.append(current)
                    current = ""
                }
            default: current.append(c)
            }
        }
        parts.append(current)
        return parts.map(clean).filter { !$0.isEmpty }
    }

    static func isAddrSpec(_ s: String) -> Bool {
        guard let at = s.lastIndex(of: "@"), at != s.startIndex, s.index(after: at) != s.endIndex else { return false }
        return !s.contains { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } == true }
    }

    /// Trims whitespace and drops CR/LF a template may have pulled in from event data (header
    /// injection).
    static func clean(_ s: String) -> String {
        var out = Substring(s.filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" })
        while out.first?.isWhitespace == true { out = out.dropFirst() }
        while out.last?.isWhitespace == true { out = out.dropLast() }
        return String(out)
    }

    /// The header form, the display name encoded per RFC 2047 when it is not ASCII.
    var headerText: String {
        guard let displayName else { return address }
        if !displayName.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 }) {
            return "\(MIMEEncoding.encodedWords(displayName).joined(separator: " ")) <\(address)>"
        }
        let atext = displayName.unicodeScalars.allSatisfy { s in
            ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || " !#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(s)
        }
        if atext { return "\(displayName) <\(address)>" }
        let escaped = displayName.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
        return "\"\(escaped)\" <\(address)>"
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
