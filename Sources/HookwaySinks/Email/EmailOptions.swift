import Foundation
public import HookwayCore

/// Options of an `email` sink: where mail goes (an SMTP server or an outbox directory) and the
/// Mustache templates that make a message from a CloudEvent.
///
/// ```json
/// { "kind": "email", "topics": ["alerts.withdrawals"],
///   "smtp": { "host": "smtp.example.com", "port": 587, "tls": "starttls",
///             "username": "env:SMTP_USERNAME", "password": "env:SMTP_PASSWORD" },
///   "from": "Hookway <hookway@example.com>", "to": ["ops@example.com", "{{data.payload.data.customerEmail}}"],
///   "subject": "Large {{data.provider}} withdrawal: {{data.amount}} {{data.currency}}",
///   "bodyFile": "templates/withdrawal.txt", "htmlFile": "templates/withdrawal.html" }
/// ```
public struct EmailOptions: Sendable {
    /// How the SMTP connection is protected.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP (a local relay or a test server).
        case none
        /// Plain TCP upgraded with `STARTTLS`; refused when the server does not offer it.
        case starttls
        /// TLS from the first byte (port 465, "SMTPS").
        case implicit
    }

    /// `smtp`: the server and how to log in.
    public struct SMTPServer: Sendable {
        public var host: String
        /// Default 25 (`none`), 587 (`starttls`) or 465 (`implicit`).
        public var port: Int
        /// Default `starttls`.
        public var tls: TLSMode
        public var username: Secret?
        public var password: Secret?
        /// PEM file of the certificate authorities to trust instead of the system's.
        public var caFile: String?
        /// The name sent with `EHLO` (default `localhost`).
        public var helo: String
        /// Connect and per-reply timeout (default 30000).
        public var timeoutMs: Int

        public init(host: String, port: Int? = nil, tls: TLSMode = .starttls) {
            self.host = host
            self.tls = tls
            self.port = port ?? Self.defaultPort(tls)
            self.helo = "localhost"
            self.timeoutMs = 30_000
        }

        static func defaultPort(_ tls: TLSMode) -> Int {
            switch tls {
            case .none: return 25
            case .starttls: return 587
            case .implicit: return 465
            }
        }
    }

    public var smtp: SMTPServer?
    /// When set, messages are written as `.eml` files to this directory instead of being sent.
    public var outbox: String?
    /// Mustache template of the `From` address.
    public var from: String
    /// Mustache templates of `To` addresses (each may render to a comma-separated list).
    public var to: [String]
    public var cc: [String]
    public var subject: String
    /// The text part's Mustache template (from `body` or the contents of `bodyFile`).
    public var text: String?
    /// The HTML part's Mustache template (from `html` or the contents of `htmlFile`).
    public var html: String?
    /// A top-level `{{reference}}` to a missing field fails the delivery (permanently).
    public var strict: Bool
    /// SQLite file remembering which event ids were mailed (default `var/email-sent.sqlite`).
    public var sentLog: String

    /// Parses and validates the options of `sink` (its whole JSON object); `env:` references
    /// resolve from `environment` (default: the process environment).
    public static func parse(_ sink: SinkConfig, environment: [String: String]? = nil) -> (EmailOptions?, [ConfigProblem]) {
        var reader = ConfigReader(environment: environment ?? ProcessInfo.processInfo.environment, baseDirectory: sink.baseDirectory) {
            FileManager.default.contents(atPath: $0).map(Array.init)
        }
        let options = reader.emailOptions(sink.options, at: "$.sinks.\(sink.name)", baseDirectory: sink.baseDirectory)
        return (reader.problems.contains { $0.severity == .error } ? nil : options, reader.problems)
    }
}

