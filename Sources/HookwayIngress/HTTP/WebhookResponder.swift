import HookwayCore
import HookwayProviders
import Logging
import Metrics
import NIOCore
import NIOHTTP1
public import Tracing

/// Answers every HTTP request of the ingress (CONTRACT.md §2) for ``IngressConnectionHandler``.
/// A hand-written responder rather than a router: the surface is five paths, and it lets 405
/// come before 404 as the contract says.
public struct WebhookResponder: Sendable {

    let store: ConfigStore
    let publisher: any EventPublisher
    /// The Prometheus exposition of the process's metrics, for `GET /metrics`.
    let renderMetrics: @Sendable () -> [UInt8]
    let readiness: @Sendable () -> Readiness
    let intake = WebhookIntake()
    let topicAdmission: TopicAdmission
    /// Where a webhook's spans go; `nil` when tracing is off, and then no span work is done at all.
    let tracer: (any Tracer)?

    public init(
        store: ConfigStore,
        publisher: any EventPublisher,
        metrics: @escaping @Sendable () -> [UInt8],
        topicAdmission: TopicAdmission = TopicAdmission(),
        tracer: (any Tracer)? = nil,
        readiness: @escaping @Sendable () -> Readiness
    ) {
        self.tracer = tracer
        self.store = store
        self.publisher = publisher
        self.renderMetrics = metrics
        self.topicAdmission = topicAdmission
        self.readiness = readiness
    }

    /// The metric label of every request to a source the routes file does not name: labels
    /// take configured names only, so unauthenticated callers cannot create series.
    static let unknownSourceLabel = "_unknown"

