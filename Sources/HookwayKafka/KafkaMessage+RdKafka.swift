import CRdKafka

extension KafkaMessage {
    /// Copies a consumed `rd_kafka_message_t`. The caller still owns (and destroys) `message`;
    /// the header list returned by `rd_kafka_message_headers` belongs to the message.
    init(copying message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let raw = message.pointee
        let topic = raw.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)

        var headers: [KafkaHeader] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: Self.bytes(value, size)))
                index += 1
            }
        }

        self.init(
            topic: topic,
            partition: raw.partition,
            offset: raw.offset,
            key: Self.bytes(raw.key, raw.key_len),
            value: Self.bytes(raw.payload, raw.len),
            headers: headers,
            timestamp: timestamp >= 0 && timestampType != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? timestamp : nil
        )
    }

    private static func bytes(_ pointer: UnsafeRawPointer?, _ count: Int) -> [UInt8]? {
        guard let pointer else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
