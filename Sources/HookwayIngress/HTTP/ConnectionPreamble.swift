import HookwayCore
import NIOCore

/// The first handler of every ingress connection, in front of the HTTP decoder. It tells
/// ``IngressConnectionHandler`` when the bytes of a new request start arriving (so an idle connection's
/// head deadline starts then), and, when `limits.proxyProtocol` is on and the peer is a trusted
/// proxy, reads the PROXY protocol header (v1 or v2) the proxy sends first and hands its client
/// address to the connection handler. A connection from a trusted proxy that does not start with a valid
/// header is closed; other peers' bytes are never read as one.
final class ConnectionPreamble: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: IngressConnectionHandler
    private var expectsProxyHeader: Bool
    private var pending: ByteBuffer?

    init(connection: IngressConnectionHandler, expectsProxyHeader: Bool) {
        self.connection = connection
        self.expectsProxyHeader = expectsProxyHeader
    }

    /// Whether a connection from `peer` must start with a PROXY header.
    static func expectsProxyHeader(peer: SocketAddress?, limits: Limits) -> Bool {
        guard limits.proxyProtocol, let text = peer?.ipAddress, let address = IPAddress(text) else { return false }
        return limits.trustedProxies.contains { $0.contains(address) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard expectsProxyHeader else {
            if buffer.readableBytes > 0 { connection.bytesArrived() }
            context.fireChannelRead(data)
            return
        }
        if var held = pending {
            held.writeBuffer(&buffer)
            buffer = held
        }
        switch ProxyProtocolHeader.parse(buffer.readableBytesView) {
        case .needMoreData:
            // The head deadline (running since the connection started) bounds the wait.
            pending = buffer
        case .invalid:
            pending = nil
            connection.refuseProxyHeader()
        case .header(let source, let length):
            pending = nil
            expectsProxyHeader = false
            connection.proxiedClient = source
            buffer.moveReaderIndex(forwardBy: length)
            if buffer.readableBytes > 0 {
                connection.bytesArrived()
                context.fireChannelRead(wrapInboundOut(buffer))
            }
        }
    }
}
