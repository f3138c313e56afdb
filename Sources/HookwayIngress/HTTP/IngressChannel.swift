import HookwayCore
public import HummingbirdCore
public import Logging
import Metrics
import NIOConcurrencyHelpers
public import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Sets up each ingress connection: admission (`limits.maxConnections`), the PROXY-protocol
/// preamble from trusted proxies (``ConnectionPreamble``), NIO's HTTP/1.1 codec, and the one
/// handler that owns the connection's HTTP (``IngressConnectionHandler``). Hummingbird's `Server`
/// runs the listener and the service lifecycle; no Hummingbird handler is in the connection.
///
/// A connection accepted while `limits.maxConnections` are open is closed at once, before a byte
/// of it is read (`hookway_connections_refused_total`), so a flood of connections can never
/// starve the ones already being served. A connection counts until it is fully closed.
public struct IngressChannel: ServerChildChannel {
    public struct Value: ServerChildChannelValue {
        public let channel: any Channel
    }

    let responder: WebhookResponder
    let limits: @Sendable () -> Limits
    let open = NIOLockedValueBox(0)
    static let refused = Counter(label: "hookway_connections_refused_total")
    static let openGauge = Gauge(label: "hookway_connections_open")

    init(responder: WebhookResponder, limits: @escaping @Sendable () -> Limits) {
        self.responder = responder
        self.limits = limits
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let limits = self.limits()
        let open = self.open
        let admitted = open.withLockedValue { count -> Bool in
            guard count < limits.maxConnections else { return false }
            count += 1
            return true
        }
        guard admitted else {
            Self.refused.increment()
            channel.close(promise: nil)
            return channel.eventLoop.makeSucceededFuture(Value(channel: channel))
        }
        Self.openGauge.record(open.withLockedValue { $0 })
        channel.closeFuture.whenComplete { _ in
            Self.openGauge.record(
                open.withLockedValue { count in
                    count -= 1
                    return count
                }
            )
        }
        return channel.eventLoop.makeCompletedFuture {
            let operations = channel.pipeline.syncOperations
            var decoderLimits = NIOHTTPDecoderLimitConfiguration()
            decoderLimits.maxHeaderFieldSize = 80 * 1024
            decoderLimits.maxHeaderListSize = 80 * 1024
            decoderLimits.maxHeaderFieldCount = 1000
            try operations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // the connection handler orders answers itself
                withErrorHandling: false,  // and answers parser errors itself
                withOutboundHeaderValidation: false,  // it writes only headers it made
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: decoderLimits
            )
            let connection = IngressConnectionHandler(settings: .init(limits), responder: responder, logger: logger)
            try operations.addHandler(connection)
            let preamble = ConnectionPreamble(
                connection: connection,
                expectsProxyHeader: ConnectionPreamble.expectsProxyHeader(peer: channel.remoteAddress, limits: limits)
            )
            try operations.addHandler(preamble, position: .first)
            return Value(channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        let channel = value.channel
        await withGracefulShutdownHandler {
            // Its result is not needed: the connection is over either way, and every answer,
            // publish and metric of it was settled by the handler on the loop.
            try? await channel.closeFuture.get()
        } onGracefulShutdown: {
            channel.pipeline.fireUserInboundEventTriggered(IngressConnectionHandler.Shutdown())
        }
    }
}
