import Foundation
import HookwayCore
import HookwayRuntime
import HookwaySinks
import Testing

/// What `hookway routes check` reports for a routes file holding `sink` as `sinks.<name>`.
func routesCheckProblems(
    sinkName: String,
    _ sink: String,
    environment: [String: String] = [:],
    baseDirectory: String = NSTemporaryDirectory()
) -> [String] {
    let file = """
        { "version": 1,
          "sources": { "bitso": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN" } },
          "routes": [ { "name": "all", "match": {}, "to": ["alerts"] } ],
          "sinks": { "\(sinkName)": \(sink) } }
        """
    let result = RoutesConfigLoader.parse(
        Array(file.utf8),
        baseDirectory: baseDirectory,
        environment: environment.merging(["BITSO_WEBHOOK_TOKEN": "t"]) { a, _ in a }
    )
    return result.problems.map(\.description)
}

struct EmailOptionsValidationTests {
    static let valid =
        #""topics": ["alerts"], "outbox": "var/outbox", "from": "hookway@example.com", "to": ["ops@example.com"], "subject": "s", "body": "b""#

    static let cases: [(String, String)] = [
        (
            #"{ "kind": "email", "topics": ["alerts"], "smtp": { "host": "smtp.example.com", "username": "env:SMTP_USER", "password": "hunter2" }, "from": "a@example.com", "to": "b@example.com", "subject": "s", "body": "b" }"#,
            #"$.sinks.ops-email.smtp.password: literal secret; use "env:NAME" or "file:PATH""#
        ),
        (
            #"{ "kind": "email", "topics": ["alerts"], "smtp": { "host": "smtp.example.com", "username": "env:SMTP_USER", "password": "env:SMTP_PASS" }, "from": "a@example.com", "to": "b@example.com", "subject": "s", "body": "b" }"#,
            "$.sinks.ops-email.smtp.username: environment variable SMTP_USER is not set (env:SMTP_USER)"
        ),
        (
            #"{ "kind": "email", "topics": ["alerts"], "smtp": { "host": "smtp.example.com", "tls": "ssl" }, "from": "a@example.com", "to": "b@example.com", "subject": "s", "body": "b" }"#,
            #"$.sinks.ops-email.smtp.tls: expected one of "none", "starttls", "implicit", found "ssl""#
        ),
        (
            #"{ "kind": "email", "topics": ["alerts"], "smtp": { "hosts": "smtp.example.com" }, "from": "a@example.com", "to": "b@example.com", "subject": "s", "body": "b" }"#,
            #"$.sinks.ops-email.smtp.hosts: unknown key "hosts"; did you mean "host"?"#
        ),
        (
            #"{ "kind": "email", "topics": ["alerts"], "smtp": { "host": "h", "port": 0 }, "from": "a@example.com", "to": "b@example.com", "subject": "s", "body": "b" }"#,
            "$.sinks.ops-email.smtp.port: must be between 1 and 65535, found 0"
        ),
        (
            #"{ "kind": "email", "topics": ["alerts"], "from": "a@example.com", "to": "b@example.com", "subject": "s", "body": "b" }"#,
            #"$.sinks.ops-email.smtp: missing; name an SMTP server, or set "outbox" to write .eml files instead"#
        ),
        (
            #"{ "kind": "email", \#(valid.replacingOccurrences(of: #""from": "hookway@example.com""#, with: #""from": "hookway""#)) }"#,
            #"$.sinks.ops-email.from: "hookway" is not an email address"#
        ),
        (
            #"{ "kind": "email", \#(valid.replacingOccurrences(of: #""to": ["ops@example.com"]"#, with: #""to": ["ops@example.com", "{{data.email"]"#)) }"#,
            #"$.sinks.ops-email.to[1]: bad Mustache template: unclosed tag at line 1, column 13; \#(TemplateSyntax.hint)"#
        ),
        (
            #"{ "kind": "email", \#(valid.replacingOccurrences(of: #""to": ["ops@example.com"]"#, with: #""to": []"#)) }"#,
            "$.sinks.ops-email.to: empty; list at least one recipient"
        ),
        (
            #"{ "kind": "email", \#(valid.replacingOccurrences(of: #""subject": "s""#, with: #""subject": "{{#data.status}}x""#)) }"#,
            "$.sinks.ops-email.subject: bad Mustache template: a section is never closed (line 1, column 18); \(TemplateSyntax.hint)"
        ),
        (
            #"{ "kind": "email", \#(valid.replacingOccurrences(of: #""body": "b""#, with: #""bodyFile": "templates/nope.txt""#)) }"#,
            "$.sinks.ops-email.bodyFile: cannot read templates/nope.txt (relative to the routes file's directory)"
        ),
        (
            #"{ "kind": "email", \#(valid), "bodyFile": "b.txt" }"#,
            #"$.sinks.ops-email.bodyFile: set either "body" or "bodyFile", not both"#
        ),
        (
            #"{ "kind": "email", \#(valid.replacingOccurrences(of: #", "body": "b""#, with: "")) }"#,
            #"$.sinks.ops-email.body: missing; set "body" or "bodyFile" (text), "html" or "htmlFile" (HTML), or both"#
        ),
        (
            #"{ "kind": "email", \#(valid), "strict": "yes" }"#,
            "$.sinks.ops-email.strict: expected true or false, found a string"
        ),
        (
            #"{ "kind": "email", \#(valid), "replyTo": "x@example.com" }"#,
            #"$.sinks.ops-email.replyTo: unknown key "replyTo""#
        ),
    ]

