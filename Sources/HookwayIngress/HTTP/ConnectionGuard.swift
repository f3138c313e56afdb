import HTTPTypes
import HookwayCore
import Metrics
import NIOCore
import NIOHTTPTypes

/// The per-connection limits of `limits` (docs/security.md): a request head must arrive within
/// `headerTimeoutMs` (of the connection's start, or of the first byte of a later request), an
/// idle keep-alive connection is closed after `idleTimeoutMs`, and after
/// `maxRequestsPerConnection` answers the connection is closed (`Connection: close`).
///
/// It also carries the client address a trusted proxy's PROXY header named (read by
/// ``ConnectionPreamble`` in front of the HTTP decoder) into each request as the internal
/// header ``proxiedClientHeader`` — and strips that header from whatever the client sent, so
/// it can only ever come from here.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    struct Settings: Sendable {
        var headerTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var maxRequests: Int

        init(_ limits: Limits) {
            headerTimeout = .milliseconds(Int64(limits.headerTimeoutMs))
            idleTimeout = .milliseconds(Int64(limits.idleTimeoutMs))
            maxRequests = limits.maxRequestsPerConnection
        }
    }

    /// The internal header that carries the PROXY-protocol client address to the responder.
    static let proxiedClientHeader = HTTPField.Name("hookway-internal-proxied-client")

    /// Why a connection was closed by a limit (the `reason` label of
    /// `hookway_connections_closed_total`; a fixed set, never from input).
    enum CloseReason: String, CaseIterable {
        case headerTimeout = "header_timeout"
        case idleTimeout = "idle_timeout"
        case maxRequests = "max_requests"
        case invalidProxyHeader = "invalid_proxy_header"

        static let counters: [CloseReason: Counter] = Dictionary(
            uniqueKeysWithValues: allCases.map {
                ($0, Counter(label: "hookway_connections_closed_total", dimensions: [("reason", $0.rawValue)]))
            }
        )
        var counter: Counter? { Self.counters[self] }
    }

    private enum State {
        /// Waiting for a request head; the deadline timer runs.
        case awaitingHead
        /// Requests in progress (heads seen, responses not ended).
        case serving(Int)
        /// Between requests, nothing received yet; the idle timer runs.
        case idle
    }

    private let settings: Settings
    private var state = State.awaitingHead
    private var timer: Scheduled<Void>?
    private var answered = 0
    private var closeAfterResponse = false
    /// The client a trusted proxy's PROXY header named.
    var proxiedClient: IPAddress?

    init(settings: Settings) {
        self.settings = settings
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, after: settings.headerTimeout, reason: .headerTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, after: settings.headerTimeout, reason: .headerTimeout)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    /// The first bytes of a request arrived (from ``ConnectionPreamble``): an idle connection
    /// now has `headerTimeout` to deliver the whole head.
    func bytesArrived(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .awaitingHead
        arm(context, after: settings.headerTimeout, reason: .headerTimeout)
    }

    /// Closes a connection whose PROXY header is not valid (before any HTTP).
    func refuseProxyHeader(context: ChannelHandlerContext) {
        disarm()
        CloseReason.invalidProxyHeader.counter?.increment()
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        disarm()
        switch state {
        case .serving(let n): state = .serving(n + 1)
        case .awaitingHead, .idle: state = .serving(1)
        }
        if let name = Self.proxiedClientHeader {
            head.headerFields[name] = nil
            if let proxiedClient { head.headerFields[name] = proxiedClient.description }
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            answered += 1
            guard answered >= settings.maxRequests, !closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            closeAfterResponse = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            let closing = closeAfterResponse
            if case .serving(let n) = state {
                if n <= 1 {
                    state = .idle
                    if !closing { arm(context, after: settings.idleTimeout, reason: .idleTimeout) }
                } else {
                    state = .serving(n - 1)
                }
            }
            guard closing else {
                context.write(data, promise: promise)
                return
            }
            CloseReason.maxRequests.counter?.increment()
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(data).whenComplete { result in
                promise?.completeWith(result)
                loopBound.value.close(promise: nil)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    private func arm(_ context: ChannelHandlerContext, after timeout: TimeAmount, reason: CloseReason) {
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            reason.counter?.increment()
            loopBound.value.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
