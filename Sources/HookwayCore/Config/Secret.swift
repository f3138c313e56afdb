/// A secret value resolved from an `env:NAME` or `file:PATH` reference. Its description never
/// shows the value, so it cannot leak into a log line or an error message by interpolation.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The reference it came from (`env:BITNOB_WEBHOOK_SECRET`), safe to print.
    public let reference: String
    /// The secret's bytes (UTF-8 of the value, trailing newline trimmed).
    public let bytes: [UInt8]

    public init(reference: String, bytes: [UInt8]) {
        self.reference = reference
        self.bytes = bytes
    }

    /// The value as text.
    public var stringValue: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { "<secret \(reference)>" }
    public var debugDescription: String { description }
}

/// A parsed `env:NAME` / `file:PATH` reference.
public enum SecretReference: Sendable, Hashable {
    case environment(String)
    case file(String)

    /// Parses a reference; `nil` for anything else (a literal secret).
    public init?(_ text: String) {
        if text.hasPrefix("env:"), text.count > 4 {
            self = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:"), text.count > 5 {
            self = .file(String(text.dropFirst(5)))
        } else {
            return nil
        }
    }

    public var text: String {
        switch self {
        case .environment(let n): return "env:\(n)"
        case .file(let p): return "file:\(p)"
        }
    }
}
