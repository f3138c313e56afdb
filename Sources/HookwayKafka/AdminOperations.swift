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
