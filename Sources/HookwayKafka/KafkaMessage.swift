/// A message read from Kafka by a ``KafkaConsumer``.
///
/// A null key or value is `nil`, never an empty array and never a crash.
public struct KafkaMessage: Sendable, Hashable {
    /// The topic the message came from.
    public var topic: String
    /// The partition the message came from.
    public var partition: Int32
    /// The message's offset; commit `offset + 1` to mark it done (``KafkaConsumer/commit(_:)`` does).
    public var offset: Int64
    /// The message key, or `nil` for a null key.
    public var key: [UInt8]?
    /// The message value, or `nil` for a null value (a tombstone).
    public var value: [UInt8]?
    /// The message headers, in order.
    public var headers: [KafkaHeader]
    /// The message timestamp in milliseconds since the Unix epoch, if the broker provides one.
    public var timestamp: Int64?

    /// Creates a message (useful in tests of code that consumes messages).
    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [KafkaHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }
}
