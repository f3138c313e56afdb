/// The PROXY protocol header (HAProxy's spec, versions 1 and 2) a load balancer sends first on
/// a connection to say which client it stands for. Parsed only from peers listed in
/// `limits.trustedProxies`; anyone else could claim any address with it.
public enum ProxyProtocolHeader {
    /// v2 headers with more address/TLV bytes than this are refused (a v2 header from a real
    /// proxy carries 12–36 address bytes plus a few TLVs).
    public static let maxV2PayloadLength = 1_024
    /// v1 headers are at most 107 bytes, CRLF included (spec §2.1).
    public static let maxV1Length = 107
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// What the bytes at the start of a connection say.
    public enum ParseResult: Equatable, Sendable {
        /// Not enough bytes yet to decide.
        case needMoreData
        /// Not a valid PROXY header: the connection must be closed.
        case invalid(String)
        /// A header of `length` bytes; `source` is the client (`nil` for a LOCAL/UNKNOWN
        /// header, e.g. the proxy's own health check: the TCP peer stands).
        case header(source: IPAddress?, length: Int)
    }

    /// Parses the header at the start of `bytes`.
    public static func parse(_ bytes: some Collection<UInt8>) -> ParseResult {
        let b = Array(bytes.prefix(16 + maxV2PayloadLength))
        guard let first = b.first else { return .needMoreData }
        if first == 0x0D { return parseV2(b) }
        if first == UInt8(ascii: "P") { return parseV1(b) }
        return .invalid("the connection does not start with a PROXY protocol header")
    }

    static func parseV1(_ b: [UInt8]) -> ParseResult {
        let prefix = Array("PROXY ".utf8)
        for (i, c) in prefix.enumerated() where i < b.count && b[i] != c { return .invalid("not a PROXY v1 header") }
        guard let lf = b.prefix(maxV1Length).firstIndex(of: 0x0A) else {
            return b.count >= maxV1Length ? .invalid("PROXY v1 header longer than 107 bytes") : .needMoreData
        }
        guard lf > 0, b[lf - 1] == 0x0D else { return .invalid("PROXY v1 header does not end in CRLF") }
        guard let line = String(validating: b[prefix.count..<(lf - 1)], as: UTF8.self) else {
            return .invalid("PROXY v1 header is not text")
        }
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard let family = fields.first else { return .invalid("PROXY v1 header has no protocol") }
        switch family {
        case "UNKNOWN":
            return .header(source: nil, length: lf + 1)
        case "TCP4", "TCP6":
            guard fields.count == 5, let source = IPAddress(fields[1]), IPAddress(fields[2]) != nil,
                isPort(fields[3]), isPort(fields[4])
            else { return .invalid("PROXY v1 header is not \"PROXY TCP4|TCP6 SRC DST SPORT DPORT\"") }
            guard source.isIPv4 == (family == "TCP4") else { return .invalid("PROXY v1 address does not match \(family)") }
            return .header(source: source, length: lf + 1)
        default:
            return .invalid("PROXY v1 protocol must be TCP4, TCP6 or UNKNOWN")
        }
    }

    static func parseV2(_ b: [UInt8]) -> ParseResult {
        for (i, c) in v2Signature.enumerated() where i < b.count && b[i] != c { return .invalid("not a PROXY v2 header") }
        guard b.count >= 16 else { return .needMoreData }
        let versionCommand = b[12]
        guard versionCommand >> 4 == 2 else { return .invalid("PROXY v2 header of version \(versionCommand >> 4)") }
        let command = versionCommand & 0x0F
        guard command <= 1 else { return .invalid("PROXY v2 command \(command) is neither LOCAL nor PROXY") }
        let length = Int(b[14]) << 8 | Int(b[15])
        guard length <= maxV2PayloadLength else { return .invalid("PROXY v2 header longer than \(maxV2PayloadLength) bytes") }
        guard b.count >= 16 + length else { return .needMoreData }
        let total = 16 + length
        // LOCAL: the proxy speaks for itself (health checks); addresses are to be ignored.
        if command == 0 { return .header(source: nil, length: total) }
        switch b[13] {
        case 0x11, 0x12:  // TCP or UDP over IPv4: src, dst, sport, dport
            guard length >= 12 else { return .invalid("PROXY v2 IPv4 addresses truncated") }
            return .header(source: IPAddress(bytes: Array(b[16..<20])), length: total)
        case 0x21, 0x22:
            guard length >= 36 else { return .invalid("PROXY v2 IPv6 addresses truncated") }
            return .header(source: IPAddress(unmapping: Array(b[16..<32])), length: total)
        case 0x00:
            return .header(source: nil, length: total)
        default:
            // AF_UNIX or an unknown family: no IP client to name; the TCP peer stands.
            return .header(source: nil, length: total)
        }
    }

    static func isPort(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 5, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(s) else { return false }
        return n <= 65_535
    }
}