    @Test(arguments: cases) func badOptionIsReportedWithItsJSONPath(sink: String, expected: String) {
        let problems = routesCheckProblems(sinkName: "ops-email", sink)
        #expect(problems.contains(expected), "got \(problems)")
    }

    @Test func validOptionsPassAndResolveSecrets() throws {
        let sink =
            #"{ "kind": "email", "topics": ["alerts"], "smtp": { "host": "smtp.example.com", "port": 2525, "username": "env:SMTP_USER", "password": "env:SMTP_PASS" }, "from": "Ops <a@example.com>", "to": "{{data.payload.data.customerEmail}}", "subject": "s", "html": "<b>{{id}}</b>" }"#
        #expect(routesCheckProblems(sinkName: "ops-email", sink, environment: ["SMTP_USER": "u", "SMTP_PASS": "p"]) == [])
        let config = sinkConfig("ops-email", kind: .email, sink, baseDirectory: "/srv/hookway")
        let (options, problems) = EmailOptions.parse(config, environment: ["SMTP_USER": "u", "SMTP_PASS": "p"])
        #expect(problems.isEmpty)
        #expect(options?.smtp?.password?.stringValue == "p")
        #expect(options?.smtp?.tls == .starttls)
        #expect(options?.sentLog == "/srv/hookway/var/email-sent.sqlite")
        let shown = "\(options?.smtp?.password as Any)"
        #expect(shown.contains("<secret env:SMTP_PASS>"))
    }

    /// `{path}` (the spelling of topics, accounts and CRM fields) works in `from`/`to`/`cc` too.
    @Test(arguments: [
        ("{data.payload.data.customerEmail}", "{{data.payload.data.customerEmail}}"),
        ("Customer <{data.payload.data.customerEmail}>", "Customer <{{data.payload.data.customerEmail}}>"),
        ("{{data.payload.data.customerEmail}}", "{{data.payload.data.customerEmail}}"),
        ("ops+{subject}@example.com", "ops+{{subject}}@example.com"),
        ("{weird}@example.com", "{weird}@example.com"),
    ])
    func singleBracePathsAreTemplatesInAddresses(_ written: String, _ template: String) throws {
        let sink = #"{ "kind": "email", \#(Self.valid.replacingOccurrences(of: #""to": ["ops@example.com"]"#, with: #""to": ["\#(written)"]"#)) }"#
        #expect(routesCheckProblems(sinkName: "ops-email", sink) == [])
        let (options, problems) = EmailOptions.parse(sinkConfig("ops-email", kind: .email, sink, baseDirectory: "/srv/hookway"), environment: [:])
        #expect(problems.isEmpty)
        #expect(options?.to == [template])
    }

    /// Subject and body are Mustache; `{path}` there reads as `{{path}}` too (TemplateSyntax).
    @Test func singleBracePathsWorkInSubjectAndBody() throws {
        let sink =
            #"{ "kind": "email", \#(Self.valid.replacingOccurrences(of: #""subject": "s""#, with: #""subject": "{data.amount} {{data.currency}}""#).replacingOccurrences(of: #""body": "b""#, with: #""body": "id {id}; css { color: red }""#)) }"#
        #expect(routesCheckProblems(sinkName: "ops-email", sink) == [])
        let (options, _) = EmailOptions.parse(sinkConfig("ops-email", kind: .email, sink, baseDirectory: "/srv/hookway"), environment: [:])
        #expect(options?.subject == "{{data.amount}} {{data.currency}}")
        #expect(options?.text == "id {{id}}; css { color: red }")
    }

