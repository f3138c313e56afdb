import HookwayCore
import Mustache

/// The compiled Mustache templates of an email sink, rendered against the CloudEvent's JSON.
struct EmailTemplates: Sendable {
    struct Compiled: Sendable {
        let source: String
        let template: MustacheTemplate
        /// Top-level variables, checked against the event in strict mode.
        let variables: [String]
    }

    let from: Compiled
    let to: [Compiled]
    let cc: [Compiled]
    let subject: Compiled
    let text: Compiled?
    let html: Compiled?
    let strict: Bool

    /// The rendered pieces of one message.
    struct Rendered: Sendable {
        var from: String
        var to: [String]
        var cc: [String]
        var subject: String
        var text: String?
        var html: String?
    }

    init(_ options: EmailOptions) throws(SinkError) {
        // Everything but the HTML part is plain text: no HTML escaping of `&` or `<`.
        from = try Self.compile(options.from, name: "from", html: false)
        var to: [Compiled] = []
        for (i, t) in options.to.enumerated() { to.append(try Self.compile(t, name: "to[\(i)]", html: false)) }
        self.to = to
        var cc: [Compiled] = []
        for (i, t) in options.cc.enumerated() { cc.append(try Self.compile(t, name: "cc[\(i)]", html: false)) }
        self.cc = cc
        subject = try Self.compile(options.subject, name: "subject", html: false)
        text = try options.text.map { t throws(SinkError) in try Self.compile(t, name: "body", html: false) }
        html = try options.html.map { t throws(SinkError) in try Self.compile(t, name: "html", html: true) }
        strict = options.strict
    }

    static func compile(_ source: String, name: String, html: Bool) throws(SinkError) -> Compiled {
        do {
            let text = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + source)
            // The probe reads paths as text (no HTML escaping of its markers); the plain-text
            // parts render with the same template.
            let template = html ? try MustacheTemplate(string: source) : text
            return Compiled(source: source, template: template, variables: MustacheCheck.topLevelVariables(of: text))
        } catch {
            throw .permanent(.sinkConfigInvalid, "email template \(name) does not compile: \(error)")
        }
    }

    func render(_ event: Event) throws(SinkError) -> Rendered {
        let json = event.jsonValue
        if strict {
            var missing: [String] = []
            for compiled in [from, subject] + to + cc + [text, html].compactMap({ $0 }) {
                for name in compiled.variables where json.value(atPath: name).map({ $0 == .null }) ?? true {
                    if !missing.contains(name) { missing.append(name) }
                }
            }
            if !missing.isEmpty {
                throw .permanent(
                    .eventUnusable,
                    "strict email template references missing field(s) \(missing.joined(separator: ", ")) in event \(event.id)"
                )
            }
        }
        let context = Self.mustacheValue(json) ?? [String: Any]()
        func r(_ c: Compiled) -> String { c.template.render(context) }
        return Rendered(
            from: r(from),
            to: to.map(r),
            cc: cc.map(r),
            subject: r(subject),
            text: text.map(r),
            html: html.map(r)
        )
    }

    /// What swift-mustache renders: dictionaries, arrays, strings and booleans. Numbers keep
    /// their literal text (`0.00012`, never `1.2e-04`); `null` members are left out so they
    /// read as missing (empty, and false in sections).
    static func mustacheValue(_ value: JSONValue) -> Any? {
        switch value {
        case .null: return nil
        case .bool(let b): return b
        case .number(let n): return n
        case .string(let s): return s
        case .array(let items): return items.map { mustacheValue($0) ?? "" } as [Any]
        case .object(let members):
            var out: [String: Any] = [:]
            for m in members { out[m.key] = mustacheValue(m.value) }
            return out
        }
    }
}
