/// A compiled `to` entry: literal text with `{source}`, `{provider}`, `{event}`, `{type}`.
/// Rendering replaces characters Kafka does not allow with `_` and shortens names over 249
/// characters deterministically (prefix + `-` + 16 hex digits of a hash of the full name).
public struct TopicTemplate: Sendable, Hashable, CustomStringConvertible {
    public enum Variable: String, Sendable, CaseIterable { case source, provider, event, type }
    enum Piece: Sendable, Hashable {
        case literal(String)
        case variable(Variable)
    }

    public static let maxTopicLength = 249

    public let text: String
    let pieces: [Piece]

    /// Why a template cannot be compiled, or `nil`.
    public static func problem(in text: String) -> String? {
        switch parse(text) {
        case .success(let pieces):
            if pieces.isEmpty { return "empty topic template" }
            if pieces.allSatisfy({ if case .literal = $0 { return true } else { return false } }) {
                let name = sanitize(text)
                if name == "." || name == ".." { return "\"\(text)\" is not a valid Kafka topic name" }
            }
            return nil
        case .failure(let message):
            return message.text
        }
    }

    struct Message: Error { let text: String }

    static func parse(_ text: String) -> Result<[Piece], Message> {
        switch TemplateBraces.scan(text) {
        case .failure(.unclosed): return .failure(Message(text: "unclosed '{' in \"\(text)\"; \(TemplateSyntax.hint)"))
        case .failure(.unmatched): return .failure(Message(text: "unmatched '}' in \"\(text)\"; \(TemplateSyntax.hint)"))
        case .success(let scanned):
            var pieces: [Piece] = []
            for piece in scanned {
                switch piece {
                case .literal(let s): pieces.append(.literal(s))
                case .reference(let name):
                    guard let v = Variable(rawValue: name) else {
                        let known = Variable.allCases.map { "{\($0.rawValue)}" }.joined(separator: ", ")
                        return .failure(Message(text: "unknown template variable {\(name)}; use \(known)"))
                    }
                    pieces.append(.variable(v))
                }
            }
            return .success(pieces)
        }
    }

    /// Compiles a template already checked with ``problem(in:)``; unknown pieces stay literal.
    public init(_ text: String) {
        self.text = text
        switch Self.parse(text) {
        case .success(let p): pieces = p
        case .failure: pieces = [.literal(text)]
        }
    }

    public var description: String { text }

    /// True when the template has no variables.
    public var isLiteral: Bool { pieces.allSatisfy { if case .literal = $0 { true } else { false } } }

    /// A glob that matches every topic this template can render (variables become `*`).
    public var producibleTopics: Glob {
        Glob(
            pieces.map { piece -> String in
                switch piece {
                case .literal(let s): return TopicTemplate.sanitize(s)
                case .variable: return "*"
                }
            }.joined()
        )
    }

    /// The topic for an event.
    public func render(for event: Event) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let s): out += s
            case .variable(.source): out += event.data.source
            case .variable(.provider): out += event.data.provider
            case .variable(.event): out += event.data.event
            case .variable(.type): out += event.type
            }
        }
        return TopicTemplate.topicName(out)
    }

    /// Sanitizes and, when needed, shortens a rendered name into a valid Kafka topic.
    public static func topicName(_ raw: String) -> String {
        var name = sanitize(raw)
        if name.isEmpty || name == "." || name == ".." { name = name.isEmpty ? "_" : String(repeating: "_", count: name.count) }
        if name.utf8.count > maxTopicLength {
            let hash = fnv1a64(Array(name.utf8))
            let hex = String(hash, radix: 16)
            let suffix = "-" + String(repeating: "0", count: 16 - hex.count) + hex
            // After sanitizing, the name is ASCII: characters and bytes coincide.
            name = String(name.prefix(maxTopicLength - suffix.utf8.count))
            name += suffix
        }
        return name
    }

    /// Kafka topic names are `[a-zA-Z0-9._-]`; anything else becomes `_`.
    public static func sanitize(_ raw: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var needsChange = false
        for scalar in raw.unicodeScalars {
            if isTopicCharacter(scalar) {
                bytes.append(UInt8(scalar.value))
            } else {
                bytes.append(UInt8(ascii: "_"))
                needsChange = true
            }
        }
        return needsChange ? String(decoding: bytes, as: UTF8.self) : raw
    }

    /// True when `name` is a valid Kafka topic name as it stands.
    public static func isValidTopicName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && name.utf8.count <= maxTopicLength
            && name.unicodeScalars.allSatisfy(isTopicCharacter)
    }

    static func isTopicCharacter(_ s: Unicode.Scalar) -> Bool {
        switch s {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }

    static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
