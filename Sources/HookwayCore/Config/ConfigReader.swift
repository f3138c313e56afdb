import Foundation

/// Walks a routes.json tree collecting every problem with its JSON path, so validation reports
/// all of them at once instead of stopping at the first.
///
/// Providers and sinks validate their own keys with it (``ProviderDescriptor``,
/// ``SinkDescriptor``), so every message has the same shape: `$.path: what is wrong`.
public struct ConfigReader {
    public private(set) var problems: [ConfigProblem] = []
    /// Every `file:` reference read, as the full path (the config watcher watches them too).
    public private(set) var filesRead: [String] = []
    public let environment: [String: String]
    /// Directory of the routes file: `file:` references and relative paths resolve from it.
    public let baseDirectory: String
    private let readFileBytes: (String) -> [UInt8]?

    /// The bytes of the file at `path` (already resolved), or `nil` when it cannot be read.
    public func readFile(_ path: String) -> [UInt8]? { readFileBytes(path) }

    /// A reader resolving `env:` from `environment` and `file:` relative to `baseDirectory`
    /// (read with `readFile`; the file system when `nil`).
    public init(environment: [String: String], baseDirectory: String, readFile: ((String) -> [UInt8]?)? = nil) {
        self.environment = environment
        self.baseDirectory = baseDirectory
        self.readFileBytes = readFile ?? { FileManager.default.contents(atPath: $0).map(Array.init) }
    }

    /// True when an error (not a warning) was reported since `mark` (a ``problems`` count).
    public func hasErrors(since mark: Int = 0) -> Bool {
        problems[mark...].contains { $0.severity == .error }
    }

    public mutating func error(_ path: String, _ message: String) { problems.append(ConfigProblem(path, message)) }
    public mutating func warning(_ path: String, _ message: String) { problems.append(ConfigProblem(path, message, severity: .warning)) }

    public static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The members of an object; reports keys outside `allowed` with a did-you-mean.
    public mutating func object(_ value: JSONValue, at path: String, allowed: Set<String>? = nil) -> [JSONMember]? {
        guard case .object(let members) = value else {
            error(path, "expected an object, found \(Self.typeName(value))")
            return nil
        }
        var seen = Set<String>()
        for m in members {
            if !seen.insert(m.key).inserted { error(Self.child(path, m.key), "duplicate key") }
            if let allowed, !allowed.contains(m.key) {
                var message = "unknown key \"\(m.key)\""
                if let suggestion = Self.suggestion(for: m.key, among: allowed) { message += "; did you mean \"\(suggestion)\"?" }
                error(Self.child(path, m.key), message)
            }
        }
        return members
    }

    public mutating func string(_ value: JSONValue, at path: String) -> String? {
        guard case .string(let s) = value else {
            error(path, "expected a string, found \(Self.typeName(value))")
            return nil
        }
        return s
    }

    public mutating func nonEmptyString(_ value: JSONValue, at path: String) -> String? {
        guard let s = string(value, at: path) else { return nil }
        if s.isEmpty {
            error(path, "must not be empty")
            return nil
        }
        return s
    }

    public mutating func bool(_ value: JSONValue, at path: String) -> Bool? {
        guard case .bool(let b) = value else {
            error(path, "expected true or false, found \(Self.typeName(value))")
            return nil
        }
        return b
    }

    public mutating func integer(_ value: JSONValue, at path: String, min: Int, max: Int = Int.max) -> Int? {
        guard case .number(let literal) = value else {
            error(path, "expected a whole number, found \(Self.typeName(value))")
            return nil
        }
        guard let n = Int(literal) else {
            error(path, "expected a whole number, found \(literal)")
            return nil
        }
        guard n >= min, n <= max else {
            error(path, max == Int.max ? "must be at least \(min), found \(n)" : "must be between \(min) and \(max), found \(n)")
            return nil
        }
        return n
    }

