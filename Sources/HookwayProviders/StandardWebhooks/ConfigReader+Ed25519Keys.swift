import Foundation
import HookwayCore

extension ConfigReader {
    /// Standard Webhooks: a list of `whpk_<base64>` keys (literal or `env:`/`file:`).
    mutating func ed25519PublicKeys(_ value: JSONValue, at path: String) -> [[UInt8]] {
        guard case .array(let items) = value else {
            error(path, "expected a list of \"whpk_…\" public keys (or env:/file: references to them), found \(ConfigReader.typeName(value))")
            return []
        }
        var keys: [[UInt8]] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            guard var text = publicKeyText(item, at: p) else { continue }
            text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("whpk_") { text = String(text.dropFirst(5)) }
            guard let raw = DigestCoding.base64(text), raw.count == 32 else {
                error(p, "not an ed25519 public key: expected \"whpk_\" and the base64 of 32 bytes")
                continue
            }
            keys.append(raw)
        }
        if items.isEmpty { error(path, "lists no keys") }
        return keys
    }
}
