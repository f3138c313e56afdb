/// `X-Forwarded-For` read the only way that cannot be forged from outside: from the right.
///
/// Each proxy appends the address it received the request from, so the rightmost entries were
/// written by proxies we trust and the first entry (from the right) that is not a trusted
/// proxy is the real client; everything to its left was written by the client itself.
public enum ForwardedFor {
    /// Entries considered per request: a longer chain is hostile or broken.
    public static let maxEntries = 32

    /// The client address, or `nil` when the header names no usable one (absent, malformed,
    /// longer than ``maxEntries``, or only trusted proxies).
    public static func clientAddress(headerValues: [String], trusted: [CIDRBlock]) -> IPAddress? {
        var entries: [Substring] = []
        for value in headerValues {
            for entry in value.split(separator: ",", omittingEmptySubsequences: false) {
                entries.append(entry)
                if entries.count > maxEntries { return nil }
            }
        }
        for entry in entries.reversed() {
            guard let address = parse(entry) else { return nil }
            if !trusted.contains(where: { $0.contains(address) }) { return address }
        }
        return nil
    }

    /// One entry: an address, optionally `[v6]:port` or `v4:port`, with optional whitespace.
    static func parse(_ entry: Substring) -> IPAddress? {
        var text = entry.drop { $0 == " " || $0 == "\t" }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        guard !text.isEmpty, text.utf8.count <= 64 else { return nil }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return IPAddress(text[text.index(after: text.startIndex)..<close])
        }
        if let address = IPAddress(text) { return address }
        // `192.0.2.1:8080`: a single colon means IPv4 with a port.
        if let colon = text.firstIndex(of: ":"), text[text.index(after: colon)...].allSatisfy(\.isNumber) {
            return IPAddress(text[..<colon])
        }
        return nil
    }
}
