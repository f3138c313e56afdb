import Foundation
public import HookwayCore

/// Koywe in routes.json: `validation`, the answer to its pre-trade validation callback.
public struct KoyweProvider: ProviderDescriptor {
    public static let name = "koywe"
    public var name: String { Self.name }
    public var api: APIDescriptor? { KoyweAPI.descriptor }
    public let optionKeys: Set<String> = ["validation"]

    public init() {}

    public func readOptions(_ members: [JSONMember], source: SourceConfig, at path: String, reader: inout ConfigReader) -> any ProviderOptions {
        var options = KoyweOptions()
        for m in members where m.key == "validation" {
            options.validation = Self.validation(m.value, at: ConfigReader.child(path, m.key), reader: &reader)
        }
        return options
    }

    public func checkAuthentication(of source: SourceConfig, at path: String, reader: inout ConfigReader) {
        reader.requireSecrets(of: source, provider: name, at: path)
    }

    static func validation(_ value: JSONValue, at path: String, reader: inout ConfigReader) -> ValidationCallbackConfig? {
        guard let members = reader.object(value, at: path, allowed: ["bearer", "allowEmails"]) else { return nil }
        var config = ValidationCallbackConfig(bearer: nil, allowEmails: [])
        for m in members {
            let p = ConfigReader.child(path, m.key)
            switch m.key {
            case "bearer": config.bearer = reader.secret(m.value, at: p)
            case "allowEmails":
                if case .string(let s) = m.value, let ref = SecretReference(s), case .file = ref {
                    if let list = reader.resolve(ref, at: p) {
                        config.allowEmails = list.stringValue.split(whereSeparator: \.isNewline)
                            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
                    }
                } else if case .array = m.value, let list = reader.stringList(m.value, at: p) {
                    config.allowEmails = list.map { $0.lowercased() }
                } else {
                    reader.error(p, "expected a list of e-mail addresses or \"file:PATH\"")
                }
            default: break
            }
        }
        return config
    }
}

/// Koywe's own keys of a source.
public struct KoyweOptions: ProviderOptions {
    /// Answers the pre-trade validation callback; `nil` refuses it.
    public var validation: ValidationCallbackConfig?

    public init(validation: ValidationCallbackConfig? = nil) {
        self.validation = validation
    }
}

/// Koywe's validation callback (seed 003): who may trade.
public struct ValidationCallbackConfig: Sendable {
    /// The expected `Authorization: Bearer …` value.
    public var bearer: Secret?
    /// Allowed e-mail addresses (lower-cased) and `*@domain` patterns.
    public var allowEmails: [String]

    public init(bearer: Secret?, allowEmails: [String]) {
        self.bearer = bearer
        self.allowEmails = allowEmails
    }

    /// True when `email` (trimmed, lower-cased) equals an entry or matches `*@domain`.
    public func allows(_ email: String) -> Bool {
        let e = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        for entry in allowEmails {
            if entry.hasPrefix("*@") {
                if e.hasSuffix(String(entry.dropFirst(1))), e.count > entry.count - 1 { return true }
            } else if entry == e {
                return true
            }
        }
        return false
    }
}

extension SourceConfig {
    /// This source's Koywe options (the defaults when it has none).
    var koywe: KoyweOptions { options(as: KoyweOptions.self) ?? KoyweOptions() }
}
