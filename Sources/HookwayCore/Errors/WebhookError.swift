/// An HTTP-facing failure with its contract code (CONTRACT.md §2). The JSON body
/// `{"error":{"code":…,"message":…}}` is rendered from it in one place, the ingress.
public struct WebhookError: HookwayError, Hashable {
    /// The contract's codes (CONTRACT.md §2) are ``ErrorCode`` values.
    public typealias Code = ErrorCode

    public var status: Int
    public var code: Code
    /// What went wrong, for the sender's operator. Never contains a secret or a signature.
    public var message: String
    /// Seconds for the `Retry-After` header on 503 answers.
    public var retryAfterSeconds: Int?

    public init(status: Int, code: Code, message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(code): \(message)" }

    /// A 503: the provider's retry will find Kafka (or the spool) back.
    public var isRetriable: Bool { status == 503 }

    public static func malformedPayload(_ message: String) -> WebhookError { .init(status: 400, code: .malformedPayload, message: message) }
    public static func missingSignature(_ message: String) -> WebhookError { .init(status: 401, code: .missingSignature, message: message) }
    public static func invalidSignature(_ message: String) -> WebhookError { .init(status: 401, code: .invalidSignature, message: message) }
    public static func invalidToken(_ message: String) -> WebhookError { .init(status: 401, code: .invalidToken, message: message) }
    public static func staleTimestamp(_ message: String) -> WebhookError { .init(status: 401, code: .staleTimestamp, message: message) }
    public static func ipNotAllowed(_ message: String) -> WebhookError { .init(status: 403, code: .ipNotAllowed, message: message) }
    public static func unknownSource(_ name: String) -> WebhookError {
        .init(status: 404, code: .unknownSource, message: "no source named \"\(LogSafe.text(name, limit: 64))\" in the routes file")
    }
    public static func methodNotAllowed(_ method: String) -> WebhookError {
        .init(status: 405, code: .methodNotAllowed, message: "\(LogSafe.text(method, limit: 32)) is not allowed; webhooks are POSTed")
    }
    public static func payloadTooLarge(limit: Int) -> WebhookError {
        .init(status: 413, code: .payloadTooLarge, message: "body is larger than \(limit) bytes (limits.maxBodyBytes)")
    }
    /// 413: the event's Kafka message would exceed what Kafka accepts (`message.max.bytes`).
    public static func eventTooLarge(bytes: Int, limit: Int) -> WebhookError {
        .init(
            status: 413,
            code: .payloadTooLarge,
            message: "the event's Kafka message is \(bytes) bytes; Kafka accepts at most \(limit) (message.max.bytes); nothing was published"
        )
    }
    /// 500: Kafka refused this event for good (a topic it may not write, a record it calls
    /// invalid): never spooled, never 200; the provider's retry is the operator's cue.
    public static func publishRejected(_ reason: String) -> WebhookError {
        .init(status: 500, code: .publishRejected, message: "Kafka refused the event: \(reason); nothing was published")
    }
    public static func brokerUnavailable(_ message: String, retryAfter: Int = 5) -> WebhookError {
        .init(status: 503, code: .brokerUnavailable, message: message, retryAfterSeconds: retryAfter)
    }

    /// `{"error":{"code":"…","message":"…"}}`.
    public var jsonBody: [UInt8] {
        var w = JSONWriter(reservingCapacity: 128)
        w.appendRaw(Array(#"{"error":{"code":"#.utf8))
        w.appendString(code.rawValue)
        w.appendRaw(Array(#","message":"#.utf8))
        w.appendString(message)
        w.appendRaw(Array("}}".utf8))
        return w.bytes
    }
}

extension ErrorCode {
    // The HTTP answers' codes (CONTRACT.md §2).
    public static let malformedPayload = ErrorCode(rawValue: "malformed_payload")
    public static let missingSignature = ErrorCode(rawValue: "missing_signature")
    public static let invalidSignature = ErrorCode(rawValue: "invalid_signature")
    public static let invalidToken = ErrorCode(rawValue: "invalid_token")
    public static let staleTimestamp = ErrorCode(rawValue: "stale_timestamp")
    public static let ipNotAllowed = ErrorCode(rawValue: "ip_not_allowed")
    public static let unknownSource = ErrorCode(rawValue: "unknown_source")
    public static let notFound = ErrorCode(rawValue: "not_found")
    public static let methodNotAllowed = ErrorCode(rawValue: "method_not_allowed")
    public static let payloadTooLarge = ErrorCode(rawValue: "payload_too_large")
    public static let requestTimeout = ErrorCode(rawValue: "request_timeout")
    public static let headersTooLarge = ErrorCode(rawValue: "headers_too_large")
    public static let brokerUnavailable = ErrorCode(rawValue: "broker_unavailable")
    public static let publishRejected = ErrorCode(rawValue: "publish_rejected")
    public static let shuttingDown = ErrorCode(rawValue: "shutting_down")
}
