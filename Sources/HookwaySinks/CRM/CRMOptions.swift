import Foundation
public import HookwayCore

/// Options of a `crm` sink: one HTTP request per event, built from templates.
///
/// ```json
/// { "kind": "crm", "topics": ["crm.users"],
///   "url": "https://api.example.com/contacts/{subject}", "method": "PUT",
///   "headers": { "Authorization": "Bearer {env:CRM_TOKEN}" },
///   "body": { "externalId": "{subject}", "amount": "{data.amount}", "note": "via {data.provider}" },
///   "timeoutMs": 10000, "successStatus": [200, 201, 204] }
/// ```
///
/// Header and URL templates may hold secret references `{env:NAME}` / `{file:PATH}`, resolved
/// once when the options are read; a body string that is exactly one `{path}` keeps the JSON
/// type of the value it names.
public struct CRMOptions: Sendable {
    /// One request header: a name and a ``FieldTemplate`` for its value.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: FieldTemplate
    }

    /// What the request carries.
    public enum Body: Sendable, Hashable {
        /// The CloudEvent as published (`"body": "event"`, the default).
        case event
        /// A JSON template rendered per event.
        case template(BodyTemplate)
    }

    /// A JSON value whose strings are ``FieldTemplate``s.
    public indirect enum BodyTemplate: Sendable, Hashable {
        case value(JSONValue)
        case text(FieldTemplate)
        case array([BodyTemplate])
        case object([Member])

        public struct Member: Sendable, Hashable {
            public var key: String
            public var value: BodyTemplate
        }

        /// The JSON for `event`. A string that is one reference takes the referenced value
        /// as is (a number stays a number, an object an object; a missing field is `null`);
        /// mixed text renders as a string with missing references empty.
        public func render(_ event: Event) -> JSONValue {
            switch self {
            case .value(let v): return v
            case .text(let t):
                if let reference = t.soleReference { return FieldTemplate.value(reference, in: event) ?? .null }
                return .string(t.render(event))
            case .array(let items): return .array(items.map { $0.render(event) })
            case .object(let members): return .object(members.map { JSONMember($0.key, $0.value.render(event)) })
            }
        }
    }

    public var url: FieldTemplate
    /// Default `POST`.
    public var method: String
    public var headers: [Header]
    /// Resolved `{env:…}` / `{file:…}` references by their text (`env:CRM_TOKEN`).
    public var secrets: [String: Secret]
    public var body: Body
    /// Default 10000.
    public var timeoutMs: Int
    /// Statuses that mean success; `nil` means any 2xx.
    public var successStatus: Set<Int>?

    /// Renders a header or URL template: secret references from ``secrets``, the rest from the event.
    public func render(_ template: FieldTemplate, for event: Event) -> String {
        template.render(event, resolve: { secrets[$0]?.stringValue })
    }

    /// Parses and validates the options of `sink` (its whole JSON object); `env:` references
    /// resolve from `environment` (default: the process environment).
    public static func parse(_ sink: SinkConfig, environment: [String: String]? = nil) -> (CRMOptions?, [ConfigProblem]) {
        var reader = ConfigReader(environment: environment ?? ProcessInfo.processInfo.environment, baseDirectory: sink.baseDirectory) {
            FileManager.default.contents(atPath: $0).map(Array.init)
        }
        let options = reader.crmOptions(sink.options, at: "$.sinks.\(sink.name)")
        return (reader.problems.contains { $0.severity == .error } ? nil : options, reader.problems)
    }

    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    /// Header names whose value is a credential: a literal there is a literal secret.
    static func isCredentialHeader(_ name: String) -> Bool {
        let n = name.lowercased()
        return n == "authorization" || n == "proxy-authorization" || n == "cookie"
            || ["token", "key", "secret", "password"].contains { n.contains($0) }
    }
}

