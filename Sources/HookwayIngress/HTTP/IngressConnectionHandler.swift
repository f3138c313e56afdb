import HookwayCore
import Logging
import NIOCore
import NIOHTTP1

/// The one owner of an ingress connection's HTTP: every request, a webhook or a health check,
/// is read and answered here, on the connection's event loop, driven by
/// ``ConnectionStateMachine``. The handler holds what the machine does not (the body being
/// collected, the exchange being answered, the scheduled timer) and performs its actions.
///
/// A webhook crosses threads twice: its Kafka sends are queued from this loop, and the delivery
/// report's completion comes back to it by `EventLoop.execute`. A body above
/// ``inlineBodyLimit`` is verified in a task, so that one large request cannot hold the loop.
final class IngressConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Bodies up to this size are verified on the event loop (HMAC and JSON of a few KB cost
    /// microseconds); larger ones in a task.
    static let inlineBodyLimit = 64 * 1024

    /// Fired into the pipeline on graceful shutdown: close when idle, else after the answer.
    struct Shutdown: Sendable {}

    /// What the handler knows of the request in progress.
    private enum Current {
        /// A webhook whose body is being collected.
        case webhook(WebhookCall, WebhookExchange, SourceConfig, body: ByteBuffer)
        /// A webhook being verified and published: its exchange is finished by the completion.
        case settling
        /// Anything else (health, readiness, metrics, an unknown path): answered at its end.
        case local(HTTPMethod, path: Substring)
    }

    private var machine: ConnectionStateMachine
    private var current: Current?
    private let responder: WebhookResponder
    private let logger: Logger
    private var context: ChannelHandlerContext?
    /// The deadline the machine wants now, and when it falls.
    private var wanted: (timer: ConnectionStateMachine.Timer, at: NIODeadline)?
    /// The one scheduled task of the connection, and when it fires (at or before `wanted`).
    private var armed: (task: Scheduled<Void>, at: NIODeadline)?
    private var readHeld = false
    private var draining = false
    private var needsFlush = false
    /// The last answer is out and the output half-closed; input is read and dropped until the
    /// client closes (or ``lingerTimeout``), so that its unread answers are not reset away.
    private var lingering = false
    /// How long a closing connection keeps draining what a pipelining client still sends.
    static let lingerTimeout = TimeAmount.seconds(2)
    /// The client a trusted proxy's PROXY header named (set by ``ConnectionPreamble``).
    var proxiedClient: IPAddress?

    init(settings: ConnectionStateMachine.Settings, responder: WebhookResponder, logger: Logger) {
        self.machine = ConnectionStateMachine(settings: settings)
        self.responder = responder
        self.logger = logger
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        syncTimer(context)
    }

    func channelActive(context: ChannelHandlerContext) {
        syncTimer(context)  // the head deadline runs from the connection's start
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !lingering else { return }
        let inbound: ConnectionStateMachine.Inbound
        switch unwrapInboundIn(data) {
        case .head(let head): inbound = .head(head)
        case .body(let bytes): inbound = .body(bytes)
        case .end: inbound = .end
        }
        perform(machine.receive(inbound), context: context)
        drain(context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is ByteToMessageDecoderError {
            // Bytes after a parser error (the decoder reads nothing more): the first error is
            // already queued behind the answers owed, which must still go out.
            return
        }
        guard let parserError = error as? HTTPParserError else {
            // Not the peer's bytes (a socket error): nothing can be answered.
            context.close(promise: nil)
            return
        }
        perform(machine.receive(.parserError(parserError)), context: context)
        drain(context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent {
            guard !lingering else { return context.close(promise: nil) }
            perform(machine.receive(.inputClosed), context: context)
            drain(context)
        } else if event is Shutdown {
            perform(machine.shutdown(), context: context)
            drain(context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        cancelTimer()
        if case .webhook(_, let exchange, _, _) = current {
            _ = responder.finish(exchange, .failure(.malformedPayload("the connection closed before the body ended")), logger: logger)
        }
        current = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReadingIfWanted(context)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        // Nothing more is read while an answer is owed, parts wait, or answers are not leaving.
        if lingering || (machine.wantsInput && context.channel.isWritable) {
            context.read()
        } else {
            readHeld = true
        }
    }

    // MARK: - From the connection preamble

    /// The first bytes of a request arrived (before the decoder).
    func bytesArrived() {
        guard let context else { return }
        machine.bytesArrived()
        syncTimer(context)
    }

    /// Closes a connection whose PROXY header is not valid (before any HTTP).
    func refuseProxyHeader() {
        guard let context else { return }
        ConnectionCloseReason.invalidProxyHeader.count()
        machine.closed()
        cancelTimer()
        context.close(promise: nil)
    }

    // MARK: - Actions

    /// Performs what queued while an answer was owed, in a loop (never by recursion: an answer
    /// given during the loop only changes the machine, and the loop goes on).
    private func drain(_ context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        while let action = machine.next() {
            perform(action, context: context)
        }
        draining = false
        flushIfNeeded(context)
        syncTimer(context)
        resumeReadingIfWanted(context)
    }

    private func perform(_ action: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .begin(let head):
            begin(head, context: context)
        case .sendContinue:
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            needsFlush = true
        case .append(var bytes):
            guard case .webhook(let call, let exchange, let source, var body) = current else { return }
            current = nil  // drop the reference so that the append does not copy the body
            body.writeBuffer(&bytes)
            current = .webhook(call, exchange, source, body: body)
        case .complete:
            complete(context: context)
        case .refuse(let refusal):
            refuse(refusal, context: context)
        case .close(let reason):
            reason?.count()
            cancelTimer()
            flushIfNeeded(context)
            context.close(promise: nil)
        }
    }

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = Self.pathOnly(head.uri)
        guard let (sourceName, token) = WebhookResponder.webhookPath(path) else {
            current = .local(head.method, path: path)
            // Nothing is kept of its body.
            perform(machine.admit(limit: machine.settings.discardLimit), context: context)
            return
        }
        let call = WebhookCall(
            method: head.method,
            target: head.uri,
            sourceName: sourceName,
            token: token,
            headers: head.headers,
            remoteAddress: context.channel.remoteAddress,
            proxiedClient: proxiedClient
        )
        var exchange = responder.start(call)
        do throws(WebhookError) {
            let source = try responder.admit(call, exchange: &exchange)
            let limit = exchange.snapshot.config.limits.maxBodyBytes
            let declared = head.headers.first(name: "content-length").flatMap { Int($0) }
            let body = context.channel.allocator.buffer(capacity: max(0, min(declared ?? 4096, limit)))
            current = .webhook(call, exchange, source, body: body)
            perform(machine.admit(limit: limit), context: context)
        } catch {
            current = nil
            write(responder.finish(exchange, .failure(error), logger: logger), context: context)
        }
    }

    private func complete(context: ChannelHandlerContext) {
        switch current {
        case .local(let method, let path):
            current = nil
            write(responder.answerLocal(method: method, path: path), context: context)
        case .webhook(let call, let exchange, let source, let body):
            current = .settling
            settle(call, exchange: exchange, source: source, body: Array(body.readableBytesView), context: context)
        case .settling, nil:
            break
        }
    }

    /// Verifies, normalizes and publishes a webhook whose body has been read, then answers it.
    private func settle(_ call: WebhookCall, exchange: WebhookExchange, source: SourceConfig, body: [UInt8], context: ChannelHandlerContext) {
        let responder = self.responder
        let logger = self.logger
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        guard body.count <= Self.inlineBodyLimit else {
            Task {
                let answer = await responder.answer(call, body: body, source: source, exchange: exchange, logger: logger)
                loop.execute { bound.value.0.settled(answer, context: bound.value.1) }
            }
            return
        }
        responder.settle(call, body: body, source: source, exchange: exchange) { settled, outcome in
            // A refusal or a provider's own reply comes before `settle` returns, on this loop; an
            // acknowledgement on the poll thread, where only the hop back to the loop happens.
            guard loop.inEventLoop else {
                return loop.execute {
                    bound.value.0.settled(responder.finish(settled, outcome, logger: logger), context: bound.value.1)
                }
            }
            bound.value.0.settled(responder.finish(settled, outcome, logger: logger), context: bound.value.1)
        }
    }

    /// A webhook's answer is ready: write it and go on with what waited behind it.
    private func settled(_ answer: Answer, context: ChannelHandlerContext) {
        guard case .settling = current else { return }  // the connection closed meanwhile
        current = nil
        write(answer, context: context)
        drain(context)
    }

    private func refuse(_ refusal: ConnectionStateMachine.Refusal, context: ChannelHandlerContext) {
        let error: WebhookError
        switch refusal {
        case .bodyTooLarge(let limit):
            error = .payloadTooLarge(limit: limit)
        case .bodyTimeout(let timeout):
            error = WebhookError(status: 408, code: .requestTimeout, message: "the body did not arrive within \(timeout.nanoseconds / 1_000_000) ms")
        case .unparsable(.headerOverflow):
            error = WebhookError(status: 431, code: .headersTooLarge, message: "request headers are larger than the server accepts (80 KiB in all)")
        case .unparsable(let parserError):
            error = .malformedPayload("the HTTP request could not be parsed (\(parserError))")
        case .bodyCutShort:
            error = .malformedPayload("the connection closed before the body ended")
        }
        if case .webhook(_, let exchange, _, _) = current {
            current = nil
            write(responder.finish(exchange, .failure(error), logger: logger), context: context)
            return
        }
        current = nil
        RequestMetrics.shared.requests[.init(source: "-", code: error.code.rawValue, status: error.status)].increment()
        logger.info("request refused by the HTTP layer", metadata: ["status": "\(error.status)", "code": "\(error.code.rawValue)"])
        write(WebhookResponder.error(error), context: context)
    }

    /// Writes the answer of the request in progress, as the machine says (or not at all, when
    /// the connection is gone).
    private func write(_ answer: Answer, context: ChannelHandlerContext) {
        guard case .write(let version, let keepAlive, let omitBody) = machine.answerReady() else { return }
        var headers = answer.headers
        headers.replaceOrAdd(name: "content-length", value: String(answer.body.readableBytes))
        headers.replaceOrAdd(name: "date", value: HTTPDate.now())
        headers.replaceOrAdd(name: "server", value: "hookway")
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        } else if version.minor == 0 {
            headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: answer.status, headers: headers))), promise: nil)
        if !omitBody, answer.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        }
        guard keepAlive else {
            if machine.closesForMaxRequests { ConnectionCloseReason.maxRequests.count() }
            cancelTimer()
            needsFlush = false
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.0.lingerThenClose(bound.value.1) }
            return
        }
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        needsFlush = true
    }

    /// Closes after the last answer the way a pipelining client can read it: a full close with
    /// its next requests unread would make the kernel reset the connection, and a reset discards
    /// the answers still in the client's receive buffer. So the output is half-closed first, and
    /// what still arrives is dropped until the client closes or ``lingerTimeout`` passes.
    private func lingerThenClose(_ context: ChannelHandlerContext) {
        guard context.channel.isActive, !lingering else { return }
        lingering = true
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let halfClosed = context.eventLoop.makePromise(of: Void.self)
        halfClosed.futureResult.whenComplete { result in
            let context = bound.value
            guard case .success = result else { return context.close(promise: nil) }
            context.read()
            context.eventLoop.scheduleTask(in: Self.lingerTimeout) { bound.value.close(promise: nil) }
        }
        context.close(mode: .output, promise: halfClosed)
    }

    // MARK: - Timers, flushing, reading

    /// Follows the machine's deadline with at most one scheduled task per connection, moved
    /// only when the deadline comes earlier than the task: a request's deadlines (body, then idle)
    /// change on every request, and scheduling and cancelling a task for each would be most of
    /// the cost. A task that fires early re-arms for the rest; one no deadline wants does nothing.
    private func syncTimer(_ context: ChannelHandlerContext) {
        guard machine.timer != wanted?.timer else { return }
        guard let timer = machine.timer, context.channel.isActive else {
            wanted = nil
            return
        }
        let delay: TimeAmount
        switch timer.deadline {
        case .header: delay = machine.settings.headerTimeout
        case .body: delay = machine.settings.bodyTimeout
        case .idle: delay = machine.settings.idleTimeout
        }
        let at = context.eventLoop.now + delay
        wanted = (timer, at)
        if let armed, armed.at <= at { return }
        schedule(at: at, context)
    }

    private func schedule(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        armed?.task.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.armed = nil
            handler.timerTaskFired(context)
        }
        armed = (task, deadline)
    }

    private func timerTaskFired(_ context: ChannelHandlerContext) {
        guard let wanted, context.channel.isActive else { return }
        guard context.eventLoop.now >= wanted.at else { return schedule(at: wanted.at, context) }
        self.wanted = nil
        perform(machine.timerFired(wanted.timer), context: context)
        drain(context)
    }

    private func cancelTimer() {
        armed?.task.cancel()
        armed = nil
        wanted = nil
    }

    private func flushIfNeeded(_ context: ChannelHandlerContext) {
        guard needsFlush else { return }
        needsFlush = false
        context.flush()
    }

    private func resumeReadingIfWanted(_ context: ChannelHandlerContext) {
        guard readHeld, machine.wantsInput, context.channel.isWritable else { return }
        readHeld = false
        context.read()
    }

    /// The path of a request target, without its query.
    static func pathOnly(_ target: String) -> Substring {
        guard let query = target.firstIndex(of: "?") else { return target[...] }
        return target[..<query]
    }
}

extension ConnectionStateMachine.Settings {
    init(_ limits: Limits) {
        self.init(
            headerTimeout: .milliseconds(Int64(limits.headerTimeoutMs)),
            idleTimeout: .milliseconds(Int64(limits.idleTimeoutMs)),
            bodyTimeout: .milliseconds(Int64(limits.readTimeoutMs)),
            maxRequests: limits.maxRequestsPerConnection,
            discardLimit: limits.maxBodyBytes
        )
    }
}