    /// A string or a list of strings.
    public mutating func stringList(_ value: JSONValue, at path: String) -> [String]? {
        switch value {
        case .string(let s): return [s]
        case .array(let items):
            var out: [String] = []
            for (i, item) in items.enumerated() {
                if let s = string(item, at: "\(path)[\(i)]") { out.append(s) }
            }
            return out
        default:
            error(path, "expected a string or a list of strings, found \(Self.typeName(value))")
            return nil
        }
    }

    /// Librdkafka pass-through properties: string values only.
    public mutating func properties(_ value: JSONValue, at path: String, owned: Set<String>) -> [String: String] {
        guard let members = object(value, at: path) else { return [:] }
        var out: [String: String] = [:]
        for m in members {
            let p = Self.child(path, m.key)
            if owned.contains(m.key) {
                error(p, "\"\(m.key)\" is owned by Hookway and cannot be overridden")
                continue
            }
            switch m.value {
            case .string(let s): out[m.key] = s
            case .number(let n): error(p, "librdkafka properties are strings; write \"\(n)\"")
            case .bool(let b): error(p, "librdkafka properties are strings; write \"\(b)\"")
            default: error(p, "expected a string, found \(Self.typeName(m.value))")
            }
        }
        return out
    }

    /// Resolves an `env:`/`file:` reference; a literal is refused. The value never appears in
    /// a message.
    public mutating func secret(_ value: JSONValue, at path: String) -> Secret? {
        guard let text = string(value, at: path) else { return nil }
        guard let reference = SecretReference(text) else {
            error(path, "literal secret; use \"env:NAME\" or \"file:PATH\"")
            return nil
        }
        return resolve(reference, at: path)
    }

    public mutating func resolve(_ reference: SecretReference, at path: String) -> Secret? {
        var bytes: [UInt8]
        switch reference {
        case .environment(let name):
            if let v = environment[name] {
                bytes = Array(v.utf8)
            } else if let directory = environment["HOOKWAY_SECRETS_DIR"], !directory.isEmpty, !name.contains("/"), name != ".." {
                // Secrets mounted as files (a Kubernetes Secret volume): `env:NAME` reads
                // `$HOOKWAY_SECRETS_DIR/NAME` when the variable is unset, and is watched.
                let full = "\(directory)/\(name)"
                if !filesRead.contains(full) { filesRead.append(full) }
                guard let contents = readFile(full) else {
                    error(path, "environment variable \(name) is not set and \(full) cannot be read (\(reference.text))")
                    return nil
                }
                bytes = contents
            } else {
                error(path, "environment variable \(name) is not set (\(reference.text))")
                return nil
            }
        case .file(let p):
            let full = p.hasPrefix("/") ? p : "\(baseDirectory)/\(p)"
            if !filesRead.contains(full) { filesRead.append(full) }
            guard let contents = readFile(full) else {
                error(path, "cannot read \(reference.text)")
                return nil
            }
            bytes = contents
        }
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        if bytes.isEmpty {
            error(path, "\(reference.text) is empty")
            return nil
        }
        return Secret(reference: reference.text, bytes: bytes)
    }

    public static func child(_ path: String, _ key: String) -> String {
        let simple =
            !key.isEmpty
            && key.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
            }
        return simple ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }

    /// The closest allowed key within a small edit distance.
    public static func suggestion(for key: String, among allowed: Set<String>) -> String? {
        var best: (String, Int)?
        for candidate in allowed.sorted() {
            let d = editDistance(key.lowercased(), candidate.lowercased())
            guard d <= max(1, min(3, candidate.count / 3)) else { continue }
            if let current = best, current.1 <= d { continue }
            best = (candidate, d)
        }
        return best?.0
    }

    /// Edit distance counting a swap of two neighbours as one edit (optimal string alignment),
    /// since "kafak" and "retyr" are the typos people make.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prevPrev: [Int] = []
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prevPrev[j - 2] + 1)
                }
            }
            prevPrev = prev
            prev = cur
        }
        return prev[b.count]
    }
}
