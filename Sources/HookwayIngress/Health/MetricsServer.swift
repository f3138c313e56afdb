public import Hummingbird
public import Logging
public import ServiceLifecycle
import NIOCore

/// A small HTTP server for processes without the ingress (`hookway consume`): `GET /metrics`
/// (Prometheus text) and `GET /healthz`.
public enum MetricsServer {
    /// The server as a service for a `ServiceGroup`.
    public static func make(host: String, port: Int, metrics: MetricsEndpoint, logger: Logger) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "hookway-consume"), logger: logger)
    }
}
