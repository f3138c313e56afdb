/// Writes JSON text with a fixed key order (the order callers append in), so the same event
/// always serializes to the same bytes.
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init(reservingCapacity capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends raw, already valid JSON text.
    public mutating func appendRaw(_ text: some Sequence<UInt8>) { bytes.append(contentsOf: text) }

    /// Appends `s` as a JSON string literal.
    public mutating func appendString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            // Copy runs of bytes that need no escaping in one append; most strings are one run.
            var runStart = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                appendEscaped(b)
                runStart = i + 1
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ b: UInt8) {
        switch b {
        case 0x22:
            bytes.append(0x5C)
            bytes.append(0x22)
        case 0x5C:
            bytes.append(0x5C)
            bytes.append(0x5C)
        case 0x0A:
            bytes.append(0x5C)
            bytes.append(UInt8(ascii: "n"))
        case 0x0D:
            bytes.append(0x5C)
            bytes.append(UInt8(ascii: "r"))
        case 0x09:
            bytes.append(0x5C)
            bytes.append(UInt8(ascii: "t"))
        case 0x08:
            bytes.append(0x5C)
            bytes.append(UInt8(ascii: "b"))
        case 0x0C:
            bytes.append(0x5C)
            bytes.append(UInt8(ascii: "f"))
        default:
            let hex = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]])
        }
    }

    /// Appends any ``JSONValue``; numbers are written with their literal text.
    public mutating func append(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): bytes.append(contentsOf: n.utf8)
        case .string(let s): appendString(s)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                append(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (i, m) in members.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(m.key)
                bytes.append(UInt8(ascii: ":"))
                append(m.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Serializes a value to bytes.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var w = JSONWriter()
        w.append(value)
        return w.bytes
    }
}

extension JSONValue {
    /// The compact JSON text of this value.
    public var jsonText: String { String(decoding: JSONWriter.encode(self), as: UTF8.self) }
}
