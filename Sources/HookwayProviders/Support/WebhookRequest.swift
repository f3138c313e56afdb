public import HookwayCore

/// The request as received, before anything about it is trusted.
///
/// Adapters verify signatures on ``body`` exactly as it arrived and read ``target`` as the
/// provider sent it (Bit Capital signs the path and query string).
public struct WebhookRequest: Sendable {
    /// The HTTP method (`POST`).
    public var method: String
    /// Path plus `?query`, exactly as received, no host.
    public var target: String
    /// Header fields in arrival order; names compare case-insensitively.
    public var headers: [(name: String, value: String)]
    /// The raw body bytes.
    public var body: [UInt8]
    /// The TCP peer, checked against the source's `allowFrom`.
    public var peer: IPAddress?
    /// The `{token}` of `/webhooks/{source}/{token}`, if the URL had one.
    public var urlToken: String?
    /// When the ingress received the request; adapters use it as "now" for timestamp checks.
    public var receivedAt: Timestamp

    public init(
        method: String = "POST",
        target: String,
        headers: [(name: String, value: String)],
        body: [UInt8],
        peer: IPAddress? = nil,
        urlToken: String? = nil,
        receivedAt: Timestamp = .now()
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.peer = peer
        self.urlToken = urlToken
        self.receivedAt = receivedAt
    }

    /// The first value of the header `name` (case-insensitive), without surrounding whitespace.
    public func header(_ name: String) -> String? {
        for field in headers where asciiCaseInsensitiveEquals(field.name, name) {
            return trimmedOWS(field.value)
        }
        return nil
    }
}

/// What an adapter decided about a request.
public enum AdapterOutcome: Sendable {
    /// Verified and normalized: publish it.
    case event(Event)
    /// Answered directly; nothing is published (Koywe's validation callback).
    case reply(status: Int, contentType: String, body: [UInt8])
}

/// One event a provider documents, as `hookway simulate --list` shows it.
public struct CatalogEvent: Sendable, Hashable {
    /// The normalized event name (`funding.complete`).
    public var name: String
    /// The entity kind its events are about (`funding`).
    public var entityKind: String

    public init(name: String, entityKind: String) {
        self.name = name
        self.entityKind = entityKind
    }
}

/// A ready-to-send sample webhook, built by ``ProviderAdapter/sample(event:source:now:tampered:)``.
public struct SampleDelivery: Sendable {
    /// The URL token segment to append to `/webhooks/{source}/`, when the source uses one.
    public var pathSuffix: String?
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(pathSuffix: String?, headers: [(name: String, value: String)], body: [UInt8]) {
        self.pathSuffix = pathSuffix
        self.headers = headers
        self.body = body
    }

    /// The request target this delivery is sent to for `source`.
    public func target(source: String) -> String {
        if let pathSuffix { return "/webhooks/\(source)/\(pathSuffix)" }
        return "/webhooks/\(source)"
    }
}

func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let x = a.utf8
    let y = b.utf8
    guard x.count == y.count else { return false }
    for (p, q) in zip(x, y) where lowerASCII(p) != lowerASCII(q) { return false }
    return true
}

@inline(__always) func lowerASCII(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b + 32 : b }

/// Strips HTTP optional whitespace (space, tab) around a header value.
func trimmedOWS(_ s: String) -> String {
    let bytes = Array(s.utf8)
    var start = 0
    var end = bytes.count
    while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
    while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
    if start == 0, end == bytes.count { return s }
    return String(decoding: bytes[start..<end], as: UTF8.self)
}
