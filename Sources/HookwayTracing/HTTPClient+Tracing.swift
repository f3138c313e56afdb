public import AsyncHTTPClient
public import NIOCore
import NIOHTTP1
import Tracing

extension HTTPClient {
    /// ``execute(_:timeout:logger:)`` inside a client span (OpenTelemetry's HTTP client
    /// conventions) that is a child of the task's current span, with the span's W3C
    /// `traceparent` injected into the request so the server can continue the trace.
    ///
    /// `url` is what the span records: pass it without query or credentials (a CRM URL may carry
    /// a token). A 4xx or 5xx answer marks the span as an error; a thrown error is recorded.
    public func tracedExecute(_ request: HTTPClientRequest, timeout: TimeAmount, url: String) async throws -> HTTPClientResponse {
        try await withSpan(request.method.rawValue, ofKind: .client) { span in
            var request = request
            span.attributes["http.request.method"] = request.method.rawValue
            span.attributes["url.full"] = url
            if let components = Self.hostAndPort(url) {
                span.attributes["server.address"] = components.host
                if let port = components.port { span.attributes["server.port"] = port }
            }
            InstrumentationSystem.instrument.inject(span.context, into: &request.headers, using: HTTPHeadersInjector())
            let response = try await execute(request, timeout: timeout)
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 400 {
                span.attributes["error.type"] = "\(response.status.code)"
                span.setStatus(SpanStatus(code: .error))
            }
            return response
        }
    }

    /// The host and explicit port of an absolute `http(s)://` URL.
    static func hostAndPort(_ url: String) -> (host: String, port: Int?)? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last ?? authority[...]
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            let host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            return (host, after.hasPrefix(":") ? Int(after.dropFirst()) : nil)
        }
        let parts = hostPort.split(separator: ":", maxSplits: 1)
        guard let host = parts.first else { return nil }
        return (String(host), parts.count == 2 ? Int(parts[1]) : nil)
    }
}
