import CRdKafka

extension KafkaConsumer {
    /// Commits `message.offset &+ 1` for the message's partition and waits for the broker's
    /// acknowledgement. Call it after the message has been fully handled.
    ///
    /// If the partition has been revoked from this member meanwhile, nothing is committed (the
    /// new owner will re-deliver from the last committed offset) and the call returns normally.
    public func commit(_ message: KafkaMessage) async throws(KafkaError) {
        try await commit(offsets: [(message.topic, message.partition, message.offset &+ 1)])
    }

    /// Commits the given next-offsets (the offset of the next message to read, i.e. the last
    /// handled offset + 1) and waits for the broker's acknowledgement. Offsets of partitions no
    /// longer assigned to this member are dropped.
    public func commit(offsets: [(topic: String, partition: Int32, nextOffset: Int64)]) async throws(KafkaError) {
        var byPartition: [TopicPartition: Int64] = [:]
        for entry in offsets {
            let key = TopicPartition(topic: entry.topic, partition: entry.partition)
            byPartition[key] = Swift.max(byPartition[key] ?? entry.nextOffset, entry.nextOffset)
        }
        guard !byPartition.isEmpty else { return }
        let error = await withCheckedContinuation { continuation in
            let request = ConsumerStateMachine.CommitRequest(offsets: byPartition, continuation: continuation)
            switch core.state.withLockedValue({ $0.requestCommit(request) }) {
            case .wakePollThread:
                handle.wake()
            case .rejectCommit(let continuation):
                continuation.resume(returning: .closed("the consumer"))
            case .resumeClose:
                break
            }
        }
        if let error { throw error }
    }
}

extension ConsumerPollLoop {
    /// Runs on the poll thread, so the ownership check and the commit cannot interleave with a
    /// rebalance callback (which also runs here).
    func performCommit(_ rk: OpaquePointer, _ request: ConsumerStateMachine.CommitRequest) -> KafkaError? {
        let owned = core.state.withLockedValue { $0.ownedOffsets(request.offsets) }
        if owned.count < request.offsets.count {
            core.logger.debug(
                "dropping offsets of revoked partitions",
                metadata: ["partitions": "\(Set(request.offsets.keys).subtracting(owned.keys).sorted())"]
            )
        }
        guard !owned.isEmpty else { return nil }
        guard let list = rd_kafka_topic_partition_list_new(Int32(owned.count)) else {
            return KafkaError(code: .creation, message: "rd_kafka_topic_partition_list_new failed")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (partition, offset) in owned {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        // Synchronous: returns once the coordinator has answered.
        let err = rd_kafka_commit(rk, list, 0)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { return KafkaError.resolvingFatal(err, client: rk) }
        let elements = UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
        if let failed = elements.first(where: { $0.err != RD_KAFKA_RESP_ERR_NO_ERROR }) {
            return KafkaError(failed.err, detail: "\(String(cString: failed.topic))[\(failed.partition)]")
        }
        return nil
    }
}
