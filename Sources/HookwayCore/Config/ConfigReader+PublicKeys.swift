import Foundation

/// Public keys in `sources`: Bitso's RSA keys by key id and Standard Webhooks' ed25519 keys.
///
/// Public keys are not secrets, so a literal value is accepted beside `env:`/`file:`
/// references. Only their encoding is checked here (HookwayCore has no crypto); an adapter
/// that cannot parse a key skips it, and a delivery no key verifies is `invalid_signature`.
extension ConfigReader {
    /// Bitso: `{"<key id>": "file:key.pem"}` (PEM or base64 DER SubjectPublicKeyInfo per key),
    /// or one `file:` reference to the JSON of Bitso's "List webhook public keys" endpoint.
    mutating func rsaPublicKeys(_ value: JSONValue, at path: String) -> [String: String] {
        var out: [String: String] = [:]
        switch value {
        case .string:
            guard let list = secret(value, at: path) else { return [:] }
            let root: JSONValue
            do {
                root = try JSONParser.parse(list.bytes)
            } catch let failure {
                error(path, "\(list.reference) is not JSON (\(failure)); expected Bitso's webhook public key list")
                return [:]
            }
            guard let entries = Self.keyListEntries(root) else {
                error(path, "\(list.reference): expected a list of {\"key_id\", \"public_key\"} objects (bare, or in \"payload\")")
                return [:]
            }
            for (i, entry) in entries.enumerated() {
                let p = "\(path)[\(i)]"
                let id = ["key_id", "keyId", "id", "kid"].lazy.compactMap { entry[$0]?.stringValue }.first
                let key = ["public_key", "publicKey", "key"].lazy.compactMap { entry[$0]?.stringValue }.first
                guard let id, !id.isEmpty, let key else {
                    error(p, "\(list.reference): entry \(i) needs a key id (\"key_id\") and a key (\"public_key\")")
                    continue
                }
                guard let pem = Self.pem(fromPublicKey: key) else {
                    error(p, "\(list.reference): key \"\(LogSafe.text(id, limit: 64))\" is neither PEM nor base64 DER")
                    continue
                }
                out[id] = pem
            }
            if entries.isEmpty { error(path, "\(list.reference) lists no keys") }
        case .object:
            guard let keys = object(value, at: path) else { return [:] }
            for k in keys {
                let p = Self.child(path, k.key)
                guard let text = publicKeyText(k.value, at: p) else { continue }
                guard let pem = Self.pem(fromPublicKey: text) else {
                    let shown = k.value.stringValue.flatMap(SecretReference.init).map(\.text) ?? "the value"
                    error(p, "\(shown) is not a PEM public key (nor base64 DER SubjectPublicKeyInfo)")
                    continue
                }
                out[k.key] = pem
            }
        default:
            error(path, "expected {\"<key id>\": \"file:key.pem\"} or \"file:PATH\" of Bitso's key list, found \(Self.typeName(value))")
        }
        return out
    }

    /// Standard Webhooks: a list of `whpk_<base64>` keys (literal or `env:`/`file:`).
    mutating func ed25519PublicKeys(_ value: JSONValue, at path: String) -> [[UInt8]] {
        guard case .array(let items) = value else {
            error(path, "expected a list of \"whpk_…\" public keys (or env:/file: references to them), found \(Self.typeName(value))")
            return []
        }
        var keys: [[UInt8]] = []
        for (i, item) in items.enumerated() {
            let p = "\(path)[\(i)]"
            guard var text = publicKeyText(item, at: p) else { continue }
            text = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.hasPrefix("whpk_") { text = String(text.dropFirst(5)) }
            guard let raw = Self.base64Bytes(text), raw.count == 32 else {
                error(p, "not an ed25519 public key: expected \"whpk_\" and the base64 of 32 bytes")
                continue
            }
            keys.append(raw)
        }
        if items.isEmpty { error(path, "lists no keys") }
        return keys
    }

    /// A public key value: a literal, or the text an `env:`/`file:` reference resolves to.
    mutating func publicKeyText(_ value: JSONValue, at path: String) -> String? {
        guard let text = string(value, at: path) else { return nil }
        if let reference = SecretReference(text) { return resolve(reference, at: path)?.stringValue }
        return text
    }

    /// Bitso's list is a bare array, or the API's `{"success": true, "payload": [...]}`
    /// envelope (or `keys`/`data`).
    static func keyListEntries(_ root: JSONValue) -> [JSONValue]? {
        if case .array(let items) = root { return items }
        for key in ["payload", "keys", "data"] {
            if case .array(let items)? = root[key] { return items }
        }
        return nil
    }

    /// Standard base64 with or without padding; `nil` for anything else.
    static func base64Bytes(_ text: String) -> [UInt8]? {
        let remainder = text.utf8.count % 4
        guard !text.isEmpty, remainder != 1 else { return nil }
        let padded = remainder == 0 ? text : text + String(repeating: "=", count: 4 - remainder)
        return Data(base64Encoded: padded).map(Array.init)
    }

    /// PEM text for a PEM or base64-DER public key; `nil` when it is neither.
    static func pem(fromPublicKey text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") { return trimmed.contains("-----END") ? trimmed : nil }
        let compact = trimmed.filter { !$0.isWhitespace }
        guard let der = Self.base64Bytes(compact), der.count >= 32 else { return nil }
        let canonical = Data(der).base64EncodedString()
        var lines: [String] = []
        var rest = canonical[...]
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        let body: String = lines.joined(separator: "\n")
        return "-----BEGIN PUBLIC KEY-----\n\(body)\n-----END PUBLIC KEY-----"
    }
}
