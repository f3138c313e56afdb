import CRdKafka

/// Reads topics from a point in time to their current end, without a consumer group: no
/// offsets are committed and no other consumer is disturbed. For `hookway reconcile`, which
/// must know what is already in a topic (by `ce_id`) and read its compacted watermark topic.
///
/// Runs on a thread of its own (librdkafka's calls block) and stops at the end offsets the
/// partitions had when the read began, so a busy topic cannot keep it going.
public enum KafkaTopicReader {
    /// Calls `body` with each message of `topics` whose timestamp is at or after `since`
    /// (milliseconds since the epoch; `nil` reads from the beginning), partition by partition.
    /// Topics that do not exist are skipped.
    public static func read(
        bootstrapServers: String,
        topics: [String],
        since: Int64? = nil,
        timeout: Duration = .seconds(60),
        properties: [String: String] = [:],
        _ body: @escaping @Sendable (KafkaMessage) -> Void
    ) async throws(KafkaError) {
        let result: Result<Void, KafkaError> = await DedicatedThread.run(name: "hookway.kafka.reader") {
            do throws(KafkaError) {
                try readBlocking(bootstrapServers: bootstrapServers, topics: topics, since: since, timeout: timeout, properties: properties, body)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    private static func readBlocking(
        bootstrapServers: String,
        topics: [String],
        since: Int64?,
        timeout: Duration,
        properties: [String: String],
        _ body: (KafkaMessage) -> Void
    ) throws(KafkaError) {
        let deadline = ContinuousClock.now + timeout
        var pairs: [(key: String, value: String)] = properties.map { ($0.key, $0.value) }
        pairs += [
            ("bootstrap.servers", bootstrapServers), ("group.id", "hookway.reader"), ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"), ("enable.partition.eof", "false"), ("log_level", "3"),
        ]
        let conf = try RdKafkaConfiguration.make(pairs)
        rd_kafka_conf_set_log_cb(conf, silentLogCallback)
        let rk = try RdKafkaConfiguration.makeClient(RD_KAFKA_CONSUMER, conf: conf)
        defer { rd_kafka_destroy(rk) }
        let timeoutMs = max(1_000, min(timeout.wholeMilliseconds, 30_000))

        // Partitions and their end offsets now.
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let metaErr = rd_kafka_metadata(rk, 1, nil, &metadata, timeoutMs)
        guard metaErr == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(metaErr, detail: "metadata") }
        defer { rd_kafka_metadata_destroy(metadata) }
        var partitions: [(topic: String, partition: Int32)] = []
        for t in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[t]
            let name = String(cString: topic.topic)
            guard topics.contains(name), topic.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            for p in 0..<Int(topic.partition_cnt) { partitions.append((name, topic.partitions[p].id)) }
        }
        guard !partitions.isEmpty else { return }
        var remaining: [String: Int64] = [:]  // "topic/partition" → end offset still to reach
        guard let list = rd_kafka_topic_partition_list_new(Int32(partitions.count)) else {
            throw KafkaError(code: .creation, message: "rd_kafka_topic_partition_list_new failed")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (topic, partition) in partitions {
            var low: Int64 = 0
            var high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, timeoutMs)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, detail: "watermarks of \(topic)/\(partition)") }
            guard high > low else { continue }
            remaining["\(topic)/\(partition)"] = high
            let element = rd_kafka_topic_partition_list_add(list, topic, partition)
            element?.pointee.offset = since ?? Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        guard !remaining.isEmpty else { return }
        if since != nil {
            // Timestamps become the first offset at or after them (the end offset when none is).
            let err = rd_kafka_offsets_for_times(rk, list, timeoutMs)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, detail: "offsets for times") }
            for i in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems[i]
                let key = "\(String(cString: element.topic))/\(element.partition)"
                if element.offset < 0 || element.offset >= (remaining[key] ?? 0) { remaining[key] = nil }
            }
            guard !remaining.isEmpty else { return }
        }
        let assignErr = rd_kafka_assign(rk, list)
        guard assignErr == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(assignErr, detail: "assign") }
        while !remaining.isEmpty {
            guard ContinuousClock.now < deadline else {
                throw KafkaError(code: .timedOut, message: "reading \(topics.joined(separator: ",")) did not reach the end within \(timeout)")
            }
            guard let message = rd_kafka_consumer_poll(rk, 200) else { continue }
            defer { rd_kafka_message_destroy(message) }
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                let err = message.pointee.err
                if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { continue }
                throw KafkaError(err, detail: "reading")
            }
            let copy = KafkaMessage(copying: message)
            let key = "\(copy.topic)/\(copy.partition)"
            guard let end = remaining[key] else { continue }
            body(copy)
            if copy.offset &+ 1 >= end { remaining[key] = nil }
        }
    }
}
