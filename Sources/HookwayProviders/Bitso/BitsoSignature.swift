import Crypto
import Foundation
import HookwayCore
import _CryptoExtras

/// Bitso's optional RSA signature: `x-bitso-webhook-event-signature` is base64 RSA PKCS#1 v1.5
/// SHA-256 over the top-level `payload` value, compacted (whitespace outside strings removed,
/// nothing reordered or re-escaped); `x-bitso-key-id` names the rotating key.
enum BitsoSignature {
    static let signatureHeader = "x-bitso-webhook-event-signature"
    static let keyIDHeader = "x-bitso-key-id"

    /// Verifies the request against `publicKeys` (PEM by key id). Without a key id every key
    /// is tried. Throws `missing_signature` or `invalid_signature`.
    static func verify(_ request: WebhookRequest, publicKeys: [String: String]) throws(WebhookError) {
        guard let encoded = request.header(signatureHeader), !encoded.isEmpty else {
            throw .missingSignature("\(signatureHeader) header is missing")
        }
        let candidates: [String]
        if let keyID = request.header(keyIDHeader), !keyID.isEmpty {
            guard let pem = publicKeys[keyID] else { throw .invalidSignature("unknown \(keyIDHeader)") }
            candidates = [pem]
        } else {
            candidates = publicKeys.keys.sorted().compactMap { publicKeys[$0] }
        }
        guard let signatureBytes = DigestCoding.base64(encoded) else {
            throw .invalidSignature("\(signatureHeader) is not base64")
        }
        // The signed bytes live inside the body; a body we cannot find them in cannot verify.
        guard let signed = signedBytes(of: request.body) else {
            throw .invalidSignature("no top-level payload to verify the signature over")
        }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        for pem in candidates {
            guard let key = RSAKeyCache.shared.key(pem) else { continue }
            if key.isValidSignature(signature, for: signed, padding: .insecurePKCS1v1_5) { return }
        }
        throw .invalidSignature("no configured Bitso key verifies the signature")
    }

    /// Signs `bytes` as Bitso does, for samples: base64 RSA PKCS#1 v1.5 SHA-256 and the id of
    /// the configured public key that matches `privateKeyPEM` (else the first id). `nil` when
    /// the PEM is not an RSA private key.
    static func sign(_ bytes: [UInt8], privateKeyPEM: String, publicKeys: [String: String]) -> (signature: String, keyID: String)? {
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM),
            let signature = try? key.signature(for: bytes, padding: .insecurePKCS1v1_5)
        else { return nil }
        let own = key.publicKey.derRepresentation
        let ids = publicKeys.keys.sorted()
        // Naming the key for a sample only: a configured key that does not parse matches nothing.
        let keyID =
            ids.first { id in
                publicKeys[id].flatMap { try? _RSA.Signing.PublicKey(pemRepresentation: $0) }?.derRepresentation == own
            } ?? ids.first ?? "dev"
        return (DigestCoding.base64String(Array(signature.rawRepresentation)), keyID)
    }

    /// The compact `payload` span of `body`, or `nil` when the body is not a JSON object with one.
    static func signedBytes(of body: [UInt8]) -> [UInt8]? {
        guard let (_, spans) = try? JSONParser.parseWithSpans(body),
            let span = spans.last(where: { $0.key == "payload" })?.span
        else { return nil }
        return compact(body[span])
    }

    /// Removes JSON whitespace outside strings; everything else stays byte for byte.
    static func compact(_ json: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(json.count)
        var inString = false
        var escaped = false
        for b in json {
            if inString {
                out.append(b)
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D: continue
                case UInt8(ascii: "\""):
                    inString = true
                    out.append(b)
                default: out.append(b)
                }
            }
        }
        return out
    }
}

/// Parsed RSA public keys by PEM text, so a delivery costs one verification, not a PEM parse
/// per configured key. Keyed only by configured keys (a request cannot add entries: it can only
/// pick among the source's), and emptied when it outgrows what any routes file configures.
final class RSAKeyCache: @unchecked Sendable {
    // @unchecked Sendable: `keys` is only read or written while `lock` is held.
    private let lock = NSLock()
    private var keys: [String: _RSA.Signing.PublicKey] = [:]
    static let shared = RSAKeyCache()
    static let capacity = 256

    /// The parsed key, or `nil` when `pem` is not an RSA public key (not cached: configs are
    /// validated, so this is rare, and a later reload may fix it).
    func key(_ pem: String) -> _RSA.Signing.PublicKey? {
        if let cached = lock.withLock({ keys[pem] }) { return cached }
        guard let parsed = try? _RSA.Signing.PublicKey(pemRepresentation: pem) else { return nil }
        lock.withLock {
            if keys.count >= Self.capacity { keys.removeAll() }
            keys[pem] = parsed
        }
        return parsed
    }
}
