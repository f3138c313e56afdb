import Foundation
import HookwayCore

/// Bitso's `publicKeys`. Public keys are not secrets, so a literal value is accepted beside
/// `env:`/`file:` references. Only the encoding is checked here; an adapter that cannot parse
/// a key skips it, and a delivery no key verifies is `invalid_signature`.
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
            guard let entries = BitsoKeyList.entries(root) else {
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
                guard let pem = BitsoKeyList.pem(fromPublicKey: key) else {
                    error(p, "\(list.reference): key \"\(LogSafe.text(id, limit: 64))\" is neither PEM nor base64 DER")
                    continue
                }
                out[id] = pem
            }
            if entries.isEmpty { error(path, "\(list.reference) lists no keys") }
        case .object:
            guard let keys = object(value, at: path) else { return [:] }
            for k in keys {
                let p = ConfigReader.child(path, k.key)
                guard let text = publicKeyText(k.value, at: p) else { continue }
                guard let pem = BitsoKeyList.pem(fromPublicKey: text) else {
                    let shown = k.value.stringValue.flatMap(SecretReference.init).map(\.text) ?? "the value"
                    error(p, "\(shown) is not a PEM public key (nor base64 DER SubjectPublicKeyInfo)")
                    continue
                }
                out[k.key] = pem
            }
        default:
            error(path, "expected {\"<key id>\": \"file:key.pem\"} or \"file:PATH\" of Bitso's key list, found \(ConfigReader.typeName(value))")
        }
        return out
    }
}

enum BitsoKeyList {
    /// Bitso's list is a bare array, or the API's `{"success": true, "payload": [...]}`
    /// envelope (or `keys`/`data`).
    static func entries(_ root: JSONValue) -> [JSONValue]? {
        if case .array(let items) = root { return items }
        for key in ["payload", "keys", "data"] {
            if case .array(let items)? = root[key] { return items }
        }
        return nil
    }

    /// PEM text for a PEM or base64-DER public key; `nil` when it is neither.
    static func pem(fromPublicKey text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") { return trimmed.contains("-----END") ? trimmed : nil }
        let compact = trimmed.filter { !$0.isWhitespace }
        guard let der = DigestCoding.base64(compact), der.count >= 32 else { return nil }
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
