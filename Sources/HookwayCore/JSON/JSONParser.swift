/// Why a document is not the JSON we accept, and where.
public struct JSONParseError: HookwayError {
    /// Byte offset of the problem in the input.
    public var offset: Int
    public var reason: String
    public var code: ErrorCode { .jsonInvalid }
    public var message: String { "invalid JSON at byte \(offset): \(reason)" }
    public var isRetriable: Bool { false }
    public var description: String { message }
}

extension ErrorCode {
    /// A document is not the strict JSON Hookway accepts.
    public static let jsonInvalid: ErrorCode = "json_invalid"
}

/// A strict RFC 8259 parser over raw bytes that never turns a number into a `Double`.
///
/// Rejects invalid UTF-8, control characters in strings, lone surrogates, trailing garbage,
/// nesting deeper than ``maxDepth`` and, unless told to keep them, objects that name a member
/// twice: parsers disagree on which duplicate wins, and a signature checked by one parser over
/// a document that another reads differently is a signature bypass. Skips a leading UTF-8
/// byte-order mark. It records the byte
/// span of every top-level object member so signature schemes that sign a sub-document (Bitso's
/// `payload`) can work on the exact bytes received.
public struct JSONParser {
    /// Deeper documents are refused rather than risking the stack on hostile input.
    public static let maxDepth = 128

    /// What to do with an object that names a member twice.
    public enum DuplicateMembers: Sendable {
        /// Refuse the document (webhook bodies: what was signed must be what is read).
        case refuse
        /// Keep every member in order; lookups take the last (routes.json, whose reader
        /// reports duplicates with their JSON path).
        case keep
    }

    /// Objects with more members than this check duplicates with a set instead of a scan.
    private static let linearDuplicateScanLimit = 12

    private let bytes: [UInt8]
    private var index: Int
    private var depth = 0
    private let duplicates: DuplicateMembers
    private var topLevelSpans: [(key: String, span: Range<Int>)] = []

    private init(_ bytes: [UInt8], duplicates: DuplicateMembers) {
        self.bytes = bytes
        self.index = 0
        self.duplicates = duplicates
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    }

    /// Parses a whole document.
    public static func parse(_ bytes: [UInt8], duplicates: DuplicateMembers = .refuse) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes, duplicates: duplicates)
        return try parser.parseDocument()
    }

    /// Parses a whole document and returns, with it, the raw byte span of each top-level
    /// object member's value (empty when the document is not an object).
    public static func parseWithSpans(
        _ bytes: [UInt8],
        duplicates: DuplicateMembers = .refuse
    ) throws(JSONParseError) -> (JSONValue, [(key: String, span: Range<Int>)]) {
        var parser = JSONParser(bytes, duplicates: duplicates)
        let value = try parser.parseDocument()
        return (value, parser.topLevelSpans)
    }

    private mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected data after the document") }
        return value
    }

    private func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character")
        }
    }

    private mutating func expectLiteral(_ word: String) throws(JSONParseError) {
        let literal = Array(word.utf8)
        guard index + literal.count <= bytes.count else { throw fail("unexpected end of input") }
        for k in 0..<literal.count where bytes[index + k] != literal[k] { throw fail("invalid literal") }
        index += literal.count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting deeper than \(Self.maxDepth)") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        let isTopLevel = depth == 1
        index += 1
        var members: [JSONMember] = []
        var seen: Set<String> = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
            let nameOffset = index
            let key = try parseString()
            if duplicates == .refuse, Self.isDuplicate(key, in: members, seen: &seen) {
                throw JSONParseError(offset: nameOffset, reason: "duplicate member name \"\(LogSafe.text(key, limit: 64))\"")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            index += 1
            skipWhitespace()
            let start = index
            let value = try parseValue()
            if isTopLevel { topLevelSpans.append((key, start..<index)) }
            members.append(JSONMember(key, value))
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input in object") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            throw fail("expected ',' or '}'")
        }
    }

    /// Whether `key` is already a member: a scan for small objects, a set (built on first
    /// need) for large ones, so a hostile object with many members stays linear.
    private static func isDuplicate(_ key: String, in members: [JSONMember], seen: inout Set<String>) -> Bool {
        if members.count < linearDuplicateScanLimit {
            return members.contains { $0.key == key }
        }
        if seen.isEmpty {
            seen.reserveCapacity(members.count * 2)
            for member in members { seen.insert(member.key) }
        }
        return !seen.insert(key).inserted
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("unexpected end of input in array") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            throw fail("expected ',' or ']'")
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw fail("truncated number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw fail("invalid number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid fraction") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("invalid exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        // Fast path: no escapes, plain UTF-8.
        var ascii = true
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let end = index
                index += 1
                if ascii {
                    // Every byte below 0x80 is valid UTF-8 on its own: no validation pass.
                    return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
                }
                return try decodeUTF8(bytes[start..<end], at: start)
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in string") }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        var out: [UInt8] = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return try decodeUTF8(out[...], at: start)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw fail("truncated escape") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("lone surrogate")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("lone surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw fail("invalid escape")
                }
            default:
                if b < 0x20 { throw fail("control character in string") }
                out.append(b)
                index += 1
            }
        }
        throw fail("unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func decodeUTF8(_ slice: ArraySlice<UInt8>, at offset: Int) throws(JSONParseError) -> String {
        // Over a buffer pointer, validation takes the standard library's specialized path.
        guard let s = slice.withUnsafeBufferPointer({ String(validating: $0, as: UTF8.self) }) else {
            throw JSONParseError(offset: offset, reason: "invalid UTF-8 in string")
        }
        return s
    }
}
