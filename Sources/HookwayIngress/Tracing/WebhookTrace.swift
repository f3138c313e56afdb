import HookwayCore
import HookwayKafka
import HookwayTracing
import NIOHTTP1
import Tracing

/// The spans of one webhook (issue 30): a server span from the head to the answer, with child
/// spans for verification and the Kafka publish. The publish span's context becomes the event's
/// ``HookwayCore/TraceContext``, so every sink continues this trace.
///
/// What a caller says about its own trace (`traceparent`) is recorded as a span link, never
/// adopted as the parent, unless its source sets `trustTraceContext`: a caller on the public
/// internet must not choose our trace ids. Nothing here records a secret or a body: the URL
/// token is redacted and only configured source names are used.
struct WebhookTrace: Sendable {
    let tracer: any Tracer
    let server: any Span

    /// The server span of a webhook whose head was just read.
    static func start(_ call: WebhookCall, source: SourceConfig?, tracer: any Tracer) -> WebhookTrace {
        let label = source?.name ?? WebhookResponder.unknownSourceLabel
        var parent = ServiceContext.topLevel
        var caller: ServiceContext?
        if call.headers.contains(name: "traceparent") {
            var context = ServiceContext.topLevel
            tracer.extract(call.headers, into: &context, using: HTTPHeadersExtractor())
            if source?.trustTraceContext == true { parent = context } else { caller = context }
        }
        let method = LogSafe.text(call.method.rawValue, limit: 32)
        let span = tracer.startSpan("\(method) /webhooks/\(label)", context: parent, ofKind: .server)
        // A span the sampler dropped records nothing: skip building what it would throw away.
        guard span.isRecording else { return WebhookTrace(tracer: tracer, server: span) }
        if let caller { span.addLink(SpanLink(context: caller, attributes: [:])) }
        span.attributes["http.request.method"] = method
        span.attributes["http.route"] = "/webhooks/{source}"
        span.attributes["url.path"] = call.token == nil ? "/webhooks/\(label)" : "/webhooks/\(label)/REDACTED"
        span.attributes["hookway.source"] = label
        if let peer = call.remoteAddress?.ipAddress { span.attributes["network.peer.address"] = peer }
        if let agent = call.headers.first(name: "user-agent") { span.attributes["user_agent.original"] = LogSafe.text(agent, limit: 256) }
        return WebhookTrace(tracer: tracer, server: span)
    }

    /// Runs the signature check and normalization in a `verify` span.
    func verify<T>(_ body: () throws(WebhookError) -> T) throws(WebhookError) -> T {
        // Not sampled: no child spans at all (they would be dropped too).
        guard server.isRecording else { return try body() }
        let span = tracer.startSpan("verify", context: server.context, ofKind: .internal)
        defer { span.end() }
        do {
            return try body()
        } catch {
            span.attributes["error.type"] = error.code.rawValue
            span.setStatus(SpanStatus(code: .error, message: error.message))
            throw error
        }
    }

    /// Starts the publish span of `event` and gives the event its context: what travels in the
    /// Kafka headers and the CloudEvent, and what the spool keeps.
    func startPublish(_ event: inout Event, topics: [String]) -> any Span {
        let destination = topics.count == 1 ? topics[0] : topics.joined(separator: ",")
        let span = tracer.startSpan("send \(destination)", context: server.context, ofKind: .producer)
        // Not sampled, the context still travels (with its sampled flag off), so the sinks'
        // spans are not sampled either.
        event.traceContext = TraceContext(of: span.context, instrument: tracer)
        guard span.isRecording else { return span }
        span.attributes["messaging.system"] = "kafka"
        span.attributes["messaging.operation.type"] = "send"
        span.attributes["messaging.destination.name"] = destination
        if topics.count > 1 { span.attributes["messaging.batch.message_count"] = topics.count }
        span.attributes["messaging.message.id"] = event.id
        span.attributes["cloudevents.event_id"] = event.id
        span.attributes["cloudevents.event_type"] = event.type
        return span
    }

    /// Ends a publish span with where the event went (or why it did not).
    static func endPublish(_ span: any Span, _ result: Result<PublishReceipt, WebhookError>) {
        guard span.isRecording else { return span.end() }
        switch result {
        case .success(let receipt):
            span.attributes["hookway.spooled"] = receipt.spooled
            if receipt.reports.count == 1, let report = receipt.reports.first {
                span.attributes["messaging.destination.partition.id"] = "\(report.partition)"
                span.attributes["messaging.kafka.offset"] = Int(report.offset)
            } else if !receipt.reports.isEmpty {
                span.attributes["hookway.kafka.positions"] = receipt.reports.positionsAttribute
            }
        case .failure(let error):
            span.attributes["error.type"] = error.code.rawValue
            span.setStatus(SpanStatus(code: .error, message: error.message))
        }
        span.end()
    }

    /// Ends the server span with the answer's status (an error for 5xx, as the HTTP server
    /// conventions say: a 4xx is the caller's problem, not the server's).
    func finish(status: Int, error: WebhookError?, event: Event?) {
        guard server.isRecording else { return server.end() }
        server.attributes["http.response.status_code"] = status
        if let event {
            server.attributes["cloudevents.event_id"] = event.id
            server.attributes["cloudevents.event_type"] = event.type
        }
        if let error {
            server.attributes["error.type"] = error.code.rawValue
            if status >= 500 { server.setStatus(SpanStatus(code: .error, message: error.message)) }
        }
        server.end()
    }

    /// `trace_id` and `span_id` of the server span, for the request's log line.
    var logMetadata: [String: String] {
        guard let trace = TraceContext(of: server.context, instrument: tracer) else { return [:] }
        return ["trace_id": String(trace.traceID), "span_id": String(trace.spanID)]
    }
}

extension [DeliveryReport] {
    /// `topic[partition]@offset,…`: where the copies went, as one span attribute.
    var positionsAttribute: String { map { "\($0.topic)[\($0.partition)]@\($0.offset)" }.joined(separator: ",") }
}
