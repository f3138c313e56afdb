import Foundation
import HookwayCore

/// An RFC 5322 message read back the way a mail client would: unfolded headers, RFC 2047
/// words decoded, multipart split, quoted-printable undone.
struct ParsedEmail {
    var headers: [(name: String, value: String)] = []
    var contentType = ""
    var parts: [(contentType: String, body: String)] = []

    init(_ text: String) {
        let (headers, body) = Self.split(text)
        self.headers = headers
        contentType = header("Content-Type") ?? "text/plain"
        if contentType.hasPrefix("multipart/"), let boundary = Self.parameter("boundary", in: contentType) {
            let pieces = body.components(separatedBy: "--\(boundary)")
            for piece in pieces.dropFirst() where !piece.hasPrefix("--") {
                let (partHeaders, partBody) = Self.split(String(piece.drop { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }))
                let type = partHeaders.first { $0.name.lowercased() == "content-type" }?.value ?? "text/plain"
                let encoding = partHeaders.first { $0.name.lowercased() == "content-transfer-encoding" }?.value
                var decoded = encoding == "quoted-printable" ? Self.decodeQuotedPrintable(partBody) : partBody
                if decoded.hasSuffix("\r\n") { decoded.removeLast() }
                parts.append((type, decoded))
            }
        } else {
            let encoding = header("Content-Transfer-Encoding")
            var decoded = encoding == "quoted-printable" ? Self.decodeQuotedPrintable(body) : body
            if decoded.hasSuffix("\r\n") { decoded.removeLast() }
            parts = [(contentType, decoded)]
        }
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }.map { Self.decodeWords($0.value) }
    }

    func part(_ type: String) -> String? { parts.first { $0.contentType.hasPrefix(type) }?.body }

    static func split(_ text: String) -> ([(name: String, value: String)], String) {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        let sections = normalized.components(separatedBy: "\n\n")
        var headers: [(String, String)] = []
        for line in (sections.first ?? "").components(separatedBy: "\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), let last = headers.popLast() {
                headers.append((last.0, last.1 + line))
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
        }
        let body = sections.dropFirst().joined(separator: "\n\n").replacingOccurrences(of: "\n", with: "\r\n")
        return (headers, body)
    }

    static func parameter(_ name: String, in value: String) -> String? {
        guard let range = value.range(of: "\(name)=") else { return nil }
        var rest = value[range.upperBound...]
        if rest.hasPrefix("\"") {
            rest = rest.dropFirst()
            return String(rest.prefix { $0 != "\"" })
        }
        return String(rest.prefix { $0 != ";" && $0 != " " })
    }

    /// `=?UTF-8?B?…?=` words, adjacent ones joined (the whitespace between them is dropped).
    static func decodeWords(_ value: String) -> String {
        let pattern = try! NSRegularExpression(pattern: #"=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=(\s+(?==\?))?"#, options: [.caseInsensitive])
        var out = value
        for match in pattern.matches(in: value, range: NSRange(value.startIndex..., in: value)).reversed() {
            let encoded = String(value[Range(match.range(at: 1), in: value)!])
            let decoded = Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? ""
            out.replaceSubrange(Range(match.range, in: out)!, with: decoded)
        }
        return out
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let source = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var i = 0
        while i < source.count {
            if source[i] == UInt8(ascii: "="), i + 2 < source.count, let v = UInt8(String(decoding: source[i + 1...i + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                i += 3
            } else {
                bytes.append(source[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A withdrawal event like the ingress publishes.
func sampleEvent(id: String = "evt-\(UUID().uuidString)", customerEmail: String? = "alice@example.com", amount: String = "15000.50") -> Event {
    var payload = #"{"event":"withdrawal.pending","data":{"id":"w-1","amount":15000.50,"tier":2,"tags":["vip","mx"],"profile":{"name":"Alice"}"#
    if let customerEmail { payload += #","customerEmail":"\#(customerEmail)""# }
    payload += "}}"
    let data = EventData(
        provider: "bitso",
        source: "bitso",
        event: "withdrawal.pending",
        entity: EntityRef(kind: "withdrawal", id: "w-1"),
        status: "pending",
        amount: amount,
        currency: "MXN",
        reference: "ref-9",
        payload: try! JSONParser.parse(Array(payload.utf8))
    )
    return Event(
        id: id,
        data: data,
        time: "2025-07-01T10:00:00Z",
        authMethod: .token,
        receivedAt: Timestamp(millisecondsSinceEpoch: 1_751_364_000_000)
    )
}

/// A sink config from JSON text (the sink's whole object), relative paths under `baseDirectory`.
func sinkConfig(_ name: String, kind: SinkKind, _ json: String, baseDirectory: String = NSTemporaryDirectory()) -> SinkConfig {
    SinkConfig(name: name, kind: kind, topics: ["t"], options: try! JSONParser.parse(Array(json.utf8)), baseDirectory: baseDirectory)
}

let fixtureDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").path
