import CRdKafka

/// librdkafka's delivery report callback, called on the producer's poll thread from inside
/// `rd_kafka_poll`/`rd_kafka_flush`. `opaque` is the retained ``ProducerCore``; the message
/// opaque (`_private`) is the send's id.
let deliveryReportCallback: @convention(c) (
    OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?
) -> Void = { rk, message, opaque in
    guard let rk, let message, let opaque else { return }
    let core = Unmanaged<ProducerCore>.fromOpaque(opaque).takeUnretainedValue()
    core.deliveryReported(message.pointee, client: rk)
}

extension ProducerCore {
    func deliveryReported(_ message: rd_kafka_message_t, client rk: OpaquePointer) {
        let id = UInt64(UInt(bitPattern: message._private))
        guard let send = state.withLockedValue({ $0.reportDelivery(id) }) else {
            logger.warning("delivery report for an unknown message", metadata: ["message.id": "\(id)"])
            return
        }
        // Resumed outside the lock.
        if message.err == RD_KAFKA_RESP_ERR_NO_ERROR {
            let report = DeliveryReport(topic: send.topic, partition: message.partition, offset: message.offset)
            send.continuation.resume(returning: .delivered(report))
        } else {
            let error = KafkaError.resolvingFatal(message.err, client: rk)
            send.continuation.resume(returning: .failed(error))
        }
    }
}
