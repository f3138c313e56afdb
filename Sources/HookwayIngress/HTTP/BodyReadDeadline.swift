import HookwayCore
import NIOCore
import NIOHTTPTypes

/// Thrown into a request's body stream when the body did not arrive in time (slow-body,
/// slowloris-style clients); the responder answers 408 `request_timeout`.
struct BodyReadTimeout: HookwayError {
    var timeout: TimeAmount
    var code: ErrorCode { .requestTimeout }
    var message: String { "the body did not arrive within \(timeout.nanoseconds / 1_000_000) ms" }
    var isRetriable: Bool { false }
    var description: String { message }
}

/// Bounds how long a request's body may take, from its head to its end, with a timer on the
/// connection's event loop — scheduled and cancelled on the loop itself, so it costs no task,
/// no thread hop and no syscall per request. When it fires, the body stream fails with
/// ``BodyReadTimeout``; after the answer the connection closes (its stream is finished).
final class BodyReadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: @Sendable () -> TimeAmount
    private var timer: Scheduled<Void>?

    /// `timeout` is read at each request's head (so a reloaded `limits.readTimeoutMs` applies).
    init(timeout: @escaping @Sendable () -> TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            timer?.cancel()
            let timeout = self.timeout()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.fireErrorCaught(BodyReadTimeout(timeout: timeout))
            }
        case .end:
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
