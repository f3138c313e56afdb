import CRdKafka

/// The blocking librdkafka calls behind ``KafkaAdmin``; run on a dedicated thread.
enum AdminOperations {
    static func createTopics(
        _ rk: OpaquePointer,
        names: [String],
        partitions: Int32,
        replicationFactor: Int32,
        configs: [String: String] = [:],
        timeout: Duration
    ) throws(KafkaError) {
        var errorText = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { newTopics.forEach { rd_kafka_NewTopic_destroy($0) } }
        for name in names {
            guard let topic = rd_kafka_NewTopic_new(name, partitions, replicationFactor, &errorText, errorText.count) else {
                throw KafkaError(code: .config, message: "topic \(name): \(RdKafkaConfiguration.cString(errorText))")
            }
            newTopics.append(topic)
            for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_NewTopic_set_config(topic, key, value)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, detail: "topic \(name) config \(key)") }
            }
        }
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        rd_kafka_AdminOptions_set_request_timeout(options, timeout.wholeMilliseconds, &errorText, errorText.count)
        rd_kafka_AdminOptions_set_operation_timeout(options, timeout.wholeMilliseconds, &errorText, errorText.count)
        let queue = rd_kafka_queue_new(rk)
        defer { rd_kafka_queue_destroy(queue) }

        rd_kafka_CreateTopics(rk, &newTopics, newTopics.count, options, queue)
        // The request timeout bounds the operation; the margin lets its own timeout error arrive.
        guard let event = rd_kafka_queue_poll(queue, (timeout + .seconds(1)).wholeMilliseconds) else {
            throw KafkaError(code: .timedOut, message: "CreateTopics got no answer", isRetriable: true)
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(err, detail: rd_kafka_event_error_string(event).map { String(cString: $0) })
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(code: .creation, message: "CreateTopics returned an unexpected event")
        }
        var count = 0
        guard let topics = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for topic in UnsafeBufferPointer(start: topics, count: count) {
            let topicError = rd_kafka_topic_result_error(topic)
            guard topicError != RD_KAFKA_RESP_ERR_NO_ERROR, topicError != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS else {
                continue
            }
            let name = String(cString: rd_kafka_topic_result_name(topic))
            let detail = rd_kafka_topic_result_error_string(topic).map { String(cString: $0) } ?? ""
            throw KafkaError(topicError, detail: "\(name): \(detail)")
        }
    }

    static func metadata(_ rk: OpaquePointer, timeout: Duration) throws(KafkaError) -> ClusterMetadata {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(rk, 1, nil, &metadata, timeout.wholeMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(err, detail: "metadata") }
        defer { rd_kafka_metadata_destroy(metadata) }
        let raw = metadata.pointee
        let brokers = UnsafeBufferPointer(start: raw.brokers, count: Int(raw.broker_cnt)).map {
            ClusterMetadata.Broker(id: $0.id, host: String(cString: $0.host), port: $0.port)
        }
        let topics = UnsafeBufferPointer(start: raw.topics, count: Int(raw.topic_cnt)).map {
            ClusterMetadata.Topic(
                name: String(cString: $0.topic),
                partitionCount: Int($0.partition_cnt),
                error: $0.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.Code(name: String(cString: rd_kafka_err2name($0.err)))
            )
        }
        return ClusterMetadata(brokers: brokers, topics: topics.sorted { $0.name < $1.name })
    }
}

extension AdminOperations {
    /// Per partition of `topics`: the first offset whose timestamp is at or after `since` (ms
    /// since the epoch), and the end: the first at or after `until`, or the log end now.
    static func offsetRange(
        _ rk: OpaquePointer,
        topics: [String],
        since: Int64,
        until: Int64?,
        timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: OffsetRange] {
        let metadata = try metadata(rk, timeout: timeout)
        var partitions: [TopicPartition] = []
        for topic in topics {
            guard let found = metadata.topics.first(where: { $0.name == topic }), found.error == nil else {
                throw KafkaError(code: .unknownTopic, message: "topic \(topic) does not exist")
            }
            partitions += (0..<Int32(found.partitionCount)).map { TopicPartition(topic: topic, partition: $0) }
        }
        var high: [TopicPartition: Int64] = [:]
        for tp in partitions {
            var lowOffset: Int64 = -1
            var highOffset: Int64 = -1
            let err = rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition, &lowOffset, &highOffset, timeout.wholeMilliseconds)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, detail: "watermarks of \(tp)") }
            high[tp] = highOffset
        }
        let starts = try offsetsForTime(rk, partitions, time: since, timeout: timeout)
        var ends: [TopicPartition: Int64]?
        if let until { ends = try offsetsForTime(rk, partitions, time: until, timeout: timeout) }
        var out: [TopicPartition: OffsetRange] = [:]
        for tp in partitions {
            let logEnd = high[tp] ?? 0
            // -1: no message at or after the time, so the range starts (or ends) at the log end.
            let start = starts[tp].flatMap { $0 >= 0 ? $0 : nil } ?? logEnd
            let end = min(ends.flatMap { $0[tp].flatMap { $0 >= 0 ? $0 : nil } } ?? logEnd, logEnd)
            out[tp] = OffsetRange(start: min(start, end), end: end)
        }
        return out
    }

    private static func offsetsForTime(
        _ rk: OpaquePointer,
        _ partitions: [TopicPartition],
        time: Int64,
        timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: Int64] {
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else { return [:] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for tp in partitions { rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)?.pointee.offset = time }
        let err = rd_kafka_offsets_for_times(rk, list, timeout.wholeMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, detail: "offsets for time \(time)") }
        var out: [TopicPartition: Int64] = [:]
        for element in UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)) {
            out[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
        }
        return out
    }
}

/// A range of offsets of one partition: `start` up to (not including) `end`.
public struct OffsetRange: Sendable, Hashable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// How many messages (offsets) it spans.
    public var count: Int64 { max(0, end - start) }
}
