import HookwayCore

/// The bytes Koywe's body-embedded `signature` covers (seed 003): Node's
/// `JSON.stringify({eventName, orderId, timeStamp})`. The seed hashes an undefined `payload`;
/// Hookway reads it as the example body minus `signature`, which the example vector confirms.
///
/// The object is rebuilt from the parsed values, so spacing and key order in the received body
/// do not matter, with JavaScript's string escaping: `\"`, `\\`, `\b \f \n \r \t`, other
/// control characters as `\u00xx`, everything else literal UTF-8, `/` included (Foundation's
/// `JSONEncoder` would write `\/` and break the digest).
enum KoyweSignedFields {
    static let names = ["eventName", "orderId", "timeStamp"]

    /// The signed bytes, or `nil` when a signed field is missing or not a string.
    static func signedBytes(of payload: JSONValue) -> [UInt8]? {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, name) in names.enumerated() {
            guard let value = payload[name]?.stringValue else { return nil }
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendJSString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSString(value, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The payload reduced to the signed members (in the order received), and the names of
    /// the other members, except `signature` itself, which authenticates rather than informs.
    static func signedMembers(of payload: JSONValue) -> (kept: JSONValue, dropped: [String]) {
        guard let members = payload.members else { return (payload, []) }
        var kept: [JSONMember] = []
        var dropped: [String] = []
        for member in members {
            if names.contains(member.key) {
                kept.append(member)
            } else if member.key != "signature" {
                dropped.append(member.key)
            }
        }
        return (.object(kept), dropped)
    }

    /// Appends `s` as `JSON.stringify` writes a string.
    static func appendJSString(_ s: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, UInt8(ascii: "b")]
            case 0x0C: out += [0x5C, UInt8(ascii: "f")]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
