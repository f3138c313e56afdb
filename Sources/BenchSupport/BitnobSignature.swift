// What every webhook ingress in the benchmark must do for a Bitnob webhook, shared by the
// benchmark's own servers (BenchBare, BenchProduce): check `x-bitnob-signature`, the hex
// HMAC-SHA512 of the raw body, in constant time. Not part of the product.
public import Crypto
import Foundation

/// The Bitnob webhook secret: `$BITNOB_WEBHOOK_SECRET`, else the development one.
public let bitnobKey = SymmetricKey(data: Array((ProcessInfo.processInfo.environment["BITNOB_WEBHOOK_SECRET"] ?? "bitnob_test_secret").utf8))

/// 128 hex digits → 64 bytes; `nil` for anything else.
public func decodeHex512(_ text: String) -> [UInt8]? {
    var out = [UInt8]()
    out.reserveCapacity(64)
    var high: UInt8?
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
        if let h = high {
            out.append(h << 4 | v)
            high = nil
        } else {
            high = v
        }
    }
    return out.count == 64 && high == nil ? out : nil
}

/// Whether `header` (the `x-bitnob-signature` value) signs `body` (constant-time comparison,
/// swift-crypto's `isValidAuthenticationCode`).
public func bitnobSignatureIsValid(_ header: String?, body: UnsafeRawBufferPointer) -> Bool {
    guard let header, let signature = decodeHex512(header) else { return false }
    return HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: body, using: bitnobKey)
}
