/// An event's W3C Trace Context: the CloudEvents distributed-tracing extension (`traceparent`,
/// `tracestate`) and, in a Kafka message, the headers of the same names. It ties the spans of
/// every sink that handles the event to the span of the webhook that brought it.
///
/// Only syntactically valid values are kept: a message from elsewhere (another producer, a
/// replayed dead letter) cannot put arbitrary text into a span or a header through it.
public struct TraceContext: Sendable, Hashable {
    /// `00-{trace-id}-{parent-id}-{flags}`.
    public let traceparent: String
    /// Vendor data (`tracestate`), when there is any.
    public let tracestate: String?

    /// The context of `traceparent` (and `tracestate`), or `nil` when `traceparent` is absent or
    /// not a W3C Trace Context version-00 header. An over-long or non-ASCII `tracestate` is left out.
    public init?(traceparent: String?, tracestate: String?) {
        guard let traceparent, Self.isValid(traceparent: traceparent) else { return nil }
        self.traceparent = traceparent
        if let tracestate, !tracestate.isEmpty, tracestate.utf8.count <= Self.maxTraceStateBytes,
            tracestate.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
        {
            self.tracestate = tracestate
        } else {
            self.tracestate = nil
        }
    }

    /// The context in a Kafka message's `traceparent` / `tracestate` headers; `header` gives a
    /// header's value by name (the last one of that name).
    public init?(kafkaHeader header: (String) -> [UInt8]?) {
        func text(_ name: String) -> String? { header(name).flatMap { String(validating: $0, as: UTF8.self) } }
        self.init(traceparent: text("traceparent"), tracestate: text("tracestate"))
    }

    /// The trace id (32 lowercase hex digits).
    public var traceID: Substring { traceparent.dropFirst(3).prefix(32) }
    /// The id of the span that made this context (16 lowercase hex digits).
    public var spanID: Substring { traceparent.dropFirst(36).prefix(16) }

    /// W3C Trace Context's limit for `tracestate` (32 members of at most 256 bytes is more;
    /// vendors are told to keep it at 512).
    static let maxTraceStateBytes = 512

    /// `00-` + 32 hex + `-` + 16 hex + `-` + 2 hex, lowercase, with ids that are not all zeros.
    static func isValid(traceparent: String) -> Bool {
        let bytes = Array(traceparent.utf8)
        guard bytes.count == 55, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "0"),
            bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-")
        else { return false }
        func hex(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        }
        func zeros(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { $0 == UInt8(ascii: "0") } }
        return hex(3..<35) && hex(36..<52) && hex(53..<55) && !zeros(3..<35) && !zeros(36..<52)
    }
}
