/// A compiled glob where `*` matches any run of characters, dots included
/// (`bitnob.*.received.success`, `*withdrawal*`). Matching allocates nothing.
public struct Glob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let parts: [[UInt8]]
    private let anchoredStart: Bool
    private let anchoredEnd: Bool

    /// Characters a pattern may not contain: glob syntax we do not support, white space, controls.
    public static func problem(in pattern: String) -> String? {
        if pattern.isEmpty { return "empty pattern" }
        for scalar in pattern.unicodeScalars {
            if scalar.value < 0x21 || scalar.value == 0x7F { return "white space or control character in pattern" }
            if "[]{}?!".unicodeScalars.contains(scalar) { return "unsupported glob syntax '\(scalar)'; only '*' is a wildcard" }
        }
        return nil
    }

    public init(_ pattern: String) {
        self.pattern = pattern
        let bytes = Array(pattern.utf8)
        parts = bytes.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
        anchoredStart = bytes.first != UInt8(ascii: "*")
        anchoredEnd = bytes.last != UInt8(ascii: "*")
    }

    public var description: String { pattern }

    /// True when the whole of `text` matches.
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches(utf8: $0) }
    }

    func matches(utf8 s: UnsafeBufferPointer<UInt8>) -> Bool {
        if parts.count == 1 { return s.elementsEqual(parts[0]) }
        var pos = 0
        let first = parts[0]
        if anchoredStart {
            guard s.count >= first.count, s[0..<first.count].elementsEqual(first) else { return false }
            pos = first.count
        }
        let last = parts[parts.count - 1]
        let end = anchoredEnd ? s.count - last.count : s.count
        if end < pos { return false }
        if anchoredEnd, !s[end..<s.count].elementsEqual(last) { return false }
        // Middle parts, leftmost match each (greedy-free is correct for '*'-only globs).
        for k in 1..<(parts.count - 1) {
            let part = parts[k]
            if part.isEmpty { continue }
            guard let found = Glob.find(part, in: s, from: pos, before: end) else { return false }
            pos = found + part.count
        }
        return true
    }

    private static func find(_ needle: [UInt8], in s: UnsafeBufferPointer<UInt8>, from: Int, before end: Int) -> Int? {
        guard end - from >= needle.count else { return nil }
        var i = from
        while i + needle.count <= end {
            var ok = true
            for j in 0..<needle.count where s[i + j] != needle[j] {
                ok = false
                break
            }
            if ok { return i }
            i += 1
        }
        return nil
    }
}
