import HTTPTypes
import HookwayCore
import Logging
import NIOCore
import NIOHTTPTypes

/// Answers `POST /webhooks/…` on the connection's event loop, without a task: the body is
/// collected here, verified and normalized here, the Kafka sends are queued here, and the
/// delivery report's completion comes back to this loop to write the answer. Everything else
/// (health, metrics, a webhook path with another method) goes on to Hummingbird's responder.
///
/// A request through Hummingbird crosses threads four times (event loop → cooperative pool →
/// librdkafka → poll thread → pool → event loop); here it crosses twice (event loop →
/// librdkafka → poll thread → event loop). The answer, the metrics and the log line are
/// ``WebhookResponder``'s own (`start`, `intake`, `finish`), so both paths answer alike.
///
/// Answers keep the requests' order: a webhook is answered here only when Hummingbird owes no
/// answer on the connection, and while one is being answered nothing more is read (a pipelining
/// client's next requests wait in the socket, or, already decoded, in `pending`). A body larger
/// than ``inlineBodyLimit`` is verified in a task, so that one large request cannot hold the loop.
final class WebhookFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Bodies up to this size are verified on the event loop (HMAC and JSON of a few KB cost
    /// microseconds); larger ones in a task.
    static let inlineBodyLimit = 64 * 1024

    private enum State {
        case idle
        /// A request Hummingbird answers: its parts go on until its end.
        case forwarding
        /// A webhook whose body is being read.
        case reading(WebhookCall, WebhookExchange, SourceConfig, body: ByteBuffer, limit: Int)
        /// A webhook answered before its body was read (405, 404, 413): the rest is dropped.
        case discarding
        /// A webhook being published; nothing more is read until it is answered.
        case answering
    }

    private var state = State.idle
    /// Answers Hummingbird owes on this connection (requests passed on, not yet ended).
    private var owedByHummingbird = 0
    /// Parts decoded while a webhook was being answered, handled after its answer.
    private var pending = CircularBuffer<HTTPRequestPart>()
    private var readRequested = false
    /// The request said `Connection: close`: close once it is answered.
    private var closeAfterAnswer = false
    /// The client half-closed while a webhook was being answered: passed on after the answer
    /// (Hummingbird's stream would otherwise end and close the connection before it).
    private var inputClosedHeld = false
    private let responder: WebhookResponder
    private let logger: Logger

    init(responder: WebhookResponder, logger: Logger) {
        self.responder = responder
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        // Behind a webhook being answered, or behind parts that arrived while it was: in order.
        guard !isAnswering, pending.isEmpty else {
            pending.append(part)
            return
        }
        handle(part, context: context)
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (state, part) {
        case (.idle, .head(let head)):
            guard owedByHummingbird == 0, head.method == .post, let target = head.path,
                let (sourceName, token) = WebhookResponder.webhookPath(Self.pathOnly(target))
            else {
                owedByHummingbird += 1
                state = .forwarding
                context.fireChannelRead(wrapInboundOut(part))
                return
            }
            closeAfterAnswer = head.headerFields[.connection] == "close"
            let call = WebhookCall(
                method: head.method,
                target: target,
                sourceName: sourceName,
                token: token,
                headers: head.headerFields,
                remoteAddress: context.channel.remoteAddress
            )
            let exchange = responder.start(call)
            do throws(WebhookError) {
                let source = try exchange.admit(call)
                let limit = exchange.snapshot.config.limits.maxBodyBytes
                let declared = head.headerFields[.contentLength].flatMap(Int.init)
                if let declared, declared > limit { throw WebhookError.payloadTooLarge(limit: limit) }
                let body = context.channel.allocator.buffer(capacity: min(declared ?? 4096, limit))
                state = .reading(call, exchange, source, body: body, limit: limit)
            } catch {
                state = .discarding
                write(responder.finish(exchange, .failure(error), logger: logger), context: context)
            }
        case (.forwarding, _):
            if case .end = part { state = .idle }
            context.fireChannelRead(wrapInboundOut(part))
        case (.reading(let call, let exchange, let source, var body, let limit), .body(var chunk)):
            state = .idle  // drop the state's reference to the body, so that the write below does not copy it
            guard body.readableBytes + chunk.readableBytes <= limit else {
                state = .discarding
                write(responder.finish(exchange, .failure(.payloadTooLarge(limit: limit)), logger: logger), context: context)
                return
            }
            body.writeBuffer(&chunk)
            state = .reading(call, exchange, source, body: body, limit: limit)
        case (.reading(let call, let exchange, let source, let body, _), .end):
            state = .answering
            answer(call, exchange: exchange, source: source, body: Array(body.readableBytesView), context: context)
        case (.discarding, .end):
            state = .idle
            if closeAfterAnswer { context.close(promise: nil) }
        case (.discarding, _):
            break
        default:
            // A part out of order (a head inside a body): the decoder does not produce these.
            context.close(promise: nil)
        }
    }

    /// Verifies, normalizes and publishes a webhook whose body has been read, then answers it.
    private func answer(_ call: WebhookCall, exchange: WebhookExchange, source: SourceConfig, body: [UInt8], context: ChannelHandlerContext) {
        let responder = self.responder
        let logger = self.logger
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        guard body.count <= Self.inlineBodyLimit else {
            Task {
                let answer = await responder.answer(call, body: body, source: source, exchange: exchange, logger: logger)
                loop.execute { bound.value.0.answered(answer, context: bound.value.1) }
            }
            return
        }
        responder.settle(call, body: body, source: source, exchange: exchange) { settled, outcome in
            // A refusal or a provider's own reply comes before `settle` returns, on this loop; an
            // acknowledgement on the poll thread, where only the hop back to the loop happens.
            guard loop.inEventLoop else {
                return loop.execute { bound.value.0.answered(responder.finish(settled, outcome, logger: logger), context: bound.value.1) }
            }
            bound.value.0.answered(responder.finish(settled, outcome, logger: logger), context: bound.value.1)
        }
    }

    /// Writes the answer of the webhook being answered and goes on with the connection.
    private func answered(_ answer: Answer, context: ChannelHandlerContext) {
        guard case .answering = state else { return }  // the connection closed meanwhile
        state = .idle
        write(answer, context: context)
        if closeAfterAnswer {
            context.close(promise: nil)
            return
        }
        // Every part that waited, until one starts another webhook's answer (a forwarded request
        // goes to Hummingbird whole, head to end).
        var replayed = false
        while !isAnswering, let part = pending.popFirst() {
            handle(part, context: context)
            replayed = true
        }
        // Outside a read cycle: the parts passed on reach Hummingbird's stream on read-complete.
        if replayed { context.fireChannelReadComplete() }
        if inputClosedHeld, !isAnswering {
            inputClosedHeld = false
            context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        if readRequested, !isAnswering {
            readRequested = false
            context.read()
        }
    }

    private var isAnswering: Bool {
        if case .answering = state { return true }
        return false
    }

    private func write(_ answer: Answer, context: ChannelHandlerContext) {
        var headers = answer.headers
        headers[.contentLength] = String(answer.body.readableBytes)
        headers[.date] = HTTPDate.now()
        headers[.server] = "hookway"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: headers))), promise: nil)
        if answer.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(answer.body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    // Hummingbird's answers pass through here on their way out.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { owedByHummingbird = max(0, owedByHummingbird - 1) }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        // Nothing more is read while a webhook is being answered (see the type's comment).
        if isAnswering {
            readRequested = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent, isAnswering || !pending.isEmpty {
            inputClosedHeld = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .reading(_, let exchange, _, _, _) = state else {
            context.fireErrorCaught(error)
            return
        }
        // The body did not arrive in time (``BodyReadDeadline``), or the connection failed
        // mid-body: answer what can be answered, then close, as Hummingbird's path does.
        state = .discarding
        if let timeout = error as? BodyReadTimeout {
            let refusal = WebhookError(status: 408, code: .requestTimeout, message: timeout.description)
            write(responder.finish(exchange, .failure(refusal), logger: logger), context: context)
        } else {
            _ = responder.finish(exchange, .failure(.malformedPayload("the request body could not be read: \(error)")), logger: logger)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .reading(_, let exchange, _, _, _) = state {
            _ = responder.finish(exchange, .failure(.malformedPayload("the connection closed before the body ended")), logger: logger)
        }
        state = .discarding
        pending.removeAll()
        context.fireChannelInactive()
    }

    /// The path of a request target, without its query.
    static func pathOnly(_ target: String) -> Substring {
        guard let query = target.firstIndex(of: "?") else { return target[...] }
        return target[..<query]
    }
}
