extension ConfigReader {
    mutating func sources(_ value: JSONValue, at path: String) -> ([String: SourceConfig], [String]) {
        guard let members = object(value, at: path) else { return ([:], []) }
        var out: [String: SourceConfig] = [:]
        var names: [String] = []
        for m in members {
            let p = Self.child(path, m.key)
            if m.key.isEmpty || !m.key.unicodeScalars.allSatisfy({ TopicTemplate.isTopicCharacter($0) }) {
                error(p, "source names are used in URLs and topics; use letters, digits, '.', '_' or '-'")
                continue
            }
            if let source = source(name: m.key, m.value, at: p) {
                out[m.key] = source
                names.append(m.key)
            }
        }
        return (out, names)
    }

    static let allSourceKeys: Set<String> = ProviderKind.allCases.reduce(into: Set<String>()) { $0.formUnion($1.allowedKeys) }

    mutating func source(name: String, _ value: JSONValue, at path: String) -> SourceConfig? {
        guard case .object = value else {
            _ = object(value, at: path)
            return nil
        }
        var kind: ProviderKind?
        if let pv = value["provider"] {
            if let s = string(pv, at: "\(path).provider") {
                kind = ProviderKind(rawValue: s)
                if kind == nil {
                    var message = "unknown provider \"\(s)\"; known: \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))"
                    if let guess = Self.suggestion(for: s, among: Set(ProviderKind.allCases.map(\.rawValue))) {
                        message += "; did you mean \"\(guess)\"?"
                    }
                    error("\(path).provider", message)
                }
            }
        } else {
            error("\(path).provider", "missing; one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let members = object(value, at: path, allowed: kind?.allowedKeys ?? Self.allSourceKeys) else { return nil }
        var source = SourceConfig(name: name, provider: kind?.rawValue ?? "")
        var failed = kind == nil
        let before = problems.count
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "secrets":
                guard case .array(let items) = m.value else {
                    error(p, "expected a list of \"env:NAME\" or \"file:PATH\" references, found \(Self.typeName(m.value))")
                    break
                }
                source.secrets = items.enumerated().compactMap { secret($1, at: "\(p)[\($0)]") }
            case "token": source.token = secret(m.value, at: p)
            case "allowFrom":
                source.allowFrom = cidrBlocks(m.value, at: p)
            case "toleranceSeconds": source.toleranceSeconds = integer(m.value, at: p, min: 0, max: 86_400 * 7)
            case "ackTimeoutMs": source.ackTimeoutMs = integer(m.value, at: p, min: 100, max: 300_000)
            case "signedPath":
                if let s = nonEmptyString(m.value, at: p) {
                    if s.hasPrefix("/") { source.signedPath = s } else { error(p, "must start with '/'") }
                }
            case "publicKeys":
                if kind == .standardwebhooks {
                    source.ed25519PublicKeys = ed25519PublicKeys(m.value, at: p)
                } else {
                    source.publicKeys = rsaPublicKeys(m.value, at: p)
                }
            case "validation": source.validation = validation(m.value, at: p)
            case "eventField": if let s = nonEmptyString(m.value, at: p) { source.eventField = s }
            case "fields":
                let allowed: Set<String> = ["entityId", "entityKind", "status", "amount", "currency", "reference", "time"]
                guard let fields = object(m.value, at: p, allowed: allowed) else { break }
                for f in fields {
                    if let s = nonEmptyString(f.value, at: Self.child(p, f.key)) { source.fields[f.key] = s }
                }
            default: break
            }
        }
        if problems[before...].contains(where: { $0.severity == .error }) { failed = true }
        if let kind, !failed { checkAuthentication(of: source, kind: kind, at: path) }
        return failed ? nil : source
    }

    mutating func validation(_ value: JSONValue, at path: String) -> ValidationCallbackConfig? {
        guard let members = object(value, at: path, allowed: ["bearer", "allowEmails"]) else { return nil }
        var config = ValidationCallbackConfig(bearer: nil, allowEmails: [])
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "bearer": config.bearer = secret(m.value, at: p)
            case "allowEmails":
                if case .string(let s) = m.value, let ref = SecretReference(s), case .file = ref {
                    if let list = resolve(ref, at: p) {
                        config.allowEmails = list.stringValue.split(whereSeparator: \.isNewline)
                            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
                    }
                } else if case .array = m.value, let list = stringList(m.value, at: p) {
                    config.allowEmails = list.map { $0.lowercased() }
                } else {
                    error(p, "expected a list of e-mail addresses or \"file:PATH\"")
                }
            default: break
            }
        }
        return config
    }

    /// `routes check` rejects a source nothing authenticates.
    mutating func checkAuthentication(of source: SourceConfig, kind: ProviderKind, at path: String) {
        switch kind {
        case .standardwebhooks:
            if source.secrets.isEmpty, source.ed25519PublicKeys.isEmpty {
                error(path, "standardwebhooks signs every delivery; list at least one secret (v1) or public key (v1a)")
            }
        case .bitcapital, .bitnob, .koywe:
            if source.secrets.isEmpty { error("\(path).secrets", "\(kind.rawValue) signs every delivery; list at least one secret") }
        case .bitpowr:
            if source.secrets.isEmpty, source.token == nil, source.allowFrom.isEmpty {
                error(path, "no authentication: set \"secrets\", \"token\" or \"allowFrom\"")
            }
        case .bitso:
            if source.token == nil, source.allowFrom.isEmpty, source.publicKeys.isEmpty {
                error(path, "no authentication: set \"token\", \"allowFrom\" or \"publicKeys\"")
            }
        }
    }
}

import Foundation
