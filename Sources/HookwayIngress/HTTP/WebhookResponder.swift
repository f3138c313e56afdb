import HTTPTypes
import HookwayCore
import HookwayProviders
public import Hummingbird
import Logging
import Metrics
import NIOCore

/// Answers every HTTP request of the ingress (CONTRACT.md §2). A hand-written responder rather
/// than a router: the surface is five paths, and it lets 405 come before 404 as the contract says.
public struct WebhookResponder: HTTPResponder {
    public typealias Context = IngressRequestContext

    let store: ConfigStore
    let publisher: any EventPublisher
    /// The Prometheus exposition of the process's metrics, for `GET /metrics`.
    let renderMetrics: @Sendable () -> [UInt8]
    let readiness: @Sendable () -> Readiness
    let intake = WebhookIntake()
    let topicAdmission: TopicAdmission

    public init(
        store: ConfigStore,
        publisher: any EventPublisher,
        metrics: @escaping @Sendable () -> [UInt8],
        topicAdmission: TopicAdmission = TopicAdmission(),
        readiness: @escaping @Sendable () -> Readiness
    ) {
        self.store = store
        self.publisher = publisher
        self.renderMetrics = metrics
        self.topicAdmission = topicAdmission
        self.readiness = readiness
    }

    /// The metric label of every request to a source the routes file does not name: labels
    /// take configured names only, so unauthenticated callers cannot create series.
    static let unknownSourceLabel = "_unknown"
    static let forwardedForHeader = HTTPField.Name("x-forwarded-for")

    public func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        switch path {
        case "/healthz":
            guard request.method == .get || request.method == .head else { return Self.error(.methodNotAllowed(request.method.rawValue)) }
            return Self.json(.ok, #"{"status":"ok"}"#)
        case "/readyz":
            guard request.method == .get || request.method == .head else { return Self.error(.methodNotAllowed(request.method.rawValue)) }
            let readiness = readiness()
            return Self.json(readiness.ready ? .ok : .serviceUnavailable, readiness.json)
        case "/metrics":
            guard request.method == .get || request.method == .head else { return Self.error(.methodNotAllowed(request.method.rawValue)) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: renderMetrics()))
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
        let configured = snapshot.config.sources[sourceName] != nil
        var accepted: (event: Event, topics: [String])?
        var warnings: [IntakeWarning] = []
        var refusedTopics: [String] = []
        let outcome: Result<Response, WebhookError>
        do throws(WebhookError) {
            guard request.method == .post else { throw .methodNotAllowed(request.method.rawValue) }
            guard let source = snapshot.config.sources[sourceName] else { throw .unknownSource(sourceName) }
            let limits = snapshot.config.limits
            let body = try await Self.readBody(request, limit: limits.maxBodyBytes)
            var headers: [(name: String, value: String)] = []
            headers.reserveCapacity(request.headers.count)
            var forwardedFor: [String] = []
            var proxied: IPAddress?
            for field in request.headers {
                if field.name == Self.forwardedForHeader {
                    forwardedFor.append(field.value)
                } else if field.name == ConnectionGuard.proxiedClientHeader {
                    proxied = IPAddress(field.value)
                    continue
                }
                headers.append((field.name.rawName, field.value))
            }
            let peer = context.remoteAddress?.ipAddress.flatMap(IPAddress.init)
            let webhook = WebhookRequest(
                method: request.method.rawValue,
                target: request.head.path ?? request.uri.string,
                headers: headers,
                body: body,
                peer: limits.clientAddress(peer: peer, proxied: proxied, forwardedFor: forwardedFor),
                urlToken: token,
                receivedAt: .now()
            )
            switch try intake.process(webhook, source: source, limits: limits, warnings: &warnings) {
            case .reply(let status, let contentType, let replyBody):
                outcome = .success(
                    Response(
                        status: .init(code: status),
                        headers: [.contentType: contentType],
                        body: .init(byteBuffer: ByteBuffer(bytes: replyBody))
                    )
                )
            case .event(let event):
                let admission = topicAdmission.admit(
                    snapshot.routeTable.topics(for: event),
                    table: snapshot.routeTable,
                    limit: snapshot.config.kafka.maxAutoCreated
                )
                let topics = admission.topics
                refusedTopics = admission.refused
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
        let sourceLabel = configured ? sourceName : Self.unknownSourceLabel
        metrics.record(source: sourceLabel, code: code, status: status, nanoseconds: elapsed.nanoseconds)
        for warning in warnings {
            metrics.warnings[.init(source: sourceLabel, code: warning.code.rawValue)].increment(by: warning.count)
            context.logger.warning(
                "webhook accepted with a warning",
                metadata: [
                    "source": "\(sourceLabel)", "code": "\(warning.code)", "reason": "\(warning.message)",
                    "id": "\(LogSafe.text(accepted?.event.id ?? "-"))",
                ]
            )
        }
        if !refusedTopics.isEmpty {
            context.logger.warning(
                "topic cap reached; event sent to the unrouted topic",
                metadata: [
                    "source": "\(sourceLabel)", "refused": "\(refusedTopics.prefix(3).map { LogSafe.text($0, limit: 64) }.joined(separator: ","))",
                    "limit": "\(snapshot.config.kafka.maxAutoCreated)", "id": "\(LogSafe.text(accepted?.event.id ?? "-"))",
                ]
            )
        }
        // A provider that drops an event after any 4xx: make those loud.
        let level: Logger.Level
        if status >= 400 && status < 500 && snapshot.config.sources[sourceName]?.traits.dropsEventOn4xx == true {
            level = .error
        } else if status >= 400 {
            level = .warning
        } else {
            level = .info
        }
        // One line per request; its metadata is built only when the line is written.
        if context.logger.logLevel <= level {
            // Every value below may come from the request: bounded and escaped.
            var metadata: Logger.Metadata = [
                "source": "\(configured ? sourceName : LogSafe.text(sourceName, limit: 64))", "status": "\(status)",
                "latency_ms": "\(Double(elapsed.nanoseconds) / 1_000_000)",
            ]
            if let accepted {
                metadata["type"] = "\(LogSafe.text(accepted.event.type))"
                metadata["id"] = "\(LogSafe.text(accepted.event.id))"
                metadata["topics"] = "\(LogSafe.text(accepted.topics.joined(separator: ","), limit: 512))"
            }
            if case .failure(let error) = outcome {
                metadata["code"] = "\(error.code)"
                metadata["reason"] = "\(LogSafe.text(error.message, limit: 512))"
            }
            context.logger.log(level: level, status >= 400 ? "webhook rejected" : "webhook", metadata: metadata)
        }
        return response
    }

    /// A provider that stops waiting (Bitso after 5 s) gets its answer before that.
    static func defaultAckTimeout(_ source: SourceConfig, _ config: RoutesConfig) -> Int {
        source.traits.answerDeadlineMs.map { min(config.kafka.ackTimeoutMs, $0) } ?? config.kafka.ackTimeoutMs
    }
}
