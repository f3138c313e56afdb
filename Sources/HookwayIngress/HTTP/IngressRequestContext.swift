public import Hummingbird
public import NIOCore

/// The request context of the ingress: Hummingbird's core storage plus the TCP peer address,
/// which `allowFrom` checks.
public struct IngressRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer of the TCP connection (not a forwarded header: those can be forged).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
