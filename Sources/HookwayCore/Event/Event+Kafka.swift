/// How a CloudEvent is carried in a Kafka message (the CloudEvents Kafka protocol binding).
public enum CloudEventsMode: String, Sendable, Hashable {
    /// The whole CloudEvent as the JSON value (`content-type: application/cloudevents+json`),
    /// plus `ce_id`, `ce_type`, `ce_source`, `ce_subject` headers for filtering without parsing.
    case structured
    /// The attributes in `ce_*` headers and `data` alone as the value
    /// (`content-type: application/json`, the data's own type).
    case binary
}

/// A Kafka message of an event: key, value and headers.
public struct EventMessage: Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var headers: [(key: String, value: [UInt8])]
}

extension Event {
    /// The Kafka message of this event in `mode` (CONTRACT.md §3). One recipe for the ingress,
    /// the `confirm` sink and `hookway reconcile`.
    public func kafkaMessage(_ mode: CloudEventsMode) -> EventMessage {
        switch mode {
        case .structured:
            var headers: [(key: String, value: [UInt8])] = [
                ("content-type", Array("application/cloudevents+json; charset=utf-8".utf8)),
                ("ce_id", Array(id.utf8)),
                ("ce_type", Array(type.utf8)),
                ("ce_source", Array(source.utf8)),
            ]
            if let subject { headers.append(("ce_subject", Array(subject.utf8))) }
            appendTraceHeaders(to: &headers)
            return EventMessage(key: kafkaKey, value: jsonBytes(), headers: headers)
        case .binary:
            var headers: [(key: String, value: [UInt8])] = [
                ("content-type", Array(Event.dataContentType.utf8)),
                ("ce_specversion", Array(Event.specVersion.utf8)),
                ("ce_id", Array(id.utf8)),
                ("ce_source", Array(source.utf8)),
                ("ce_type", Array(type.utf8)),
            ]
            if let subject { headers.append(("ce_subject", Array(subject.utf8))) }
            headers.append(("ce_time", Array(time.utf8)))
            headers.append(("ce_authmethod", Array(authMethod.rawValue.utf8)))
            headers.append(("ce_receivedat", Array(receivedAt.utf8)))
            for (name, value) in confirmation?.attributes ?? [] { headers.append(("ce_" + name, Array(value.utf8))) }
            if let traceContext {
                headers.append(("ce_traceparent", Array(traceContext.traceparent.utf8)))
                if let tracestate = traceContext.tracestate { headers.append(("ce_tracestate", Array(tracestate.utf8))) }
            }
            appendTraceHeaders(to: &headers)
            var w = JSONWriter(reservingCapacity: 512)
            data.write(to: &w)
            return EventMessage(key: kafkaKey, value: w.bytes, headers: headers)
        }
    }

    /// The W3C `traceparent` / `tracestate` headers, in both modes: what tracing-aware Kafka
    /// consumers read, whether or not they know CloudEvents.
    private func appendTraceHeaders(to headers: inout [(key: String, value: [UInt8])]) {
        guard let traceContext else { return }
        headers.append(("traceparent", Array(traceContext.traceparent.utf8)))
        if let tracestate = traceContext.tracestate { headers.append(("tracestate", Array(tracestate.utf8))) }
    }

    /// The Kafka message key: ``partitionKey``'s bytes.
    public var kafkaKey: [UInt8] { Array(partitionKey.utf8) }

    /// Reads a Kafka message in either mode: binary when it carries `ce_specversion` and its
    /// content type is not a CloudEvent's own, else structured.
    public static func decode(value: [UInt8], headers: [(key: String, value: [UInt8])]) throws(EventDecodingError) -> Event {
        var event = try decodeAttributes(value: value, headers: headers)
        // A message whose CloudEvent has no trace context may still carry the plain headers.
        if event.traceContext == nil {
            event.traceContext = TraceContext { name in headers.last { $0.key == name }?.value }
        }
        return event
    }

    private static func decodeAttributes(value: [UInt8], headers: [(key: String, value: [UInt8])]) throws(EventDecodingError) -> Event {
        let isStructured = headers.contains { $0.key.lowercased() == "content-type" && $0.value.starts(with: Array("application/cloudevents".utf8)) }
        guard !isStructured, headers.contains(where: { $0.key == "ce_specversion" }) else { return try decode(value) }
        var members: [JSONMember] = []
        for header in headers where header.key.hasPrefix("ce_") {
            let name = String(header.key.dropFirst(3))
            guard !name.isEmpty, name != "data", let text = String(validating: header.value, as: UTF8.self) else {
                throw EventDecodingError(message: "header \(header.key) is not a UTF-8 CloudEvent attribute")
            }
            members.append(JSONMember(name, .string(text)))
        }
        do {
            members.append(JSONMember("data", try JSONParser.parse(value)))
        } catch {
            throw EventDecodingError(message: "binary-mode data is not JSON: \(error)")
        }
        return try decode(root: .object(members))
    }
}
