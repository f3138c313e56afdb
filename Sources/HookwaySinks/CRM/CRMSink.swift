import AsyncHTTPClient
public import HookwayCore
import HookwayTracing
public import Logging
import NIOCore

/// The `crm` sink: one HTTP request per event, built from the sink's URL, header and body
/// templates, sent with `Idempotency-Key: <event id>` so the receiving system can drop a
/// redelivery.
///
/// 408, 425, 429, 5xx, connection errors and timeouts are transient (a `Retry-After` in
/// seconds is passed on to the runner); any other status outside `successStatus` is permanent.
public struct CRMSink: Sink {
    let options: CRMOptions
    let client: HTTPClient
    let logger: Logger

    /// Parses the options (resolving `{env:…}` references) and starts the HTTP client; a
    /// problem is a permanent ``SinkError`` naming the option's JSON path.
    public static func make(
        _ config: SinkConfig,
        environment: [String: String]? = nil,
        logger: Logger = Logger(label: "hookway.sink.crm")
    ) throws(SinkError) -> CRMSink {
        let (options, problems) = CRMOptions.parse(config, environment: environment)
        guard let options else {
            throw .permanent(.sinkConfigInvalid, problems.filter { $0.severity == .error }.map(\.description).joined(separator: "; "))
        }
        return CRMSink(options: options, connections: config.maxInFlight, logger: logger)
    }

    /// `connections`: the sink's `concurrency`, so every lane has a connection of its own.
    public init(options: CRMOptions, connections: Int = 8, logger: Logger = Logger(label: "hookway.sink.crm")) {
        self.options = options
        self.logger = logger
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(min(options.timeoutMs, 10_000))), read: .milliseconds(Int64(options.timeoutMs)))
        configuration.redirectConfiguration = .disallow
        // AsyncHTTPClient keeps 8 connections per host by default: above that, lanes would
        // queue for a connection and `concurrency` 16 would act as 8.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connections)
        // One client, one connection pool per sink, reused by every delivery.
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// The `{env:…}`/`{file:…}` values the URL and headers use.
    public var secrets: [Secret] { Array(options.secrets.values) }

    @discardableResult
    public func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        do {
            try await deliverUnscrubbed(event)
            return .delivered
        } catch {
            // A secret in the URL's path or userinfo (or echoed by the server) must not reach
            // the log or the dead-letter header.
            throw SinkError(code: error.code, scrubber.scrub(error.message), permanent: error.isPermanent, retryAfter: error.retryAfter)
        }
    }

    private var scrubber: SecretScrubber { SecretScrubber(options.secrets.values) }

    func deliverUnscrubbed(_ event: Event) async throws(SinkError) {
        let request = try self.request(for: event)
        let response: HTTPClientResponse
        do {
            // The span records the URL as the logs do: no query, no secret.
            response = try await client.tracedExecute(
                request,
                timeout: .milliseconds(Int64(options.timeoutMs)),
                url: scrubber.scrub(Self.redacted(request.url))
            )
        } catch {
            throw .transient(.destinationUnavailable, "\(options.method) \(Self.redacted(request.url)) failed: \(error)")
        }
        let status = Int(response.status.code)
        let snippet = await Self.bodySnippet(response)
        if options.successStatus?.contains(status) ?? (200..<300).contains(status) {
            logger.info("delivered", metadata: ["event.id": "\(event.id)", "status": "\(status)"])
            return
        }
        let message = "\(options.method) \(Self.redacted(request.url)) answered \(status)\(snippet.isEmpty ? "" : ": \(snippet)")"
        logger.trace("CRM error response", metadata: ["event.id": "\(event.id)", "status": "\(status)", "body": "\(snippet)"])
        if [408, 425, 429].contains(status) || status >= 500 {
            throw .transient(
                .destinationUnavailable,
                message,
                retryAfter: response.headers.first(name: "retry-after").flatMap { RetryAfter.parse($0) }
            )
        }
        throw .permanent(.destinationRejected, message)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// The request for `event`: rendered URL, headers and body.
    func request(for event: Event) throws(SinkError) -> HTTPClientRequest {
        let url = renderURL(event)
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .permanent(.renderInvalid, "url renders to \"\(Self.redacted(url))\", not an http(s) URL (event \(event.id))")
        }
        var request = HTTPClientRequest(url: url)
        switch options.method {
        case "GET": request.method = .GET
        case "PUT": request.method = .PUT
        case "PATCH": request.method = .PATCH
        case "DELETE": request.method = .DELETE
        default: request.method = .POST
        }
        let body: [UInt8]
        let contentType: String
        switch options.body {
        case .event:
            body = event.jsonBytes()
            contentType = "application/cloudevents+json; charset=utf-8"
        case .template(let template):
            body = JSONWriter.encode(template.render(event))
            contentType = "application/json"
        }
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "hookway")
        for header in options.headers {
            // Event data must not start a new header line.
            let value = options.render(header.value, for: event).filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }
            request.headers.replaceOrAdd(name: header.name, value: value)
        }
        request.headers.replaceOrAdd(name: "Idempotency-Key", value: event.id)
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    /// Renders the URL: secrets as they are; event values percent-encoded, except a reference
    /// that starts the template (a whole URL taken from the event or a secret).
    func renderURL(_ event: Event) -> String {
        let leading = options.url.text.hasPrefix("{") ? options.url.references.first : nil
        return options.url.render(
            event,
            resolve: { reference in
                if let secret = options.secrets[reference] { return secret.stringValue }
                guard let value = FieldTemplate.value(reference, in: event)?.scalarText else { return nil }
                return reference == leading ? value : Self.percentEncoded(value)
            }
        )
    }

    static func percentEncoded(_ s: String) -> String { SecretScrubber.percentEncoded(s, keepSlash: false) }

    /// The URL without its query string, which may carry a key.
    static func redacted(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        return String(url[..<q]) + "?…"
    }

    /// The start of an error response's body, for the dead-letter reason.
    static func bodySnippet(_ response: HTTPClientResponse) async -> String {
        var collected: [UInt8] = []
        do {
            for try await chunk in response.body {
                if collected.count < 200 { collected += chunk.readableBytesView.prefix(200 - collected.count) }
            }
        } catch {}
        return String(decoding: collected, as: UTF8.self).filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }
    }
}
