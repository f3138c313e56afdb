import CRdKafka
import NIOConcurrencyHelpers

/// librdkafka's delivery report callback. It only runs inside `rd_kafka_poll`/`rd_kafka_flush`,
/// which only the producer's poll thread calls; it records the report, and the poll thread
/// settles the whole batch after the call returns (one lock, then resumes outside it).
/// `opaque` is the retained ``ProducerCore``; the message opaque (`_private`) is the send's id.
let deliveryReportCallback:
    @convention(c) (
        OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?
    ) -> Void = { _, message, opaque in
        guard let message, let opaque else { return }
        let core = Unmanaged<ProducerCore>.fromOpaque(opaque).takeUnretainedValue()
        let raw = message.pointee
        core.reportBatch.append(
            .init(id: UInt64(UInt(bitPattern: raw._private)), partition: raw.partition, offset: raw.offset, error: raw.err)
        )
    }

/// Delivery reports collected during one `rd_kafka_poll`/`rd_kafka_flush` call.
///
/// `@unchecked Sendable`: `reports` is only touched on the producer's poll thread — by the
/// delivery report callback (which librdkafka runs inside poll/flush, called only there) and by
/// ``ProducerCore/settleDeliveryReports(client:)``, also called only there.
final class DeliveryReportBatch: @unchecked Sendable {
    struct Report {
        let id: UInt64
        let partition: Int32
        let offset: Int64
        let error: rd_kafka_resp_err_t
    }

    private var reports: [Report] = []

    func append(_ report: Report) {
        reports.append(report)
    }

    func take() -> [Report] {
        defer { reports.removeAll(keepingCapacity: true) }
        return reports
    }
}

extension ProducerCore {
    /// Resumes the sends whose reports arrived in the last poll: each id is looked up and
    /// removed under one lock acquisition, so each completion is called at most once, and the
    /// resumes happen after the lock is released.
    func settleDeliveryReports(client rk: OpaquePointer) {
        let reports = reportBatch.take()
        guard !reports.isEmpty else { return }
        let sends = state.withLockedValue { state in reports.map { state.reportDelivery($0.id) } }
        for (report, send) in zip(reports, sends) {
            guard let send else {
                logger.warning("delivery report for an unknown message", metadata: ["message.id": "\(report.id)"])
                continue
            }
            if report.error == RD_KAFKA_RESP_ERR_NO_ERROR {
                let delivered = DeliveryReport(topic: send.topic, partition: report.partition, offset: report.offset)
                send.completion(.delivered(delivered))
            } else {
                send.completion(.failed(KafkaError.resolvingFatal(report.error, client: rk)))
            }
        }
    }
}
