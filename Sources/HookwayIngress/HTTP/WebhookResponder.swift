public import Hummingbird
public import HookwayCore
import HookwayProviders
public import Logging
import Metrics
import NIOCore

/// Answers every HTTP request of the ingress (CONTRACT.md §2). A hand-written responder rather
/// than a router: the surface is five paths, and it lets 405 come before 404 as the contract says.
public struct WebhookResponder: HTTPResponder {
    public typealias Context = IngressRequestContext

    let store: ConfigStore
    let publisher: any EventPublisher
    let metrics: MetricsEndpoint
    let isReady: @Sendable () -> Bool
    let intake = WebhookIntake()

    public init(store: ConfigStore, publisher: any EventPublisher, metrics: MetricsEndpoint, isReady: @escaping @Sendable () -> Bool) {
        self.store = store
        self.publisher = publisher
        self.metrics = metrics
        self.isReady = isReady
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        switch path {
        case "/healthz":
            guard request.method == .get || request.method == .head else { return Self.error(.methodNotAllowed(request.method.rawValue)) }
            return Self.json(.ok, #"{"status":"ok"}"#)
        case "/readyz":
            guard request.method == .get || request.method == .head else { return Self.error(.methodNotAllowed(request.method.rawValue)) }
            return isReady() ? Self.json(.ok, #"{"status":"ready"}"#) : Self.json(.serviceUnavailable, #"{"status":"not ready"}"#)
        case "/metrics":
            guard request.method == .get || request.method == .head else { return Self.error(.methodNotAllowed(request.method.rawValue)) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render()))
            )
        default:
            break
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "webhooks", source[, token]
        guard segments.count == 3 || segments.count == 4, segments[0].isEmpty, segments[1] == "webhooks", !segments[2].isEmpty else {
            return Self.error(WebhookError(status: 404, code: .notFound, message: "no such path; webhooks go to /webhooks/{source}"))
        }
        let sourceName = String(segments[2])
        let token = segments.count == 4 ? String(segments[3]) : nil
        return await handleWebhook(request, context: context, sourceName: sourceName, token: token)
    }

    func handleWebhook(_ request: Request, context: Context, sourceName: String, token: String?) async -> Response {
        let started = ContinuousClock.now
        let metrics = RequestMetrics.shared
        metrics.inFlight.increment()
        defer { metrics.inFlight.decrement() }
        let snapshot = store.current
        var accepted: (event: Event, topics: [String])?
        let outcome: Result<Response, WebhookError>
        do throws(WebhookError) {
            guard request.method == .post else { throw .methodNotAllowed(request.method.rawValue) }
            guard let source = snapshot.config.sources[sourceName] else { throw .unknownSource(sourceName) }
            let limits = snapshot.config.limits
            let body = try await Self.readBody(request, limit: limits.maxBodyBytes)
            var headers: [(name: String, value: String)] = []
            headers.reserveCapacity(request.headers.count)
            for field in request.headers { headers.append((field.name.rawName, field.value)) }
            let webhook = WebhookRequest(
                method: request.method.rawValue, target: request.head.path ?? request.uri.string, headers: headers, body: body,
                peer: context.remoteAddress?.ipAddress.flatMap(IPAddress.init), urlToken: token, receivedAt: .now()
            )
            switch try intake.process(webhook, source: source) {
            case .reply(let status, let contentType, let replyBody):
                outcome = .success(Response(
                    status: .init(code: status), headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: replyBody))
                ))
            case .event(let event):
                let topics = snapshot.routeTable.topics(for: event)
                let timeout = Duration.milliseconds(source.ackTimeoutMs ?? Self.defaultAckTimeout(source, snapshot.config))
                let receipt = try await publisher.publish(event, to: topics, timeout: timeout)
                outcome = .success(Self.accepted(event, topics: topics, spooled: receipt.spooled))
                accepted = (event, topics)
            }
        } catch {
            outcome = .failure(error)
        }
        let response: Response
        let code: String
        switch outcome {
        case .success(let r):
            response = r
            code = "ok"
        case .failure(let error):
            response = Self.error(error)
            code = error.code.rawValue
        }
        let elapsed = ContinuousClock.now - started
        let status = response.status.code
        metrics.record(source: sourceName, code: code, status: status, nanoseconds: elapsed.nanoseconds)
        // Bitso drops an event after any 4xx: make those loud.
        let level: Logger.Level
        if status >= 400 && status < 500 && snapshot.config.sources[sourceName]?.provider == "bitso" {
            level = .error
        } else if status >= 400 {
            level = .warning
        } else {
            level = .info
        }
        // One line per request; its metadata is built only when the line is written.
        if context.logger.logLevel <= level {
            var metadata: Logger.Metadata = ["source": "\(sourceName)", "status": "\(status)", "latency_ms": "\(Double(elapsed.nanoseconds) / 1_000_000)"]
            if let accepted {
                metadata["type"] = "\(accepted.event.type)"
                metadata["id"] = "\(accepted.event.id)"
                metadata["topics"] = "\(accepted.topics.joined(separator: ","))"
            }
            if case .failure(let error) = outcome {
                metadata["code"] = "\(error.code)"
                metadata["reason"] = "\(error.message)"
            }
            context.logger.log(level: level, status >= 400 ? "webhook rejected" : "webhook", metadata: metadata)
        }
        return response
    }

    /// Bitso retries only 5xx and timeouts after 5 s: answer before that.
    static func defaultAckTimeout(_ source: SourceConfig, _ config: RoutesConfig) -> Int {
        source.provider == "bitso" ? min(config.kafka.ackTimeoutMs, 4000) : config.kafka.ackTimeoutMs
    }
}
