import HookwayCore
import HummingbirdCore
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with the ingress's own handlers: the connection guard
/// right after the HTTP codec and the preamble reader in front of the decoder (see
/// ``ConnectionGuard`` and ``ConnectionPreamble``), both set up from the `limits` in force
/// when the connection is accepted, and the webhook fast path last (``WebhookFastPath``).
///
/// `limits.maxConnections` is enforced here too: a connection accepted while that many are open
/// is closed at once, before a byte of it is read (`hookway_connections_refused_total`), so a
/// flood of connections can never starve the ones already being served, and the refusal is
/// immediate rather than a wait in the listen backlog. A connection counts until it is fully
/// closed; one the client leaves half-open is closed by the idle timeout.
struct IngressChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http: HTTP1Channel
    let limits: @Sendable () -> Limits
    /// Answers webhooks on the event loop (``WebhookFastPath``); `nil`: Hummingbird answers all.
    let fastPath: WebhookResponder?
    let open = NIOLockedValueBox(0)
    static let refused = Counter(label: "hookway_connections_refused_total")
    static let openGauge = Gauge(label: "hookway_connections_open")

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        limits: @escaping @Sendable () -> Limits,
        fastPath: WebhookResponder?,
        additionalChannelHandlers: @escaping @Sendable () -> [any RemovableChannelHandler]
    ) {
        self.http = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: additionalChannelHandlers()))
        self.limits = limits
        self.fastPath = fastPath
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let limits = self.limits()
        let open = self.open
        let admitted = open.withLockedValue { count -> Bool in
            guard count < limits.maxConnections else { return false }
            count += 1
            return true
        }
        if admitted {
            Self.openGauge.record(open.withLockedValue { $0 })
            channel.closeFuture.whenComplete { _ in
                Self.openGauge.record(
                    open.withLockedValue { count in
                        count -= 1
                        return count
                    }
                )
            }
        } else {
            Self.refused.increment()
            channel.close(promise: nil)
        }
        return http.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let connectionGuard = ConnectionGuard(settings: .init(limits))
            let codec = try operations.handler(type: HTTP1ToHTTPServerCodec.self)
            try operations.addHandler(connectionGuard, position: .after(codec))
            let preamble = ConnectionPreamble(
                connectionGuard: connectionGuard,
                expectsProxyHeader: ConnectionPreamble.expectsProxyHeader(peer: channel.remoteAddress, limits: limits)
            )
            try operations.addHandler(preamble, position: .first)
            if let fastPath = self.fastPath {
                // After Hummingbird's connection state handler, so that it sees every request and
                // answer (keep-alive, idle timeout, graceful shutdown) whichever path answers.
                let state = try operations.handler(type: HTTPConnectionStateHandler.self)
                try operations.addHandler(WebhookFastPath(responder: fastPath, logger: logger), position: .after(state))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with the ingress's connection limits and PROXY protocol support.
    static func ingress(
        limits: @escaping @Sendable () -> Limits,
        fastPath: WebhookResponder?,
        additionalChannelHandlers: @escaping @Sendable () -> [any RemovableChannelHandler]
    ) -> HTTPServerBuilder {
        .init { responder in
            IngressChannel(responder: responder, limits: limits, fastPath: fastPath, additionalChannelHandlers: additionalChannelHandlers)
        }
    }
}