    @Test func anAddressWithBracesThatIsNoPathExplainsBothSpellings() {
        let sink = #"{ "kind": "email", \#(Self.valid.replacingOccurrences(of: #""to": ["ops@example.com"]"#, with: #""to": ["{customer}"]"#)) }"#
        let problems = routesCheckProblems(sinkName: "ops-email", sink)
        #expect(problems.count == 1)
        #expect(problems.first?.contains(#"(or Mustache "{{data.payload.…}}")"#) == true, "\(problems)")
    }

    @Test func repositoryRoutesFileValidatesWithTheDevelopmentEnvironment() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var environment: [String: String] = [:]
        for line in try String(contentsOf: root.appendingPathComponent("config/dev.env"), encoding: .utf8).split(separator: "\n")
        where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { environment[parts[0]] = parts[1] }
        }
        let result = RoutesConfigLoader.load(path: root.appendingPathComponent("routes.json").path, environment: environment)
        #expect(result.errors.map(\.description) == [])
    }
}

struct CRMOptionsValidationTests {
    static let cases: [(String, String)] = [
        (
            #"{ "kind": "crm", "topics": ["alerts"] }"#,
            #"$.sinks.crm.url: missing; the endpoint, e.g. "https://api.example.com/contacts/{subject}""#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "ftp://example.com/x" }"#,
            #"$.sinks.crm.url: expected an http:// or https:// URL, found "ftp://example.com/x""#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com/{subject" }"#,
            #"$.sinks.crm.url: bad template "https://example.com/{subject": every "{" needs a "}" around a non-empty field path"#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "headers": { "Authorization": "Bearer {env:CRM_TOKEN}" } }"#,
            "$.sinks.crm.headers.Authorization: environment variable CRM_TOKEN is not set (env:CRM_TOKEN)"
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "headers": { "Authorization": "Bearer abc123" } }"#,
            #"$.sinks.crm.headers.Authorization: literal secret; use a reference such as "Bearer {env:NAME}" or "{file:PATH}""#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "headers": { "X-Api-Key": "{file:secrets/none}" } }"#,
            "$.sinks.crm.headers.X-Api-Key: cannot read file:secrets/none"
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "method": "FETCH" }"#,
            #"$.sinks.crm.method: expected one of DELETE, GET, PATCH, POST, PUT, found "FETCH""#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "body": 5 }"#,
            #"$.sinks.crm.body: expected a JSON object template or "event", found a number"#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "body": { "contact": { "name": "{data.payload.name" } } }"#,
            #"$.sinks.crm.body.contact.name: bad template "{data.payload.name": every "{" needs a "}" around a non-empty field path"#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "body": { "token": "{env:CRM_TOKEN}" } }"#,
            #"$.sinks.crm.body.token: secret references are resolved only in "headers" and "url"; a request body is not the place for a credential"#
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "successStatus": [200, 700] }"#,
            "$.sinks.crm.successStatus[1]: must be between 100 and 599, found 700"
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "timeoutMs": 5 }"#,
            "$.sinks.crm.timeoutMs: must be between 100 and 600000, found 5"
        ),
        (
            #"{ "kind": "crm", "topics": ["alerts"], "url": "https://example.com", "header": {} }"#,
            #"$.sinks.crm.header: unknown key "header"; did you mean "headers"?"#
        ),
    ]

    @Test(arguments: cases) func badOptionIsReportedWithItsJSONPath(sink: String, expected: String) {
        let problems = routesCheckProblems(sinkName: "crm", sink)
        #expect(problems.contains(expected), "got \(problems)")
    }

    @Test func secretValuesNeverAppearInProblems() {
        let problems = routesCheckProblems(
            sinkName: "crm",
            #"{ "kind": "crm", "topics": ["alerts"], "url": "ftp://x", "headers": { "Authorization": "Bearer {env:CRM_TOKEN}" } }"#,
            environment: ["CRM_TOKEN": "super-secret-value"]
        )
        #expect(!problems.isEmpty)
        #expect(!problems.joined().contains("super-secret-value"))
    }
}
