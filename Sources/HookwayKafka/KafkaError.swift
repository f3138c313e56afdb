/// An error from the Kafka layer.
///
/// `code` carries librdkafka's error name (`_MSG_TIMED_OUT`, `_TRANSPORT`,
/// `NOT_LEADER_FOR_PARTITION`, ...) or one of Hookway's own codes (``Code/config``,
/// ``Code/closed``). Switch on the codes you care about; new codes are not a breaking change.
///
/// ```swift
/// do {
///     _ = try await producer.send(topic: "payments", key: nil, value: body)
/// } catch where error.isRetriable {
///     // answer 503 with Retry-After; the provider will retry
/// }
/// ```
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// A stable, string-named error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// librdkafka's error name (`rd_kafka_err2name`) or a Hookway code such as `config`.
        public let name: String

        /// Creates a code with the given name.
        public init(name: String) {
            self.name = name
        }

        /// The error name.
        public var description: String { name }

        /// A configuration property was rejected (unknown name or bad value).
        public static let config = Code(name: "config")
        /// The client was shut down or closed before the operation could complete.
        public static let closed = Code(name: "closed")
        /// librdkafka could not create a client or a resource.
        public static let creation = Code(name: "creation")
        /// A message was not delivered within `message.timeout.ms`.
        public static let messageTimedOut = Code(name: "_MSG_TIMED_OUT")
        /// An operation timed out locally.
        public static let timedOut = Code(name: "_TIMED_OUT")
        /// The connection to a broker failed.
        public static let transport = Code(name: "_TRANSPORT")
        /// The local producer queue is full.
        public static let queueFull = Code(name: "_QUEUE_FULL")
        /// A message was purged from the queue before it was sent (shutdown).
        public static let purgedFromQueue = Code(name: "_PURGE_QUEUE")
        /// A message was purged while in flight: its fate is unknown (shutdown).
        public static let purgedInFlight = Code(name: "_PURGE_INFLIGHT")
        /// librdkafka raised a fatal error; the client must be recreated.
        public static let fatal = Code(name: "_FATAL")
        /// The topic does not exist.
        public static let unknownTopic = Code(name: "UNKNOWN_TOPIC_OR_PART")
    }

    /// What went wrong, as a stable code.
    public var code: Code
    /// A human-readable explanation.
    public var message: String
    /// Whether trying the same operation again may succeed.
    public var isRetriable: Bool
    /// Whether the client is unusable and must be recreated.
    public var isFatal: Bool

    /// Creates an error.
    public init(code: Code, message: String, isRetriable: Bool = false, isFatal: Bool = false) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
    }

    /// `KafkaError(_MSG_TIMED_OUT): Local: Message timed out`
    public var description: String {
        var text = "KafkaError(\(code.name)): \(message)"
        if isFatal { text += " [fatal]" } else if isRetriable { text += " [retriable]" }
        return text
    }

    static func closed(_ what: String) -> KafkaError {
        KafkaError(code: .closed, message: "\(what) is closed")
    }
}
