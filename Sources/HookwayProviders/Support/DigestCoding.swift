import Crypto
import Foundation

/// Hex and base64 decoding of signature headers, and the comparisons that must not leak
/// through timing. Decoding is strict: a malformed value is `nil`, which adapters report as
/// `invalid_signature`.
enum DigestCoding {
    /// Decodes hex in either case (providers differ; PROVIDERS.md: hex case is irrelevant).
    static func hex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// Lowercase hex.
    static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard base64; padding may be omitted. `nil` for anything else.
    static func base64(_ text: String) -> [UInt8]? {
        guard !text.isEmpty else { return nil }
        var padded = text
        let remainder = text.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { padded += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: padded) else { return nil }
        return Array(data)
    }

    static func base64String(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Compares two digests in time independent of where they differ. Digest lengths are
    /// public (they follow from the algorithm), so a length mismatch may return early.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// Compares two secret values of any length without leaking their length or content:
    /// both are hashed first, then the digests are compared in constant time.
    static func secretEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        constantTimeEquals(Array(SHA256.hash(data: a)), Array(SHA256.hash(data: b)))
    }
}

/// HMAC over a message given in parts (so a body is never copied to prepend a timestamp).
enum MessageAuthentication {
    static func hmac<H: HashFunction>(_: H.Type, key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
        var mac = HMAC<H>(key: SymmetricKey(data: key))
        for part in parts { mac.update(data: part) }
        return Array(mac.finalize())
    }

    /// True when any digest of `expected` (one per configured key) equals any of the
    /// `candidates` a request presented; every pair is compared, in constant time each.
    static func anyMatches(_ expected: [[UInt8]], candidates: [[UInt8]]) -> Bool {
        var matched = false
        for digest in expected {
            for candidate in candidates where DigestCoding.constantTimeEquals(digest, candidate) { matched = true }
        }
        return matched
    }

    /// True when `expected` equals the HMAC of `parts` under any of `keys`. Every key is tried
    /// (no early exit) so timing does not reveal which one matched.
    static func anyKeyVerifies<H: HashFunction>(
        _ hash: H.Type,
        keys: [[UInt8]],
        parts: [[UInt8]],
        expected: [UInt8]
    ) -> Bool {
        var matched = false
        for key in keys where DigestCoding.constantTimeEquals(hmac(hash, key: key, parts: parts), expected) {
            matched = true
        }
        return matched
    }
}
