import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// An SMTP server on loopback for tests: EHLO/HELO, STARTTLS (with the fixture certificate),
/// AUTH PLAIN/LOGIN, MAIL/RCPT/DATA with dot-stuffing undone, RSET, NOOP, QUIT, and scripted
/// replies per command (`"451 4.3.0 try later"` for the next end-of-data, say).
final class TestSMTPServer: Sendable {
    struct Credentials: Sendable, Hashable {
        var username: String
        var password: String
    }

    struct Message: Sendable {
        var mailFrom: String
        var recipients: [String]
        /// The data as sent, dot-stuffing included, without the final `.` line.
        var rawData: String
        /// The data with dot-stuffing undone: the RFC 5322 message.
        var data: String
        var overTLS: Bool
        var authenticatedAs: Credentials?
    }

    struct State: Sendable {
        var messages: [Message] = []
        var commands: [String] = []
        var connections = 0
        /// Replies to use instead of the default, by verb (`MAIL`, `RCPT`, `DATA`, `END` for the end of data).
        var script: [String: [String]] = [:]
        var closeAfterNextMessage = false
    }

    private let state: NIOLockedValueBox<State>
    let port: Int
    private let channel: any Channel

    /// Starts listening on 127.0.0.1 on a free port.
    static func start(
        tls: Bool = false,
        implicitTLS: Bool = false,
        credentials: Credentials? = nil,
        authMechanisms: [String] = ["PLAIN", "LOGIN"]
    ) async throws -> TestSMTPServer {
        let context: NIOSSLContext?
        if tls || implicitTLS {
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Fixtures/tls")
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(directory.appendingPathComponent("cert.pem").path).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: directory.appendingPathComponent("key.pem").path, format: .pem))
            )
            context = try NIOSSLContext(configuration: configuration)
        } else {
            context = nil
        }
        let box = NIOLockedValueBox(State())
        let channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicitTLS, let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPServerHandler(
                            state: box,
                            tls: implicitTLS ? nil : context,
                            credentials: credentials,
                            mechanisms: authMechanisms,
                            secured: implicitTLS
                        )
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestSMTPServer(channel: channel, state: box)
    }

    private init(channel: any Channel, state: NIOLockedValueBox<State>) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.state = state
    }

    var messages: [Message] { state.withLockedValue { $0.messages } }
    var commands: [String] { state.withLockedValue { $0.commands } }
    var connections: Int { state.withLockedValue { $0.connections } }

    func script(_ verb: String, _ replies: String...) {
        state.withLockedValue { $0.script[verb, default: []] += replies }
    }

    func closeAfterNextMessage() {
        state.withLockedValue { $0.closeAfterNextMessage = true }
    }

    func stop() async {
        try? await channel.close()
    }
}

