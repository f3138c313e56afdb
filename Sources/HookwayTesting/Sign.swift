public import Crypto
import Foundation

/// Signatures the way the providers compute them, written once for every test target and
/// independent of the adapters' own code (a bug there must not be mirrored here).
public enum Sign {
    /// Lowercase hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The HMAC of `message` under `key`.
    public static func hmac<H: HashFunction>(_ hash: H.Type, key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<H>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// Hex HMAC of UTF-8 `message` under UTF-8 `key`.
    public static func hmacHex<H: HashFunction>(_ hash: H.Type, key: String, _ message: String) -> String {
        hex(hmac(hash, key: Array(key.utf8), Array(message.utf8)))
    }

    /// Bitnob's `x-bitnob-signature`: hex HMAC-SHA512 of the body.
    public static func bitnob(_ body: [UInt8], secret: String = "bitnob_test_secret") -> String {
        hex(hmac(SHA512.self, key: Array(secret.utf8), body))
    }

    /// Bit Capital's `X-Request-Signature`: hex HMAC-SHA256 of `POST,{target},{timestamp},{body}`.
    public static func bitcapital(target: String, timestamp: String, body: [UInt8], secret: String = "bc_test_secret") -> String {
        hex(hmac(SHA256.self, key: Array(secret.utf8), Array("POST,\(target),\(timestamp),".utf8) + body))
    }

    /// Koywe's `Koywe-Signature`: hex HMAC-SHA256 of the signed bytes.
    public static func koywe(_ signed: [UInt8], secret: String = "koywe_test_secret") -> String {
        hex(hmac(SHA256.self, key: Array(secret.utf8), signed))
    }

    /// A Standard Webhooks `v1,<base64>` entry over `{id}.{timestamp}.{body}`; `secret` is the
    /// `whsec_…` value (its base64 part is the key).
    public static func standardWebhooks(id: String, timestamp: String, body: [UInt8], secret: String) -> String {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        let key = Data(base64Encoded: encoded).map(Array.init) ?? Array(encoded.utf8)
        return "v1," + Data(hmac(SHA256.self, key: key, Array("\(id).\(timestamp).".utf8) + body)).base64EncodedString()
    }
}