extension ConfigReader {
    mutating func crmOptions(_ value: JSONValue, at path: String) -> CRMOptions {
        var options = CRMOptions(
            url: FieldTemplate("")!,
            method: "POST",
            headers: [],
            secrets: [:],
            body: .event,
            timeoutMs: 10_000,
            successStatus: nil
        )
        if let v = value["url"] {
            if let t = templateWithSecrets(v, at: "\(path).url", into: &options.secrets) {
                let lower = t.text.lowercased()
                if !(lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("{")) {
                    error("\(path).url", "expected an http:// or https:// URL, found \"\(t.text)\"")
                } else {
                    options.url = t
                }
            }
        } else {
            error("\(path).url", "missing; the endpoint, e.g. \"https://api.example.com/contacts/{subject}\"")
        }
        if let v = value["method"], let s = nonEmptyString(v, at: "\(path).method") {
            if CRMOptions.methods.contains(s.uppercased()) {
                options.method = s.uppercased()
            } else {
                error("\(path).method", "expected one of \(CRMOptions.methods.sorted().joined(separator: ", ")), found \"\(s)\"")
            }
        }
        if let v = value["headers"], let members = object(v, at: "\(path).headers") {
            for m in members {
                let p = Self.child("\(path).headers", m.key)
                if m.key.isEmpty || m.key.contains(where: { $0 == ":" || $0.isWhitespace || !$0.isASCII }) {
                    error(p, "\"\(m.key)\" is not a valid header name")
                    continue
                }
                if m.key.lowercased() == "idempotency-key" || m.key.lowercased() == "content-length" {
                    error(p, "\(m.key) is set by Hookway")
                    continue
                }
                guard let t = templateWithSecrets(m.value, at: p, into: &options.secrets) else { continue }
                if t.text.contains(where: { $0 == "\r" || $0 == "\n" }) {
                    error(p, "header values cannot contain line breaks")
                    continue
                }
                if CRMOptions.isCredentialHeader(m.key), !t.references.contains(where: { SecretReference($0) != nil }), !t.text.isEmpty {
                    error(p, "literal secret; use a reference such as \"Bearer {env:NAME}\" or \"{file:PATH}\"")
                    continue
                }
                options.headers.append(.init(name: m.key, value: t))
            }
        }
        if let v = value["body"] {
            switch v {
            case .string("event"): options.body = .event
            case .object, .array: options.body = .template(bodyTemplate(v, at: "\(path).body"))
            default: error("\(path).body", "expected a JSON object template or \"event\", found \(Self.typeName(v))")
            }
        }
        if let v = value["timeoutMs"], let n = integer(v, at: "\(path).timeoutMs", min: 100, max: 600_000) { options.timeoutMs = n }
        if let v = value["successStatus"] {
            let p = "\(path).successStatus"
            switch v {
            case .number: if let n = integer(v, at: p, min: 100, max: 599) { options.successStatus = [n] }
            case .array(let items):
                if items.isEmpty { error(p, "empty; list at least one status, or leave it out for any 2xx") }
                let codes = items.enumerated().compactMap { integer($1, at: "\(p)[\($0)]", min: 100, max: 599) }
                if !codes.isEmpty { options.successStatus = Set(codes) }
            default: error(p, "expected a status code or a list of them, found \(Self.typeName(v))")
            }
        }
        return options
    }

    /// A ``FieldTemplate`` whose `{env:NAME}` / `{file:PATH}` references are resolved now.
    mutating func templateWithSecrets(_ value: JSONValue, at path: String, into secrets: inout [String: Secret]) -> FieldTemplate? {
        guard let text = string(value, at: path) else { return nil }
        guard let template = FieldTemplate(text) else {
            error(path, "bad template \"\(text)\": every \"{\" needs a \"}\" around a non-empty field path")
            return nil
        }
        var ok = true
        for reference in template.references {
            guard reference.hasPrefix("env:") || reference.hasPrefix("file:") else { continue }
            guard let parsed = SecretReference(reference) else {
                error(path, "empty secret reference {\(reference)}")
                ok = false
                continue
            }
            if let secret = resolve(parsed, at: path) { secrets[reference] = secret } else { ok = false }
        }
        return ok ? template : nil
    }

    mutating func bodyTemplate(_ value: JSONValue, at path: String) -> CRMOptions.BodyTemplate {
        switch value {
        case .string(let s):
            guard let t = FieldTemplate(s) else {
                error(path, "bad template \"\(s)\": every \"{\" needs a \"}\" around a non-empty field path")
                return .value(value)
            }
            if t.references.contains(where: { $0.hasPrefix("env:") || $0.hasPrefix("file:") }) {
                error(path, "secret references are resolved only in \"headers\" and \"url\"; a request body is not the place for a credential")
            }
            return t.references.isEmpty ? .value(value) : .text(t)
        case .array(let items):
            return .array(items.enumerated().map { bodyTemplate($1, at: "\(path)[\($0)]") })
        case .object(let members):
            _ = object(value, at: path)
            return .object(members.map { .init(key: $0.key, value: bodyTemplate($0.value, at: Self.child(path, $0.key))) })
        default:
            return .value(value)
        }
    }
}