/// One connection's side of the conversation.
private final class SMTPServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Mode {
        case command, data, authPlain, authLoginUser
        case authLoginPassword(String)
    }

    let state: NIOLockedValueBox<TestSMTPServer.State>
    let tls: NIOSSLContext?
    let credentials: TestSMTPServer.Credentials?
    let mechanisms: [String]
    var buffer: [UInt8] = []
    var mode = Mode.command
    var secured = false
    var authenticated: TestSMTPServer.Credentials?
    var mailFrom: String?
    var recipients: [String] = []
    var dataLines: [String] = []

    init(
        state: NIOLockedValueBox<TestSMTPServer.State>,
        tls: NIOSSLContext?,
        credentials: TestSMTPServer.Credentials?,
        mechanisms: [String],
        secured: Bool
    ) {
        self.secured = secured
        self.state = state
        self.tls = tls
        self.credentials = credentials
        self.mechanisms = mechanisms
    }

    func channelActive(context: ChannelHandlerContext) {
        state.withLockedValue { $0.connections += 1 }
        send("220 test.local ESMTP ready", context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer += incoming.readBytes(length: incoming.readableBytes) ?? []
        while let lf = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(buffer[..<lf])
            buffer.removeSubrange(...lf)
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            handle(String(decoding: line, as: UTF8.self), context: context)
        }
    }

    private func send(_ reply: String, context: ChannelHandlerContext) {
        var out = context.channel.allocator.buffer(capacity: reply.utf8.count + 2)
        out.writeString(reply.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    private func scripted(_ verb: String) -> String? {
        state.withLockedValue { s in
            guard var queue = s.script[verb], !queue.isEmpty else { return nil }
            let reply = queue.removeFirst()
            s.script[verb] = queue
            return reply
        }
    }

    private func handle(_ line: String, context: ChannelHandlerContext) {
        switch mode {
        case .data:
            if line == "." {
                mode = .command
                finishMessage(context: context)
            } else {
                dataLines.append(line)
            }
            return
        case .authPlain:
            mode = .command
            checkPlain(line, context: context)
            return
        case .authLoginUser:
            mode = .authLoginPassword(Self.decode(line))
            send("334 UGFzc3dvcmQ6", context: context)
            return
        case .authLoginPassword(let user):
            mode = .command
            check(.init(username: user, password: Self.decode(line)), context: context)
            return
        case .command:
            break
        }
        let verb = String(line.prefix { $0 != " " && $0 != ":" }).uppercased()
        state.withLockedValue { $0.commands.append(verb == "AUTH" ? "AUTH \(line.split(separator: " ").dropFirst().first ?? "")" : line) }
        if let reply = scripted(verb) {
            send(reply, context: context)
            return
        }
        switch verb {
        case "EHLO":
            var lines = ["250-test.local greets you", "250-8BITMIME", "250-SIZE 10000000"]
            if tls != nil, !secured { lines.append("250-STARTTLS") }
            if !mechanisms.isEmpty { lines.append("250-AUTH \(mechanisms.joined(separator: " "))") }
            lines.append("250 HELP")
            send(lines.joined(separator: "\n"), context: context)
        case "HELO": send("250 test.local", context: context)
        case "STARTTLS":
            guard let tls, !secured else {
                send("502 5.5.1 not available", context: context)
                return
            }
            send("220 2.0.0 ready to start TLS", context: context)
            secured = true
            reset()
            authenticated = nil
            try! context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
        case "AUTH":
            let parts = line.split(separator: " ").map(String.init)
            let mechanism = parts.count > 1 ? parts[1].uppercased() : ""
            guard mechanisms.contains(mechanism) else {
                send("504 5.5.4 unrecognized mechanism", context: context)
                return
            }
            if mechanism == "PLAIN" {
                if parts.count > 2 {
                    checkPlain(parts[2], context: context)
                } else {
                    mode = .authPlain
                    send("334 ", context: context)
                }
            } else {
                mode = .authLoginUser
                send("334 VXNlcm5hbWU6", context: context)
            }
        case "MAIL":
            if credentials != nil, authenticated == nil {
                send("530 5.7.0 authentication required", context: context)
                return
            }
            mailFrom = Self.address(line)
            recipients = []
            send("250 2.1.0 ok", context: context)
        case "RCPT":
            guard mailFrom != nil else {
                send("503 5.5.1 need MAIL first", context: context)
                return
            }
            recipients.append(Self.address(line))
            send("250 2.1.5 ok", context: context)
        case "DATA":
            guard mailFrom != nil, !recipients.isEmpty else {
                send("503 5.5.1 need RCPT first", context: context)
                return
            }
            mode = .data
            dataLines = []
            send("354 end data with <CR><LF>.<CR><LF>", context: context)
        case "RSET":
            reset()
            send("250 2.0.0 reset", context: context)
        case "NOOP": send("250 2.0.0 ok", context: context)
        case "QUIT":
            send("221 2.0.0 bye", context: context)
            context.close(promise: nil)
        default: send("500 5.5.2 unknown command", context: context)
        }
    }

    private func finishMessage(context: ChannelHandlerContext) {
        if let reply = scripted("END") {
            reset()
            send(reply, context: context)
            return
        }
        let raw = dataLines.joined(separator: "\r\n")
        let data = dataLines.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }.joined(separator: "\r\n")
        let message = TestSMTPServer.Message(
            mailFrom: mailFrom ?? "",
            recipients: recipients,
            rawData: raw,
            data: data,
            overTLS: secured,
            authenticatedAs: authenticated
        )
        let close = state.withLockedValue { s in
            s.messages.append(message)
            defer { s.closeAfterNextMessage = false }
            return s.closeAfterNextMessage
        }
        reset()
        send("250 2.0.0 queued as \(UUID().uuidString.prefix(8))", context: context)
        if close { context.close(promise: nil) }
    }

    private func reset() {
        mailFrom = nil
        recipients = []
        dataLines = []
    }

    private func checkPlain(_ token: String, context: ChannelHandlerContext) {
        let parts = Self.decode(token).split(separator: "\0", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            send("501 5.5.2 bad PLAIN token", context: context)
            return
        }
        check(.init(username: parts[1], password: parts[2]), context: context)
    }

    private func check(_ offered: TestSMTPServer.Credentials, context: ChannelHandlerContext) {
        if offered == credentials {
            authenticated = offered
            send("235 2.7.0 authenticated", context: context)
        } else {
            send("535 5.7.8 bad credentials", context: context)
        }
    }

    static func decode(_ base64: String) -> String {
        Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func address(_ line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">") else { return "" }
        return String(line[line.index(after: open)..<close])
    }
}
