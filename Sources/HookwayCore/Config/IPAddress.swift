/// An IPv4 or IPv6 address as 4 or 16 bytes. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`)
/// are unmapped so a dual-stack listener still matches IPv4 allow-lists.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: some StringProtocol) {
        var s = String(text)
        if s.hasPrefix("["), s.hasSuffix("]") { s = String(s.dropFirst().dropLast()) }
        if let zone = s.firstIndex(of: "%") { s = String(s[..<zone]) }
        if let v4 = IPAddress.parseIPv4(s[...]) {
            bytes = v4
        } else if let v6 = IPAddress.parseIPv6(s) {
            if v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xFF, v6[11] == 0xFF {
                bytes = Array(v6[12...])
            } else {
                bytes = v6
            }
        } else {
            return nil
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// 16 address bytes, with an IPv4-mapped address unmapped (as the text form is).
    init(unmapping v6: [UInt8]) {
        if v6.count == 16, v6[0..<10].allSatisfy({ $0 == 0 }), v6[10] == 0xFF, v6[11] == 0xFF {
            bytes = Array(v6[12...])
        } else {
            bytes = v6
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    static func parseIPv4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseIPv6(_ s: String) -> [UInt8]? {
        guard s.contains(":") else { return nil }
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        // A dotted quad may only be the address's last 32 bits (RFC 4291 §2.2).
        func groups(_ part: String, endsAddress: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            var out: [UInt8] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if endsAddress, i == items.count - 1, item.contains(".") {
                    guard let v4 = parseIPv4(item) else { return nil }
                    out += v4
                    continue
                }
                // `UInt16(_:radix:)` alone would accept a sign ("+1", "-0").
                guard !item.isEmpty, item.count <= 4, item.allSatisfy(\.isHexDigit), let v = UInt16(item, radix: 16) else { return nil }
                out += [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            return out
        }
        guard let head = groups(halves[0], endsAddress: halves.count == 1) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1], endsAddress: true), head.count + tail.count < 16 else { return nil }
        return head + Array(repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single address.
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    /// Parses `address[/prefix]`; `nil` when malformed or the prefix is out of range.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        // A mapped block (`::ffff:10.0.0.0/104`) is unmapped with its address, so its prefix
        // counts from bit 96 of the IPv6 form.
        let mapped = address.isIPv4 && parts[0].contains(":")
        let maxBits = address.bytes.count * 8
        var length = maxBits
        if parts.count == 2 {
            guard let l = Int(parts[1]), parts[1].allSatisfy(\.isNumber) else { return nil }
            let bits = mapped ? l - 96 : l
            guard bits >= 0, bits <= maxBits else { return nil }
            length = bits
        }
        network = address
        prefixLength = length
    }

    public var description: String { "\(network)/\(prefixLength)" }

    /// True when `address` lies inside this block (same family only).
    public func contains(_ address: IPAddress) -> Bool {
        guard address.bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for i in 0..<network.bytes.count {
            if remaining <= 0 { return true }
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if network.bytes[i] & mask != address.bytes[i] & mask { return false }
            remaining -= bits
        }
        return true
    }
}
