/// A parsed JSON value that keeps what Foundation's decoders lose: numbers as their literal
/// text (so `0.000123456789012345678` keeps every digit) and object members in document order.
///
/// ```swift
/// let value = try JSONParser.parse(Array(#"{"amount":0.00012}"#.utf8))
/// value["amount"]?.numberLiteral // "0.00012"
/// ```
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number exactly as written in the document (already validated as a JSON number).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order. Duplicate keys are kept as sent; lookups take the last one,
    /// as JavaScript's `JSON.parse` does, so we read what a Node.js sender meant.
    case object([JSONMember])

    /// The member named `key` of an object (the last one when a key repeats), else `nil`.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members.reversed() where member.key == key { return member.value }
        return nil
    }

    /// Follows a dotted path (`data.payload.data.chain`); array elements by decimal index.
    public func value(atPath path: some StringProtocol) -> JSONValue? {
        var current = self
        // Walk the segments without splitting into an array of strings (this runs for every
        // field an adapter reads, on every request).
        var rest = Substring(path)
        while true {
            let end = rest.firstIndex(of: ".") ?? rest.endIndex
            let segment = rest[rest.startIndex..<end]
            switch current {
            case .object(let members):
                guard let member = members.last(where: { $0.key == segment }) else { return nil }  // last wins, as in the subscript
                current = member.value
            case .array(let items):
                guard let index = Int(segment), items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
            guard end < rest.endIndex else { return current }
            rest = rest[rest.index(after: end)...]
        }
    }

    /// The string value, if this is a JSON string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The literal text of a JSON number, if this is one.
    public var numberLiteral: String? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// A string, a number's literal text, or a boolean's `true`/`false`: what a template or a
    /// route condition compares against. `nil` for null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// Object members, if this is an object.
    public var members: [JSONMember]? {
        if case .object(let m) = self { return m }
        return nil
    }
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}
