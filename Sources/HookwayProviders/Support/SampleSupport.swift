import Crypto
import HookwayCore

/// Building blocks for ``ProviderAdapter/sample(event:source:now:tampered:)``.
enum SampleSupport {
    /// A UUID-shaped id derived from `seed`, so samples look real and differ per event and time.
    static func uuid(_ seed: String) -> String {
        let h = DigestCoding.hexString(SHA256.hash(data: Array(seed.utf8)))
        let c = Array(h)
        func part(_ r: Range<Int>) -> String { String(c[r]) }
        return "\(part(0..<8))-\(part(8..<12))-4\(part(13..<16))-a\(part(17..<20))-\(part(20..<32))"
    }

    /// A 32-hex id (Bitso's `fid`/`wid` shape).
    /// `generated`, unless `hookway simulate --entity-id` asked for a given entity id.
    static func entityID(_ generated: String) -> String { SampleEntityID.override ?? generated }

    static func hexID(_ seed: String) -> String {
        String(DigestCoding.hexString(SHA256.hash(data: Array(seed.utf8))).prefix(32))
    }

    /// The keys a sample signs with: the source's first secret, or a wrong one when tampered.
    static func signingKey(_ source: SourceConfig, tampered: Bool) -> [UInt8] {
        let key = source.secrets.first?.bytes ?? []
        return tampered ? key + Array("-tampered".utf8) : key
    }

    /// The URL token segment: the source's token, or a wrong one when `wrong`.
    static func pathSuffix(_ source: SourceConfig, wrong: Bool) -> String? {
        guard let token = source.token else { return wrong ? "not-the-token" : nil }
        return wrong ? token.stringValue + "-wrong" : token.stringValue
    }

    /// Compact JSON bytes of an object built from `members` in order.
    static func json(_ members: [(String, JSONValue)]) -> [UInt8] {
        JSONWriter.encode(.object(members.map { JSONMember($0.0, $0.1) }))
    }
}

/// The entity id `hookway simulate --entity-id` puts in a sample instead of a generated one, so a
/// simulated delivery can name an entity a provider's API (or its stand-in) knows.
public enum SampleEntityID {
    @TaskLocal public static var override: String?
}
