import Foundation
import HookwayCore
import HookwaySinks
import HookwayTesting
import Testing

/// The email sink against a real SMTP conversation on loopback.
@Suite(.timeLimit(.minutes(2)))
struct EmailSMTPTests {
    static func sink(
        port: Int,
        tls: String = "none",
        auth: Bool = false,
        extra: String = "",
        body: String? = nil,
        html: String? = nil
    ) throws -> EmailSink {
        let dir = temporaryPath("")
        let credentials = auth ? #", "username": "env:SMTP_USER", "password": "env:SMTP_PASS""# : ""
        let ca = tls == "none" ? "" : #", "caFile": "\#(fixtureDirectory)/tls/cert.pem""#
        let bodyJSON = body.map { #", "body": \#(jsonString($0))"# } ?? ""
        let htmlJSON = html.map { #", "html": \#(jsonString($0))"# } ?? ""
        let json = """
            { "kind": "email", "topics": ["alerts"],
              "smtp": { "host": "127.0.0.1", "port": \(port), "tls": "\(tls)", "timeoutMs": 5000\(credentials)\(ca) },
              "from": "Hookway Alerts <hookway@example.com>",
              "to": ["ops@example.com", "{{data.payload.data.customerEmail}}"],
              "cc": "Audit <audit@example.com>",
              "subject": "Retiro grande: {{data.amount}} {{data.currency}} — {{data.payload.data.profile.name}}"\(bodyJSON)\(htmlJSON)
              \(extra) }
            """
        return try EmailSink.make(
            sinkConfig("ops-email", kind: .email, json, baseDirectory: dir),
            environment: ["SMTP_USER": "mailer", "SMTP_PASS": "s3cret pass"]
        )
    }

    static func jsonString(_ s: String) -> String { String(decoding: JSONWriter.encode(.string(s)), as: UTF8.self) }

    static let text = """
        Withdrawal {{subject}} of {{data.amount}} {{data.currency}} is {{data.status}}.
        .hidden line that must survive dot-stuffing
        ..and a double dot
        Tier {{data.payload.data.tier}}, tags: {{#data.payload.data.tags}}[{{.}}]{{/data.payload.data.tags}}
        Fish & chips <ok>
        """
    static let html = "<p>Withdrawal <b>{{subject}}</b> for {{data.payload.data.profile.name}} &amp; {{data.reference}}</p>"

    @Test func sendsMultipartMessageOverSTARTTLSWithAuthPlain() async throws {
        let server = try await TestSMTPServer.start(
            tls: true,
            credentials: .init(username: "mailer", password: "s3cret pass"),
            authMechanisms: ["PLAIN"]
        )
        try await withTeardown({ await server.stop() }) {
            let sink = try Self.sink(port: server.port, tls: "starttls", auth: true, body: Self.text, html: Self.html)
            let event = sampleEvent(id: "evt-multipart-1")
            try await sink.deliver(event)
            await sink.shutdown()

            let messages = server.messages
            try #require(messages.count == 1)
            let m = messages[0]
            #expect(m.overTLS)
            #expect(m.authenticatedAs == .init(username: "mailer", password: "s3cret pass"))
            #expect(m.mailFrom == "hookway@example.com")
            #expect(m.recipients == ["ops@example.com", "alice@example.com", "audit@example.com"])
            #expect(server.commands.filter { $0.hasPrefix("EHLO") }.count == 2, "EHLO again after STARTTLS")
            #expect(server.commands.contains("AUTH PLAIN"))

            // Dot-stuffing on the wire, undone by the server.
            #expect(m.rawData.contains("\r\n..hidden line"))
            #expect(m.rawData.contains("\r\n...and a double dot"))

            let parsed = ParsedEmail(m.data)
            #expect(parsed.header("Message-ID") == "<\(sha256Hex("evt-multipart-1"))@hookway>")
            #expect(parsed.header("Subject") == "Retiro grande: 15000.50 MXN — Alice")
            #expect(parsed.headers.first { $0.name == "Subject" }?.value.hasPrefix("=?UTF-8?B?") == true, "non-ASCII subject is RFC 2047 encoded")
            #expect(parsed.header("From") == "Hookway Alerts <hookway@example.com>")
            #expect(parsed.header("To") == "ops@example.com, alice@example.com")
            #expect(parsed.header("Cc") == "Audit <audit@example.com>")
            #expect(parsed.header("MIME-Version") == "1.0")
            #expect(parsed.header("Date")?.hasSuffix("+0000") == true)
            #expect(parsed.contentType.hasPrefix("multipart/alternative; boundary="))
            #expect(parsed.parts.count == 2)
            let text = try #require(parsed.part("text/plain"))
            #expect(
                text == """
                    Withdrawal w-1 of 15000.50 MXN is pending.\r
                    .hidden line that must survive dot-stuffing\r
                    ..and a double dot\r
                    Tier 2, tags: [vip][mx]\r
                    Fish & chips <ok>
                    """
            )
            #expect(parsed.part("text/html") == "<p>Withdrawal <b>w-1</b> for Alice &amp; ref-9</p>")
        }
    }

    @Test func implicitTLSFromTheFirstByte() async throws {
        let server = try await TestSMTPServer.start(implicitTLS: true, credentials: .init(username: "mailer", password: "s3cret pass"))
        try await withTeardown({ await server.stop() }) {
            let sink = try Self.sink(port: server.port, tls: "implicit", auth: true, body: "x")
            try await sink.deliver(sampleEvent())
            await sink.shutdown()
            #expect(server.messages.first?.overTLS == true)
            #expect(server.commands.filter { $0.hasPrefix("EHLO") }.count == 1)
        }
    }

    @Test func untrustedCertificateIsTransientAndSendsNothing() async throws {
        let server = try await TestSMTPServer.start(tls: true)
        try await withTeardown({ await server.stop() }) {
            // No caFile: the system trust store does not know the test certificate.
            let json =
                #"{ "kind": "email", "topics": ["a"], "smtp": { "host": "127.0.0.1", "port": \#(server.port), "timeoutMs": 5000 }, "from": "a@example.com", "to": "b@example.com", "subject": "s", "body": "b" }"#
            let sink = try EmailSink.make(sinkConfig("ops-email", kind: .email, json, baseDirectory: temporaryPath("")), environment: [:])
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == false)
            #expect(server.messages.isEmpty)
            await sink.shutdown()
        }
    }

