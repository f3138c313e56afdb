/// Makes text that came from outside (a path segment, a header, a payload value) safe to put
/// in a log line, an error message or a terminal: bounded in length, with every control
/// character written as an escape so it cannot forge a line, a field or a terminal command.
public enum LogSafe {
    /// The default bound for one attacker-controlled value in a log line or error message.
    public static let defaultLimit = 128

    /// `text` cut to `limit` characters (then `…(N bytes)`), with C0 and C1 controls, DEL and
    /// the Unicode line/paragraph separators and bidi overrides escaped as `\u{XX}` (tab,
    /// newline and carriage return as `\t`, `\n`, `\r`).
    public static func text(_ text: some StringProtocol, limit: Int = defaultLimit) -> String {
        // The common case (an id, a type, a topic list: printable ASCII within the limit) is
        // returned as it is, checked byte by byte without building a new string.
        if text.utf8.count <= limit, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(text) }
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…(\(text.utf8.count) bytes)"
                return out
            }
            appendEscaped(scalar, to: &out, keepTabAndNewline: false)
            count += 1
        }
        return out
    }

    /// True for scalars a terminal or a log reader may act on: C0 controls, DEL, C1 controls,
    /// line/paragraph separators and the bidi embedding/override/isolate controls.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    static func appendEscaped(_ scalar: Unicode.Scalar, to out: inout String, keepTabAndNewline: Bool) {
        guard isControl(scalar) else {
            out.unicodeScalars.append(scalar)
            return
        }
        switch scalar {
        case "\t": out += keepTabAndNewline ? "\t" : "\\t"
        case "\n": out += keepTabAndNewline ? "\n" : "\\n"
        case "\r": out += "\\r"
        default:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u{" + (hex.count < 2 ? "0" + hex : hex) + "}"
        }
    }
}

/// Text for a terminal: every control character except tab and newline escaped, so event
/// data printed by `hookway tail` can never move the cursor, retitle the window (OSC) or
/// hide what follows.
public enum TerminalSafe {
    public static func text(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { LogSafe.appendEscaped(scalar, to: &out, keepTabAndNewline: true) }
        return out
    }

    /// JSON text for a terminal: raw controls (never valid inside JSON strings, but a
    /// foreign producer may write them) and C1/bidi controls become `\uXXXX` escapes, which
    /// keeps valid JSON valid and its meaning unchanged.
    public static func json(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        var out = ""
        out.reserveCapacity(bytes.count)
        for scalar in text.unicodeScalars {
            if LogSafe.isControl(scalar), scalar != "\n", scalar != "\t" {
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
