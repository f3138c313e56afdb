public import HookwayKafka

/// What a failed publish means for the event, decided from librdkafka's error alone.
///
/// Only errors that can never succeed for *this event* are permanent: resending the same bytes
/// to the same topic fails again, so it must not be spooled (it would block the spool) and must
/// not be answered 200. Fatal errors break the producer, not the event. Everything else —
/// including an error this table does not know — is an outage: spool or 503, never 200.
public enum PublishFailure: Sendable, Equatable {
    /// Broker down, timeout, leader change, not enough replicas…: spool or 503.
    case retriable(KafkaError.Code)
    /// This event can never be published as it is; `tooLarge` for the size errors (413).
    case permanent(KafkaError.Code, tooLarge: Bool)
    /// The producer is unusable (fenced, fatal idempotence error): replace it, then spool or 503.
    case fatal(KafkaError.Code)

    /// Size errors: the message or its batch is over `message.max.bytes` or the broker's limit.
    public static let tooLargeCodes: Set<String> = ["MSG_SIZE_TOO_LARGE", "_MSG_SIZE_TOO_LARGE", "RECORD_LIST_TOO_LARGE"]
    /// Other errors that are about the event or its topic, not about the cluster's health.
    public static let permanentCodes: Set<String> = [
        "TOPIC_EXCEPTION", "TOPIC_AUTHORIZATION_FAILED", "INVALID_RECORD", "INVALID_TIMESTAMP", "POLICY_VIOLATION",
        "UNSUPPORTED_FOR_MESSAGE_FORMAT", "INVALID_REQUIRED_ACKS", "_INVALID_ARG", "_BAD_MSG",
    ]

    /// Permanent refusals about the topic rather than the record: an operator may fix them.
    public static let topicLevelCodes: Set<String> = ["TOPIC_AUTHORIZATION_FAILED", "TOPIC_EXCEPTION", "POLICY_VIOLATION"]

    public static func classify(_ error: KafkaError) -> PublishFailure {
        if error.isFatal { return .fatal(error.code) }
        if tooLargeCodes.contains(error.code.name) { return .permanent(error.code, tooLarge: true) }
        if permanentCodes.contains(error.code.name) { return .permanent(error.code, tooLarge: false) }
        return .retriable(error.code)
    }

    public var isPermanent: Bool {
        if case .permanent = self { return true }
        return false
    }
}
