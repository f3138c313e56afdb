import HookwayCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Tracing

/// An SMTP client over one reused connection (RFC 5321): EHLO, STARTTLS, AUTH PLAIN/LOGIN,
/// MAIL/RCPT/DATA. Messages go one at a time; the connection is reset with `RSET` between
/// them and re-opened when the server has dropped it.
actor SMTPClient {
    private struct Session {
        let channel: any Channel
        var extensions: [String]
        /// A transaction ran on it; the next one starts with `RSET`.
        var used = false
    }

    private let server: EmailOptions.SMTPServer
    private let tlsContext: NIOSSLContext?
    private let logger: Logger
    private var session: Session?
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(server: EmailOptions.SMTPServer, logger: Logger) throws(SinkError) {
        self.server = server
        self.logger = logger
        guard server.tls != .none else {
            tlsContext = nil
            return
        }
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            if let caFile = server.caFile { configuration.trustRoots = .file(caFile) }
            tlsContext = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .permanent(.sinkConfigInvalid, "cannot set up TLS for \(server.host): \(error)")
        }
    }

    /// Sends one message; returns when the server accepted it (`250` after the data).
    /// In a client span (issue 30), a child of the delivery's: the time in the queue for the
    /// connection counts, as it is time the event waits.
    func send(_ message: EmailMessage) async throws(SMTPClientError) {
        do {
            try await withSpan("smtp send", ofKind: .client) { span in
                span.attributes["server.address"] = server.host
                span.attributes["server.port"] = server.port
                span.attributes["hookway.email.recipients"] = message.recipients.count
                await acquire()
                defer { release() }
                try await transaction(message, reconnectIfStale: true)
            }
        } catch {
            throw Self.smtpError(error)
        }
    }

    /// Says `QUIT` and closes the connection.
    func close() async {
        await acquire()
        defer { release() }
        guard let session else { return }
        self.session = nil
        _ = try? await command("QUIT", on: session.channel)
        try? await session.channel.close()
    }

    // MARK: - Transaction

    private func transaction(_ message: EmailMessage, reconnectIfStale: Bool) async throws {
        var current: Session
        if let existing = session, existing.channel.isActive {
            current = existing
            if current.used {
                do {
                    try await expect(command("RSET", on: current.channel), 250, "RSET")
                } catch let error as SMTPClientError where error.dropsConnection && reconnectIfStale {
                    // The server dropped an idle connection: start over on a new one.
                    logger.debug("SMTP connection went stale; reconnecting", metadata: ["error": "\(error)"])
                    await drop()
                    return try await transaction(message, reconnectIfStale: false)
                }
            }
        } else {
            await drop()
            current = try await connect()
            session = current
        }
        let channel = current.channel
        do {
            try await expect(command("MAIL FROM:<\(message.from.address)>", on: channel), 250, "MAIL FROM")
            for recipient in message.recipients {
                let reply = try await command("RCPT TO:<\(recipient)>", on: channel)
                guard reply.code == 250 || reply.code == 251 else { throw SMTPClientError(.reply(reply, command: "RCPT TO:<\(recipient)>")) }
            }
            try await expect(command("DATA", on: channel), 354, "DATA")
            var data = channel.allocator.buffer(capacity: 0)
            Self.dotStuff(message.bytes(), into: &data)
            try await expect(request(data, name: "message data", on: channel), 250, "message data")
            session?.used = true
        } catch let error as SMTPClientError {
            if error.dropsConnection {
                await drop()
            } else {
                session?.used = true  // the next message starts with RSET
            }
            throw error
        }
    }

    /// Opens a connection: greeting, EHLO, STARTTLS and EHLO again when asked, AUTH.
    private func connect() async throws -> Session {
        let loop = NIOSingletons.posixEventLoopGroup.next()
        let greeting = loop.makePromise(of: SMTPReply.self)
        let timeout = TimeAmount.milliseconds(Int64(server.timeoutMs))
        let implicitTLS = server.tls == .implicit ? tlsContext : nil
        let hostname = Self.isIPAddress(server.host) ? nil : server.host
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        if let implicitTLS { try sync.addHandler(NIOSSLClientHandler(context: implicitTLS, serverHostname: hostname)) }
                        try sync.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        try sync.addHandler(SMTPClientHandler(greeting: greeting, timeout: timeout))
                    }
                }
                .connect(host: server.host, port: server.port)
                .get()
        } catch {
            greeting.fail(error)
            throw SMTPClientError(.connectFailed("\(server.host):\(server.port): \(error)"))
        }
        do {
            try await expect(greeting.futureResult.get(), 220, "connection greeting")
            var extensions = try await hello(on: channel)
            if server.tls == .starttls {
                guard extensions.contains("STARTTLS"), let tlsContext else {
                    throw SMTPClientError(
                        .unsupported("\(server.host) does not offer STARTTLS; refusing to send in clear text (set smtp.tls to \"none\" to allow it)")
                    )
                }
                try await expect(command("STARTTLS", on: channel), 220, "STARTTLS")
                try await channel.eventLoop.submit {
                    let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: hostname)
                    try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                }.get()
                extensions = try await hello(on: channel)
            }
            if let username = server.username, let password = server.password {
                try await authenticate(username: username, password: password, extensions: extensions, on: channel)
            }
            logger.debug("SMTP connection ready", metadata: ["host": "\(server.host)", "port": "\(server.port)", "tls": "\(server.tls.rawValue)"])
            return Session(channel: channel, extensions: extensions)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    /// EHLO, falling back to HELO for an old server; returns the extension keywords.
    private func hello(on channel: any Channel) async throws -> [String] {
        let reply = try await command("EHLO \(server.helo)", on: channel)
        if reply.code == 250 { return reply.extensions }
        if reply.code == 500 || reply.code == 502 {
            try await expect(command("HELO \(server.helo)", on: channel), 250, "HELO")
            return []
        }
        throw SMTPClientError(.reply(reply, command: "EHLO"))
    }

    private func authenticate(username: Secret, password: Secret, extensions: [String], on channel: any Channel) async throws {
        let mechanisms = Set(
            extensions.filter { $0.hasPrefix("AUTH ") || $0.hasPrefix("AUTH=") }.flatMap { $0.dropFirst(5).split(separator: " ").map(String.init) }
        )
        if mechanisms.contains("PLAIN") {
            let token = MIMEEncoding.base64([0] + username.bytes + [0] + password.bytes)
            try await expect(command("AUTH PLAIN \(token)", name: "AUTH PLAIN", on: channel), 235, "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            try await expect(command("AUTH LOGIN", on: channel), 334, "AUTH LOGIN")
            try await expect(command(MIMEEncoding.base64(username.bytes), name: "AUTH LOGIN username", on: channel), 334, "AUTH LOGIN username")
            try await expect(command(MIMEEncoding.base64(password.bytes), name: "AUTH LOGIN password", on: channel), 235, "AUTH LOGIN password")
        } else {
            throw SMTPClientError(
                .unsupported("\(server.host) offers no AUTH mechanism Hookway speaks (PLAIN, LOGIN); it offers \(mechanisms.sorted())")
            )
        }
    }

    // MARK: - Wire

    private func command(_ text: String, name: String? = nil, on channel: any Channel) async throws -> SMTPReply {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count + 2)
        buffer.writeString(text)
        buffer.writeString("\r\n")
        return try await request(buffer, name: name ?? text, on: channel)
    }

    private func request(_ bytes: ByteBuffer, name: String, on channel: any Channel) async throws -> SMTPReply {
        let reply = channel.eventLoop.makePromise(of: SMTPReply.self)
        channel.writeAndFlush(SMTPRequest(bytes: bytes, name: name, reply: reply)).whenFailure { error in
            reply.fail(error is SMTPClientError ? error : SMTPClientError(.connectionClosed))
        }
        return try await reply.futureResult.get()
    }

    private func expect(_ reply: SMTPReply, _ code: Int, _ command: String) throws {
        guard reply.code == code else { throw SMTPClientError(.reply(reply, command: command)) }
    }

    private func drop() async {
        guard let session else { return }
        self.session = nil
        try? await session.channel.close()
    }

    /// CRLF line ends, a `.` doubled at the start of every line (RFC 5321 §4.5.2), and the
    /// `.` line that ends the data.
    static func dotStuff(_ message: [UInt8], into buffer: inout ByteBuffer) {
        buffer.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        var previous: UInt8 = 0
        for byte in message {
            if byte == UInt8(ascii: "\n"), previous != UInt8(ascii: "\r") { buffer.writeInteger(UInt8(ascii: "\r")) }
            if atLineStart, byte == UInt8(ascii: ".") { buffer.writeInteger(UInt8(ascii: ".")) }
            buffer.writeInteger(byte)
            atLineStart = byte == UInt8(ascii: "\n")
            previous = byte
        }
        if !atLineStart { buffer.writeString("\r\n") }
        buffer.writeString(".\r\n")
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    static func smtpError(_ error: any Error) -> SMTPClientError {
        if let error = error as? SMTPClientError { return error }
        if error is NIOSSLError || error is BoringSSLError { return SMTPClientError(.tls("\(error)")) }
        return SMTPClientError(.io("\(error)"))
    }

    // MARK: - One message at a time

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
