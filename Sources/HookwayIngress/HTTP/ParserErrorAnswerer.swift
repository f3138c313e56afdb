import HTTPTypes
import HookwayCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers requests the HTTP parser refuses — before any responder sees them — with the
/// contract's JSON error instead of Hummingbird's empty 400: headers over the decoder's limits
/// get 431 `headers_too_large`, other unparsable requests 400 `malformed_payload`. The
/// connection is closed afterwards (the parser cannot find the next request's start).
///
/// It only answers between requests; an error while a request is in progress (a broken chunk
/// in a body) is left to Hummingbird, which owns that request's response.
final class ParserErrorAnswerer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests whose head arrived and whose response has not ended.
    private var inProgress = 0
    private var answered = false
    let onAnswer: @Sendable (WebhookError) -> Void

    init(onAnswer: @escaping @Sendable (WebhookError) -> Void = { _ in }) {
        self.onAnswer = onAnswer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { inProgress += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inProgress = max(0, inProgress - 1) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, inProgress == 0, !answered else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let answer: WebhookError
        switch parserError {
        case .headerOverflow:
            answer = WebhookError(status: 431, code: .headersTooLarge, message: "request headers are larger than the server accepts (80 KiB in all)")
        default:
            answer = .malformedPayload("the HTTP request could not be parsed (\(parserError))")
        }
        onAnswer(answer)
        let body = ByteBuffer(bytes: answer.jsonBody)
        let head = HTTPResponse(
            status: .init(code: answer.status),
            headerFields: [
                .contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close",
            ]
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}
