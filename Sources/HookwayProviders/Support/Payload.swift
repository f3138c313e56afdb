import Crypto
import HookwayCore

/// Parsing and field access shared by the adapters. Parsing happens only after
/// authentication, so a 400 never tells an unauthenticated sender anything.
enum Payload {
    /// Parses the body as a JSON object; anything else is `400 malformed_payload`.
    static func object(_ body: [UInt8]) throws(WebhookError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw .malformedPayload("body is not JSON: \(error.reason) at byte \(error.offset)")
        }
        guard case .object = value else { throw .malformedPayload("body is not a JSON object") }
        return value
    }

    /// A required string member; missing or not a string is `400 malformed_payload`.
    static func requiredString(_ value: JSONValue, _ path: String) throws(WebhookError) -> String {
        guard let s = value.value(atPath: path)?.stringValue, !s.isEmpty else {
            throw .malformedPayload("required field \"\(path)\" is missing or not a string")
        }
        return s
    }

    /// A required object member.
    static func requiredObject(_ value: JSONValue, _ path: String) throws(WebhookError) -> JSONValue {
        guard let o = value.value(atPath: path), case .object = o else {
            throw .malformedPayload("required field \"\(path)\" is missing or not an object")
        }
        return o
    }

    /// A string member, copied verbatim; `nil` when absent or not a string.
    static func string(_ value: JSONValue, _ path: String) -> String? {
        value.value(atPath: path)?.stringValue
    }

    /// An identifier: a non-empty string, or a number's literal text (some senders send ids
    /// as numbers). `nil` otherwise.
    static func identifier(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s) where !s.isEmpty: return s
        case .number(let n): return n
        default: return nil
        }
    }

    /// A lower-cased status, when the member is a non-empty string.
    static func status(_ value: JSONValue, _ path: String) -> String? {
        guard let s = value.value(atPath: path)?.stringValue, !s.isEmpty else { return nil }
        return s.lowercased()
    }
}

/// Deterministic event ids.
enum EventID {
    /// PROVIDERS.md's fallback: lowercase hex SHA-256 of source name + `\n` + raw body, so a
    /// retried delivery maps to the same id even when the payload names no entity.
    static func fallback(source: String, body: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(source.utf8))
        hasher.update(data: [0x0A])
        hasher.update(data: body)
        return DigestCoding.hexString(hasher.finalize())
    }
}

/// Event-name rules of PROVIDERS.md.
enum EventNaming {
    /// The first dot-separated segment (`payout` of `payout.transfer.success`).
    static func firstSegment(_ name: String) -> String {
        String(name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// A resource name made singular the plain English way Bitpowr's names need
    /// (`accounts` → `account`, `assets` → `asset`; `address` keeps its `ss`).
    static func singular(_ word: String) -> String {
        if word.hasSuffix("ss") || !word.hasSuffix("s") || word.count < 2 { return word }
        return String(word.dropLast())
    }

    /// Koywe's rule: lower-case, with `_`, `-` and camelCase boundaries as `.`
    /// (`PAYMENT_CREATED`, `paymentCreated` → `payment.created`).
    static func dotted(_ name: String) -> String {
        var out = ""
        var previous: Character?
        for ch in name {
            if ch == "_" || ch == "-" || ch == "." {
                if !out.isEmpty, out.last != "." { out.append(".") }
            } else {
                if ch.isUppercase, let p = previous, p.isLowercase || p.isNumber, out.last != "." { out.append(".") }
                out += ch.lowercased()
            }
            previous = ch
        }
        while out.last == "." { out.removeLast() }
        return out
    }
}
