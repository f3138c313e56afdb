import AsyncHTTPClient
import Foundation
import HookwayCore
import HookwayTracing
import NIOCore
import NIOHTTP1

/// A request to a provider's API, before authentication is added.
struct APIRequest: Sendable {
    var method: HTTPMethod
    /// Path and query exactly as sent (and as signed, where the provider signs the path).
    var pathAndQuery: String
    var headers: [(String, String)] = []
    var body: [UInt8]? = nil
    var contentType = "application/json"
}

/// An answer Hookway reads: 2xx, or 401/403/404, which the clients handle themselves.
struct APIResponse: Sendable {
    var status: Int
    var body: [UInt8]

    /// The body as JSON.
    func json(_ what: String) throws(APIError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            throw APIError(code: .apiResponseInvalid, "\(what): the answer is not JSON (\(error))", retriable: true)
        }
    }

    var isNotFound: Bool { status == 404 }
    var isAuthFailure: Bool { status == 401 || status == 403 }

    /// Throws for a 401/403 that the client could not recover from, or a 404 where one is not expected.
    func requireSuccess(_ what: String) throws(APIError) {
        if isAuthFailure {
            throw APIError(code: .apiAuthFailed, "\(what): HTTP \(status): the API refused the credentials; check api.credentials", retriable: false)
        }
        guard (200..<300).contains(status) else {
            throw APIError(code: .apiRejected, "\(what): HTTP \(status)", retriable: false)
        }
    }
}

/// One provider API's HTTP connection pool, rate limit and timeout: what every client shares.
final class APIConnection: Sendable {
    let settings: APISettings
    let client: HTTPClient
    let limiter: RateLimiter
    let provider: String

    init(provider: String, settings: APISettings) {
        self.provider = provider
        self.settings = settings
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: .milliseconds(Int64(min(settings.timeoutMs, 10_000))),
            read: .milliseconds(Int64(settings.timeoutMs))
        )
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        limiter = RateLimiter(perMinute: settings.rateLimitPerMinute)
    }

    /// The path part of the base URL (`""` for `https://api.bitso.com`): what a provider that
    /// signs the request path signs before ``APIRequest/pathAndQuery``.
    var basePath: String {
        guard let scheme = settings.baseURL.range(of: "://") else { return "" }
        let rest = settings.baseURL[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "" }
        return String(rest[slash...])
    }

    /// The credential `name` as text (validated present by `routes check`).
    func credential(_ name: String) -> String { settings.credentials[name]?.stringValue ?? "" }

    /// A path template with `{name}` placeholders filled from the settings.
    func path(_ name: String, default fallback: String) -> String {
        fill(settings.path(name, default: fallback), [:])
    }

    /// A path template with `{name}` placeholders filled, values percent-encoded. Each value is
    /// one path segment: `/` and `%` are encoded, and a value that would be empty, `.` or `..`
    /// (which no encoding keeps a server from resolving: RFC 3986 §6.2.2.2) is refused.
    func path(_ name: String, default fallback: String, _ values: [String: String]) throws(APIError) -> String {
        for (key, value) in values where value.isEmpty || value == "." || value == ".." {
            throw APIError(code: .apiRejected, "\(key) \"\(LogSafe.text(value, limit: 16))\" cannot be a URL path segment", retriable: false)
        }
        return fill(settings.path(name, default: fallback), values)
    }

    private func fill(_ template: String, _ values: [String: String]) -> String {
        var out = template
        for (key, value) in values.merging(settings.settings, uniquingKeysWith: { own, _ in own }) {
            out = out.replacingOccurrences(of: "{\(key)}", with: Self.percentEncoded(value))
        }
        return out
    }

    /// Sends after the rate limiter allows it. 2xx, 401, 403 and 404 come back; 429 (and
    /// Bitso's 420), 408 and 5xx throw retriable errors (with the provider's `Retry-After`),
    /// other statuses throw permanent ones.
    func send(_ request: APIRequest, what: String) async throws(APIError) -> APIResponse {
        do {
            try await limiter.acquire()
        } catch {
            throw APIError(code: .apiUnavailable, "\(what): cancelled", retriable: true)
        }
        var http = HTTPClientRequest(url: settings.baseURL + request.pathAndQuery)
        http.method = request.method
        http.headers.add(name: "Accept", value: "application/json")
        http.headers.add(name: "User-Agent", value: "hookway-reconcile")
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: request.contentType)
            http.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        let bytes: [UInt8]
        do {
            let path = request.pathAndQuery.prefix { $0 != "?" }
            response = try await client.tracedExecute(http, timeout: .milliseconds(Int64(settings.timeoutMs)), url: settings.baseURL + path)
            var buffer = try await response.body.collect(upTo: 4 << 20)
            bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch {
            throw APIError(code: .apiUnavailable, "\(what): \(provider) API unreachable: \(error)", retriable: true)
        }
        let status = Int(response.status.code)
        switch status {
        case 200..<300, 401, 403, 404:
            return APIResponse(status: status, body: bytes)
        case 420, 429:
            await limiter.drain()
            let asked = response.headers.first(name: "Retry-After").flatMap { RetryAfter.parse($0) }
            throw APIError(
                code: .apiRateLimited,
                "\(what): HTTP \(status): \(provider) rate limit reached",
                retriable: true,
                retryAfter: asked ?? .seconds(60)
            )
        case 408, 500...:
            throw APIError(code: .apiUnavailable, "\(what): HTTP \(status)\(Self.snippet(bytes))", retriable: true)
        default:
            throw APIError(code: .apiRejected, "\(what): HTTP \(status)\(Self.snippet(bytes))", retriable: false)
        }
    }

    func shutdown() async {
        try? await client.shutdown()  // only fails when already shut down: nothing left to close
    }

    static func snippet(_ body: [UInt8]) -> String {
        guard !body.isEmpty else { return "" }
        let text = String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return ": \(text)"
    }

    static func percentEncoded(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
