import NIOCore
import NIOSSL

/// A command (or the message data) to write, and the promise of its reply.
struct SMTPRequest: Sendable {
    var bytes: ByteBuffer
    /// Names the command in errors without repeating its arguments (`AUTH`, never the password).
    var name: String
    var reply: EventLoopPromise<SMTPReply>
}

/// Pairs replies with requests in order; the first reply (the greeting) has no request. A reply
/// that does not come within `timeout` closes the connection.
final class SMTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = SMTPReply
    typealias OutboundIn = SMTPRequest
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<(name: String, promise: EventLoopPromise<SMTPReply>)>()
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var failure: SMTPClientError?

    /// `greeting` receives the server's 220 banner.
    init(greeting: EventLoopPromise<SMTPReply>, timeout: TimeAmount) {
        self.timeout = timeout
        waiting.append((name: "connection greeting", promise: greeting))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armTimer(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        waiting.append((name: request.name, promise: request.reply))
        if waiting.count == 1 { armTimer(context: context) }
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let reply = unwrapInboundIn(data)
        guard let head = waiting.popFirst() else {
            // 421 "closing" can arrive unasked; anything else unasked is a broken server.
            failAll(
                SMTPClientError(reply.code == 421 ? .reply(reply, command: "(idle)") : .protocolViolation("unexpected reply \(reply)")),
                context: context
            )
            context.close(promise: nil)
            return
        }
        timer?.cancel()
        timer = nil
        if !waiting.isEmpty { armTimer(context: context) }
        head.promise.succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure =
            (error as? SMTPClientError) ?? SMTPClientError(error is NIOSSLError || error is BoringSSLError ? .tls("\(error)") : .io("\(error)"))
        failAll(failure, context: context)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(SMTPClientError(.connectionClosed), context: context)
        context.fireChannelInactive()
    }

    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        guard let name = waiting.first?.name else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            failAll(SMTPClientError(.timeout(command: name)), context: context)
            context.close(promise: nil)
        }
    }

    private func failAll(_ error: SMTPClientError, context: ChannelHandlerContext) {
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        while let next = waiting.popFirst() { next.promise.fail(error) }
    }
}