extension ConfigReader {
    mutating func emailOptions(_ value: JSONValue, at path: String, baseDirectory: String) -> EmailOptions {
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : "\(baseDirectory)/\(p)" }
        var options = EmailOptions(
            smtp: nil,
            outbox: nil,
            from: "",
            to: [],
            cc: [],
            subject: "",
            text: nil,
            html: nil,
            strict: false,
            sentLog: absolute("var/email-sent.sqlite")
        )
        if let v = value["outbox"], let s = nonEmptyString(v, at: "\(path).outbox") { options.outbox = absolute(s) }
        if let v = value["smtp"] {
            options.smtp = smtpServer(v, at: "\(path).smtp", baseDirectory: baseDirectory)
        } else if options.outbox == nil {
            error("\(path).smtp", "missing; name an SMTP server, or set \"outbox\" to write .eml files instead")
        }
        if let v = value["from"] {
            if let s = mustacheTemplate(Self.singleBracesAsMustache(v), at: "\(path).from") {
                options.from = s
                addressCheck(s, at: "\(path).from")
            }
        } else {
            error("\(path).from", "missing; the sender address, e.g. \"Hookway <hookway@example.com>\"")
        }
        if let v = value["to"] {
            if case .array(let items) = v, items.isEmpty { error("\(path).to", "empty; list at least one recipient") }
            options.to = addressTemplates(v, at: "\(path).to")
        } else {
            error("\(path).to", "missing; list the recipients (addresses or templates such as \"{{data.payload.data.customerEmail}}\")")
        }
        if let v = value["cc"] { options.cc = addressTemplates(v, at: "\(path).cc") }
        if let v = value["subject"] {
            options.subject = mustacheTemplate(Self.singleBracesAsMustache(v), at: "\(path).subject") ?? ""
        } else {
            error("\(path).subject", "missing; a Mustache template such as \"{{type}} {{subject}}\"")
        }
        options.text = templateOrFile(value, inline: "body", file: "bodyFile", at: path, baseDirectory: baseDirectory)
        options.html = templateOrFile(value, inline: "html", file: "htmlFile", at: path, baseDirectory: baseDirectory)
        if options.text == nil, options.html == nil, value["body"] == nil, value["bodyFile"] == nil, value["html"] == nil, value["htmlFile"] == nil {
            error("\(path).body", "missing; set \"body\" or \"bodyFile\" (text), \"html\" or \"htmlFile\" (HTML), or both")
        }
        if let v = value["strict"], let b = bool(v, at: "\(path).strict") { options.strict = b }
        if let v = value["sentLog"], let s = nonEmptyString(v, at: "\(path).sentLog") { options.sentLog = absolute(s) }
        return options
    }

    mutating func smtpServer(_ value: JSONValue, at path: String, baseDirectory: String) -> EmailOptions.SMTPServer? {
        let allowed: Set<String> = ["host", "port", "tls", "username", "password", "caFile", "helo", "timeoutMs"]
        guard let members = object(value, at: path, allowed: allowed) else { return nil }
        var tls = EmailOptions.TLSMode.starttls
        if let v = value["tls"], let s = string(v, at: "\(path).tls") {
            if let mode = EmailOptions.TLSMode(rawValue: s) {
                tls = mode
            } else {
                error(
                    "\(path).tls",
                    "expected one of \(EmailOptions.TLSMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(s)\""
                )
            }
        }
        var server = EmailOptions.SMTPServer(host: "", tls: tls)
        if value["host"] == nil { error("\(path).host", "missing; the SMTP server's host name") }
        for m in members {
            let p = Self.child(path, m.key)
            switch m.key {
            case "host": if let s = nonEmptyString(m.value, at: p) { server.host = s }
            case "port": if let n = integer(m.value, at: p, min: 1, max: 65_535) { server.port = n }
            case "username": server.username = secret(m.value, at: p)
            case "password": server.password = secret(m.value, at: p)
            case "caFile":
                if let s = nonEmptyString(m.value, at: p) {
                    let full = s.hasPrefix("/") ? s : "\(baseDirectory)/\(s)"
                    if readFile(full) == nil { error(p, "cannot read \(s)") } else { server.caFile = full }
                }
            case "helo": if let s = nonEmptyString(m.value, at: p) { server.helo = s }
            case "timeoutMs": if let n = integer(m.value, at: p, min: 100, max: 600_000) { server.timeoutMs = n }
            default: break
            }
        }
        if (value["username"] == nil) != (value["password"] == nil) {
            error(value["username"] == nil ? "\(path).username" : "\(path).password", "set both username and password, or neither")
        }
        if tls == .none, value["password"] != nil, !["localhost", "127.0.0.1", "::1"].contains(server.host) {
            warning("\(path).tls", "\"none\" sends the password to \(server.host) unencrypted; use \"starttls\" or \"implicit\"")
        }
        return server
    }

    /// A string swift-mustache parses.
    mutating func mustacheTemplate(_ value: JSONValue, at path: String) -> String? {
        guard let s = string(value, at: path) else { return nil }
        if let problem = MustacheCheck.problem(in: s) {
            error(path, "bad Mustache template: \(problem); \(TemplateSyntax.hint)")
            return nil
        }
        return s
    }

    mutating func addressTemplates(_ value: JSONValue, at path: String) -> [String] {
        guard let list = stringList(value, at: path) else { return [] }
        var out: [String] = []
        for (i, s) in list.enumerated() {
            let p = value.stringValue != nil ? path : "\(path)[\(i)]"
            guard let t = mustacheTemplate(Self.singleBracesAsMustache(.string(s)), at: p) else { continue }
            if t.isEmpty {
                error(p, "must not be empty")
                continue
            }
            addressCheck(t, at: p)
            out.append(t)
        }
        return out
    }

    /// A literal address (no template tags) must at least look like one.
    mutating func addressCheck(_ text: String, at path: String) {
        guard !text.contains("{{") else { return }
        for part in text.split(separator: ",") {
            let address = String(part).trimmingCharacters(in: .whitespacesAndNewlines)
            let spec =
                address.firstIndex(of: "<").flatMap { open in
                    address[open...].firstIndex(of: ">").map { String(address[address.index(after: open)..<$0]) }
                } ?? address
            if !spec.contains("@") || spec.contains(" ") || spec.hasPrefix("@") || spec.hasSuffix("@") {
                var message = "\"\(address)\" is not an email address"
                if address.contains("{") {
                    message +=
                        "; an address from the event is \"{data.payload.…}\" (or Mustache \"{{data.payload.…}}\") with a CloudEvent path: id, type, subject, source, time, data.…"
                }
                error(path, message)
            }
        }
    }

    /// CloudEvent attributes a `{path}` may start with.
    static let eventPathRoots: Set<Substring> = ["id", "source", "type", "subject", "time", "data", "authmethod", "receivedat", "specversion"]

    /// Every email template (`from`, `to`, `cc`, `subject`, `body`, `html`) takes the `{path}`
    /// spelling the rest of routes.json uses as well as Mustache's `{{path}}`:
    /// `{data.payload.data.customerEmail}` becomes `{{data.payload.data.customerEmail}}`. Only a
    /// brace pair around a CloudEvent path is read as a placeholder, so other braces (an
    /// address's, a CSS rule's) stay literal.
    static func singleBracesAsMustache(_ value: JSONValue) -> JSONValue {
        guard case .string(let text) = value, text.contains("{") else { return value }
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let afterOpen = rest.index(after: open)
            if afterOpen < rest.endIndex, rest[afterOpen] == "{" {
                // Already Mustache: copy through its closing braces.
                guard let close = rest[afterOpen...].range(of: "}}") else {
                    out += rest[open...]
                    return .string(out)
                }
                out += rest[open..<close.upperBound]
                rest = rest[close.upperBound...]
                continue
            }
            guard let close = rest[afterOpen...].firstIndex(of: "}") else {
                out += rest[open...]
                return .string(out)
            }
            let path = rest[afterOpen..<close]
            let root = path.split(separator: ".", maxSplits: 1).first ?? ""
            let isPath =
                !path.isEmpty && eventPathRoots.contains(root)
                && path.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" }
            out += isPath ? "{{\(path)}}" : String(rest[open...close])
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return .string(out)
    }

    /// `inline` (a template) or `file` (a path relative to the routes file holding one); not both.
    mutating func templateOrFile(_ value: JSONValue, inline: String, file: String, at path: String, baseDirectory: String) -> String? {
        if value[inline] != nil, value[file] != nil {
            error("\(path).\(file)", "set either \"\(inline)\" or \"\(file)\", not both")
            return nil
        }
        if let v = value[inline] { return mustacheTemplate(Self.singleBracesAsMustache(v), at: "\(path).\(inline)") }
        guard let v = value[file], let s = nonEmptyString(v, at: "\(path).\(file)") else { return nil }
        let full = s.hasPrefix("/") ? s : "\(baseDirectory)/\(s)"
        guard let bytes = readFile(full) else {
            error("\(path).\(file)", "cannot read \(s) (relative to the routes file's directory)")
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            error("\(path).\(file)", "\(s) is not UTF-8 text")
            return nil
        }
        guard case .string(let template) = Self.singleBracesAsMustache(.string(text)) else { return nil }
        if let problem = MustacheCheck.problem(in: template) {
            error("\(path).\(file)", "bad Mustache template in \(s): \(problem); \(TemplateSyntax.hint)")
            return nil
        }
        return template
    }
}
