import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle

/// A small HTTP server for processes without the ingress (`hookway consume`): `GET /metrics`
/// (Prometheus text) and `GET /healthz`.
public enum MetricsServer {
    /// The server as a service for a `ServiceGroup`.
    /// `health` answers `/healthz`: whether the process is healthy and the JSON body.
    public static func make(
        host: String,
        port: Int,
        metrics: MetricsEndpoint,
        logger: Logger,
        health: @escaping @Sendable () -> (healthy: Bool, json: String) = { (true, #"{"status":"ok"}"#) },
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render()))
            )
        }
        router.get("/healthz") { _, _ in
            let (healthy, json) = health()
            return Response(
                status: healthy ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: json))
            )
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "hookway-consume"),
            onServerRunning: { channel in await onServerRunning?(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}