    @Test func authLoginWhenThatIsAllTheServerOffers() async throws {
        let server = try await TestSMTPServer.start(credentials: .init(username: "mailer", password: "s3cret pass"), authMechanisms: ["LOGIN"])
        try await withTeardown({ await server.stop() }) {
            let sink = try Self.sink(port: server.port, auth: true, body: "hello {{id}}")
            try await sink.deliver(sampleEvent())
            await sink.shutdown()
            #expect(server.messages.first?.authenticatedAs == .init(username: "mailer", password: "s3cret pass"))
            #expect(server.commands.contains("AUTH LOGIN"))
            let parsed = ParsedEmail(server.messages[0].data)
            #expect(parsed.contentType == "text/plain; charset=utf-8")
        }
    }

    @Test func wrongPasswordIsPermanent() async throws {
        let server = try await TestSMTPServer.start(credentials: .init(username: "mailer", password: "other"))
        try await withTeardown({ await server.stop() }) {
            let sink = try Self.sink(port: server.port, auth: true, body: "x")
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("535") == true)
            #expect(error?.message.contains("s3cret") == false)
            await sink.shutdown()
        }
    }

    @Test func reply451IsTransientThenTheRetrySucceedsOnTheSameConnection() async throws {
        let server = try await TestSMTPServer.start()
        try await withTeardown({ await server.stop() }) {
            server.script("END", "451 4.3.0 mailbox busy, try later")
            let sink = try Self.sink(port: server.port, body: "x")
            let event = sampleEvent()
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(event) }
            #expect(error?.isPermanent == false)
            #expect(error?.message.contains("451") == true)
            try await sink.deliver(event)
            await sink.shutdown()
            #expect(server.messages.count == 1)
            #expect(server.connections == 1, "the connection is reused")
            #expect(server.commands.contains("RSET"))
        }
    }

    @Test func reply550IsPermanent() async throws {
        let server = try await TestSMTPServer.start()
        try await withTeardown({ await server.stop() }) {
            server.script("RCPT", "550 5.1.1 no such user")
            let sink = try Self.sink(port: server.port, body: "x")
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("550") == true)
            // The connection is still good for the next message.
            try await sink.deliver(sampleEvent())
            await sink.shutdown()
            #expect(server.messages.count == 1)
        }
    }

    @Test func redeliveryOfTheSameEventIsNotMailedTwice() async throws {
        let server = try await TestSMTPServer.start()
        try await withTeardown({ await server.stop() }) {
            let sink = try Self.sink(port: server.port, body: "x")
            let event = sampleEvent()
            try await sink.deliver(event)
            try await sink.deliver(event)
            try await sink.deliver(sampleEvent())
            await sink.shutdown()
            #expect(server.messages.count == 2)
        }
    }

    @Test func reconnectsWhenTheServerDroppedTheConnection() async throws {
        let server = try await TestSMTPServer.start()
        try await withTeardown({ await server.stop() }) {
            server.closeAfterNextMessage()
            let sink = try Self.sink(port: server.port, body: "x")
            try await sink.deliver(sampleEvent())
            try await Task.sleep(for: .milliseconds(100))
            try await sink.deliver(sampleEvent())
            await sink.shutdown()
            #expect(server.messages.count == 2)
            #expect(server.connections == 2)
        }
    }

    @Test func unreachableServerIsTransient() async throws {
        let server = try await TestSMTPServer.start()
        let port = server.port
        await server.stop()
        let sink = try Self.sink(port: port, body: "x")
        let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
        #expect(error?.isPermanent == false)
        await sink.shutdown()
    }

    @Test func starttlsRequiredButNotOfferedIsPermanent() async throws {
        let server = try await TestSMTPServer.start(tls: false)
        try await withTeardown({ await server.stop() }) {
            let sink = try Self.sink(port: server.port, tls: "starttls", body: "x")
            let error = await #expect(throws: SinkError.self) { try await sink.deliver(sampleEvent()) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("STARTTLS") == true)
            #expect(server.messages.isEmpty)
            await sink.shutdown()
        }
    }

    @Test func strictTemplateWithAMissingFieldIsPermanent() async throws {
        let server = try await TestSMTPServer.start()
        try await withTeardown({ await server.stop() }) {
            let strict = try Self.sink(port: server.port, extra: #", "strict": true"#, body: "Dear {{data.payload.data.nickname}}")
            let error = await #expect(throws: SinkError.self) { try await strict.deliver(sampleEvent()) }
            #expect(error?.isPermanent == true)
            #expect(error?.message.contains("data.payload.data.nickname") == true)
            await strict.shutdown()

            // Not strict: the missing field renders empty, and a missing recipient is left out.
            let lenient = try Self.sink(port: server.port, body: "Dear {{data.payload.data.nickname}}!")
            try await lenient.deliver(sampleEvent(customerEmail: nil))
            await lenient.shutdown()
            #expect(server.messages.count == 1)
            #expect(server.messages.first?.recipients == ["ops@example.com", "audit@example.com"])
            #expect(ParsedEmail(server.messages[0].data).part("text/plain") == "Dear !")
        }
    }
}

