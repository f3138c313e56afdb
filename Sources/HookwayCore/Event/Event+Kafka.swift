extension Event {
    /// The Kafka headers of CONTRACT.md §3: the content type, and `ce_id`, `ce_type`,
    /// `ce_source`, `ce_subject` for filtering without parsing. One recipe for the ingress, the
    /// `confirm` sink and `hookway reconcile`.
    public var kafkaHeaders: [(key: String, value: [UInt8])] {
        var headers: [(key: String, value: [UInt8])] = [
            ("content-type", Array("application/cloudevents+json; charset=utf-8".utf8)),
            ("ce_id", Array(id.utf8)),
            ("ce_type", Array(type.utf8)),
            ("ce_source", Array(source.utf8)),
        ]
        if let subject { headers.append(("ce_subject", Array(subject.utf8))) }
        return headers
    }

    /// The Kafka message key: ``partitionKey``'s bytes.
    public var kafkaKey: [UInt8] { Array(partitionKey.utf8) }
}
