import CRdKafka
import Logging

/// librdkafka's rebalance callback, called on the consumer's poll thread from inside
/// `rd_kafka_consumer_poll` (or `rd_kafka_consumer_close`). `opaque` is the retained
/// ``ConsumerCore``.
let rebalanceCallback:
    @convention(c) (
        OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
    ) -> Void = { rk, err, partitions, opaque in
        guard let rk, let opaque else { return }
        let core = Unmanaged<ConsumerCore>.fromOpaque(opaque).takeUnretainedValue()
        core.rebalance(rk, err, partitions)
    }

extension ConsumerCore {
    func rebalance(
        _ rk: OpaquePointer,
        _ err: rd_kafka_resp_err_t,
        _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let partitions = Self.topicPartitions(list)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            state.withLockedValue { $0.assign(partitions) }
            if !startOffsets.isEmpty, let list {
                for i in 0..<Int(list.pointee.cnt) {
                    let element = list.pointee.elems[i]
                    let key = TopicPartition(topic: String(cString: element.topic), partition: element.partition)
                    if let offset = startOffsets[key] { list.pointee.elems[i].offset = offset }
                }
            }
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) {
                    logger.error("incremental assign failed", metadata: ["error": "\(KafkaError(consuming: error))"])
                }
            } else {
                rd_kafka_assign(rk, list)
            }
            // Newly assigned partitions join a back-pressure pause already in force.
            if state.withLockedValue({ $0.isPausedForBackPressure }), let list {
                rd_kafka_pause_partitions(rk, list)
            }
            logger.info("partitions assigned", metadata: ["partitions": "\(partitions.sorted())"])
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            // Forget them first: from here on their messages are not handed out and their
            // offsets are not committed.
            state.withLockedValue { $0.revoke(partitions) }
            onRevoke?(partitions)
            let lost = rd_kafka_assignment_lost(rk) != 0
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) {
                    logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError(consuming: error))"])
                }
            } else {
                rd_kafka_assign(rk, nil)
            }
            logger.info("partitions revoked", metadata: ["partitions": "\(partitions.sorted())", "lost": "\(lost)"])
        default:
            logger.error("rebalance failed", metadata: ["error": "\(KafkaError(err))"])
            state.withLockedValue { $0.revoke(partitions) }
            onRevoke?(partitions)
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) { rd_kafka_error_destroy(error) }
            } else {
                rd_kafka_assign(rk, nil)
            }
        }
    }

    static func topicPartitions(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [TopicPartition] {
        guard let list else { return [] }
        return UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)).map {
            TopicPartition(topic: String(cString: $0.topic), partition: $0.partition)
        }
    }
}
