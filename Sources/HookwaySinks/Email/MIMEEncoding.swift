/// The encodings a message needs: RFC 2047 encoded words for non-ASCII header text, quoted-
/// printable for bodies, base64 for SMTP AUTH.
enum MIMEEncoding {
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ bytes: some Collection<UInt8>) -> String {
        let b = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((b.count + 2) / 3 * 4)
        var i = 0
        while i < b.count {
            let n = min(3, b.count - i)
            let v = UInt32(b[i]) << 16 | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
            out.append(base64Alphabet[Int(v >> 18 & 63)])
            out.append(base64Alphabet[Int(v >> 12 & 63)])
            out.append(n > 1 ? base64Alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(n > 2 ? base64Alphabet[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Header text as is when it is printable ASCII, else as `=?UTF-8?B?…?=` words of at most
    /// 75 characters that never split a UTF-8 sequence (RFC 2047 §5).
    static func headerValue(_ text: String) -> String {
        let clean = MailAddress.clean(text)
        if clean.unicodeScalars.allSatisfy({ $0.isASCII && ($0.value >= 0x20 && $0.value < 0x7f) }) { return clean }
        return encodedWords(clean).joined(separator: "\r\n ")
    }

    static func encodedWords(_ text: String) -> [String] {
        // 75 - len("=?UTF-8?B?" + "?=") = 63 base64 characters → 45 bytes of UTF-8 at most.
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?\(base64(chunk))?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(base64(chunk))?=") }
        return words
    }

    /// Quoted-printable (RFC 2045 §6.7) with CRLF line ends and soft breaks at 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let lines = normalizedLines(text)
        for (index, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            var width = 0
            for (i, byte) in bytes.enumerated() {
                let last = i == bytes.count - 1
                var encoded: [UInt8]
                if (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !last) {
                    encoded = [byte]
                } else {
                    encoded = [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
                }
                // Keep room for the soft break's "=" unless this is the line's last piece.
                if width + encoded.count > (last ? 76 : 75) {
                    out += Array("=\r\n".utf8)
                    width = 0
                }
                out += encoded
                width += encoded.count
            }
            if index < lines.count - 1 { out += [0x0d, 0x0a] }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lines of `text` with CR, LF and CRLF all treated as line ends.
    static func normalizedLines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    }
}