    /// The source and URL token of `/webhooks/{source}[/{token}]`, `nil` for any other path.
    static func webhookPath(_ path: Substring) -> (source: String, token: String?)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "webhooks", source[, token]
        guard segments.count == 3 || segments.count == 4, segments[0].isEmpty, segments[1] == "webhooks", !segments[2].isEmpty else {
            return nil
        }
        return (String(segments[2]), segments.count == 4 ? String(segments[3]) : nil)
    }
    /// Answers a request that is not a webhook: health, readiness, metrics (GET or HEAD), or 404.
    func answerLocal(method: HTTPMethod, path: Substring) -> Answer {
        switch path {
        case "/healthz", "/readyz", "/metrics":
            guard method == .GET || method == .HEAD else {
                let message = "\(LogSafe.text(method.rawValue, limit: 32)) is not allowed; \(path) is read with GET or HEAD"
                return Self.error(WebhookError(status: 405, code: .methodNotAllowed, message: message), allow: "GET, HEAD")
            }
        default:
            return Self.error(WebhookError(status: 404, code: .notFound, message: "no such path; webhooks go to /webhooks/{source}"))
        }
        switch path {
        case "/healthz":
            return Self.json(.ok, #"{"status":"ok"}"#)
        case "/readyz":
            let readiness = readiness()
            return Self.json(readiness.ready ? .ok : .serviceUnavailable, readiness.json)
        default:
            return Answer(
                status: .ok,
                headers: ["content-type": "text/plain; version=0.0.4; charset=utf-8"],
                body: ByteBuffer(bytes: renderMetrics())
            )
        }
    }

    /// Whether a webhook may send its body at all, from its head: the method, the source, the
    /// source's `allowFrom` and URL token (405, 404, 403, 401). A request that passes gets its
    /// `100 Continue`; the body's own checks come after it is read. What it found is kept in the
    /// exchange, so the intake does not check it again.
    func admit(_ call: WebhookCall, exchange: inout WebhookExchange) throws(WebhookError) -> SourceConfig {
        let source = try exchange.admit(call)
        let client = clientAddress(call, source: source, limits: exchange.snapshot.config.limits)
        exchange.admission = try intake.admit(peer: client, urlToken: call.token, source: source)
        return source
    }

    /// The client address `allowFrom` is checked against (only computed when it is needed):
    /// the TCP peer, or what a trusted proxy said (PROXY protocol, then `X-Forwarded-For`).
    func clientAddress(_ call: WebhookCall, source: SourceConfig, limits: Limits) -> IPAddress? {
        guard !source.allowFrom.isEmpty else { return nil }
        let peer = call.remoteAddress?.ipAddress.flatMap(IPAddress.init)
        return limits.clientAddress(peer: peer, proxied: call.proxiedClient, forwardedFor: call.headers["x-forwarded-for"])
    }

    /// Verifies, publishes and answers a webhook whose body has been read, in a task (bodies
    /// above ``IngressConnectionHandler/inlineBodyLimit``).
    func answer(_ call: WebhookCall, body: [UInt8], source: SourceConfig, exchange: WebhookExchange, logger: Logger) async -> Answer {
        let (settled, outcome) = await withCheckedContinuation { continuation in
            settle(call, body: body, source: source, exchange: exchange) { continuation.resume(returning: ($0, $1)) }
        }
        return finish(settled, outcome, logger: logger)
    }

    /// Verifies, normalizes and publishes a webhook whose body has been read; `completion` gets
    /// the exchange and the outcome for ``finish(_:_:logger:)`` — before this returns when no
    /// Kafka acknowledgement is needed (a refusal, a provider's own reply), else from the
    /// publisher (the producer's poll thread, so it must be quick).
    func settle(
        _ call: WebhookCall,
        body: [UInt8],
        source: SourceConfig,
        exchange: WebhookExchange,
        completion: @escaping @Sendable (WebhookExchange, Result<Answer, WebhookError>) -> Void
    ) {
        var exchange = exchange
        do throws(WebhookError) {
            switch try intake(call, body: body, source: source, exchange: &exchange) {
            case .answer(let answer):
                completion(exchange, .success(answer))
            case .publish(var event, let topics, let timeout):
                let settled = exchange
                let span = exchange.trace?.startPublish(&event, topics: topics)
                publisher.publish(event, to: topics, timeout: timeout, mode: exchange.snapshot.config.kafka.cloudEventsMode) { [event] result in
                    if let span { WebhookTrace.endPublish(span, result) }
                    completion(settled, result.map { Self.accepted(event, topics: topics, spooled: $0.spooled) })
                }
            }
        } catch {
            completion(exchange, .failure(error))
        }
    }

    /// The first step of every webhook: the clock starts and the configuration in force is taken.
    func start(_ call: WebhookCall) -> WebhookExchange {
        RequestMetrics.shared.inFlight.increment()
        let snapshot = store.current
        // Looked up once: a SourceConfig is a large value, and each copy retains its members.
        let source = snapshot.config.sources[call.sourceName]
        var exchange = WebhookExchange(started: ContinuousClock.now, sourceName: call.sourceName, source: source, snapshot: snapshot)
        if let tracer { exchange.trace = WebhookTrace.start(call, source: source, tracer: tracer) }
        return exchange
    }

    /// Verifies and normalizes a webhook whose body has been read: what to answer now, or the
    /// event to publish (and where, and how long to wait for Kafka).
    func intake(_ call: WebhookCall, body: [UInt8], source: SourceConfig, exchange: inout WebhookExchange) throws(WebhookError) -> WebhookStep {
        let snapshot = exchange.snapshot
        let limits = snapshot.config.limits
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(call.headers.count)
        for (name, value) in call.headers { headers.append((name, value)) }
        // Admitted from its head (``admit(_:exchange:)``): the address is not needed again.
        let client = exchange.admission == nil ? clientAddress(call, source: source, limits: limits) : nil
        let webhook = WebhookRequest(
            method: call.method.rawValue,
            target: call.target,
            headers: headers,
            body: body,
            peer: client,
            urlToken: call.token,
            receivedAt: .now()
        )
        let processed: AdapterOutcome
        if let trace = exchange.trace {
            processed = try trace.verify { () throws(WebhookError) in
                try intake.process(webhook, source: source, limits: limits, admitted: exchange.admission, warnings: &exchange.warnings)
            }
        } else {
            processed = try intake.process(webhook, source: source, limits: limits, admitted: exchange.admission, warnings: &exchange.warnings)
        }
        switch processed {
        case .reply(let status, let contentType, let replyBody):
            return .answer(Answer(status: .init(statusCode: status), headers: ["content-type": contentType], body: ByteBuffer(bytes: replyBody)))
        case .event(let event):
            let admission = topicAdmission.admit(
                snapshot.routeTable.topics(for: event),
                table: snapshot.routeTable,
                limit: snapshot.config.kafka.maxAutoCreated
            )
            exchange.refusedTopics = admission.refused
            exchange.accepted = (event, admission.topics)
            let timeout = Duration.milliseconds(source.ackTimeoutMs ?? Self.defaultAckTimeout(source, snapshot.config))
            return .publish(event, topics: admission.topics, timeout: timeout)
        }
    }

    /// The last step of every webhook: metrics, warnings and the request's log line, and the answer.
    func finish(_ exchange: WebhookExchange, _ outcome: Result<Answer, WebhookError>, logger: Logger) -> Answer {
        let metrics = RequestMetrics.shared
        defer { metrics.inFlight.decrement() }
        let answer: Answer
        let code: String
        switch outcome {
        case .success(let a):
            answer = a
            code = "ok"
        case .failure(let error):
            answer = Self.error(error)
            code = error.code.rawValue
        }
        let sourceName = exchange.sourceName
        let configured = exchange.source != nil
        let accepted = outcome.isSuccess ? exchange.accepted : nil
        let elapsed = ContinuousClock.now - exchange.started
        let status = Int(answer.status.code)
        if let trace = exchange.trace {
            let error: WebhookError? = if case .failure(let e) = outcome { e } else { nil }
            trace.finish(status: status, error: error, event: accepted?.event)
        }
        let sourceLabel = configured ? sourceName : Self.unknownSourceLabel
        metrics.record(source: sourceLabel, code: code, status: status, nanoseconds: elapsed.nanoseconds)
        for warning in exchange.warnings {
            metrics.warnings[.init(source: sourceLabel, code: warning.code.rawValue)].increment(by: warning.count)
            logger.warning(
                "webhook accepted with a warning",
                metadata: [
                    "source": "\(sourceLabel)", "code": "\(warning.code)", "reason": "\(warning.message)",
                    "id": "\(LogSafe.text(accepted?.event.id ?? "-"))",
                ]
            )
        }
        if !exchange.refusedTopics.isEmpty {
            logger.warning(
                "topic cap reached; event sent to the unrouted topic",
                metadata: [
                    "source": "\(sourceLabel)",
                    "refused": "\(exchange.refusedTopics.prefix(3).map { LogSafe.text($0, limit: 64) }.joined(separator: ","))",
                    "limit": "\(exchange.snapshot.config.kafka.maxAutoCreated)", "id": "\(LogSafe.text(accepted?.event.id ?? "-"))",
                ]
            )
        }
        // A provider that drops an event after any 4xx: make those loud.
        let level: Logger.Level
        if status >= 400 && status < 500 && exchange.source?.traits.dropsEventOn4xx == true {
            level = .error
        } else if status >= 400 {
            level = .warning
        } else {
            level = .info
        }
        // One line per request; its metadata is built only when the line is written.
        if logger.logLevel <= level {
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
            for (key, value) in exchange.trace?.logMetadata ?? [:] { metadata[key] = "\(value)" }
            if case .failure(let error) = outcome {
                metadata["code"] = "\(error.code)"
                metadata["reason"] = "\(LogSafe.text(error.message, limit: 512))"
            }
            logger.log(level: level, status >= 400 ? "webhook rejected" : "webhook", metadata: metadata)
        }
        return answer
    }

    /// A provider that stops waiting (Bitso after 5 s) gets its answer before that.
    static func defaultAckTimeout(_ source: SourceConfig, _ config: RoutesConfig) -> Int {
        source.traits.answerDeadlineMs.map { min(config.kafka.ackTimeoutMs, $0) } ?? config.kafka.ackTimeoutMs
    }
}