@Suite(.timeLimit(.minutes(2)))
struct EmailOutboxTests {
    @Test func outboxWritesAParseableEmlNamedByTheMessageIDHash() async throws {
        let dir = temporaryPath("")
        try "<h1>{{data.amount}} {{data.currency}}</h1>".write(toFile: dir + "/alert.html", atomically: true, encoding: .utf8)
        try "Amount: {{data.amount}}\nCustomer: {{data.payload.data.customerEmail}}".write(
            toFile: dir + "/alert.txt",
            atomically: true,
            encoding: .utf8
        )
        let json = """
            { "kind": "email", "topics": ["alerts"], "outbox": "var/outbox",
              "from": "hookway@example.com", "to": "{{data.payload.data.customerEmail}}",
              "subject": "Withdrawal {{subject}}", "bodyFile": "alert.txt", "htmlFile": "alert.html" }
            """
        let sink = try EmailSink.make(sinkConfig("ops-email", kind: .email, json, baseDirectory: dir), environment: [:])
        let event = sampleEvent(id: "evt-outbox-1")
        try await sink.deliver(event)
        try await sink.deliver(event)
        await sink.shutdown()

        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/var/outbox")
        #expect(files == ["\(sha256Hex("evt-outbox-1")).eml"])
        let text = try String(contentsOfFile: dir + "/var/outbox/" + files[0], encoding: .utf8)
        #expect(text.contains("\r\n"))
        let parsed = ParsedEmail(text)
        #expect(parsed.header("To") == "alice@example.com")
        #expect(parsed.header("Subject") == "Withdrawal w-1")
        #expect(parsed.header("Message-ID") == "<\(sha256Hex("evt-outbox-1"))@hookway>")
        #expect(parsed.part("text/plain") == "Amount: 15000.50\r\nCustomer: alice@example.com")
        #expect(parsed.part("text/html") == "<h1>15000.50 MXN</h1>")
        #expect(FileManager.default.fileExists(atPath: dir + "/var/email-sent.sqlite"))
    }
}

/// SHA-256 hex via the system's `sha256sum`, independent of the sink's own implementation.
func sha256Hex(_ s: String) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try! process.run()
    input.fileHandleForWriting.write(Data(s.utf8))
    try! input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}
