import CRdKafka
import NIOConcurrencyHelpers

/// librdkafka's delivery report callback. It only runs inside `rd_kafka_poll`/`rd_kafka_flush`,
/// which are only called holding ``ProducerCore/serving`` (by the poll thread, or by an IO loop
/// through ``DeliveryReportWakeup``); it records the report, and the caller settles the whole
/// batch after the call returns (one lock, then resumes outside it).
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
/// `@unchecked Sendable`: `reports` is only touched while ``ProducerCore/serving`` is held — by
/// the delivery report callback (which librdkafka runs inside poll/flush, called only with the
/// lock held) and by the `take()` that follows the call under the same lock.
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
    /// Who is calling ``serveReports(handle:waitMilliseconds:caller:)``.
    enum ReportServer {
        /// The producer's poll thread: it owns the client (it destroys it), so it calls
        /// librdkafka directly, and it waits for an IO loop that is serving.
        case pollThread
        /// An IO loop (``DeliveryReportWakeup``): it calls librdkafka under a lease, and
        /// does not wait when another thread is serving.
        case ioLoop
    }

    /// Polls the report queue (waiting up to `waitMilliseconds`) and settles what it served.
    /// Only one thread serves at a time; returns `false` when an IO loop found another thread
    /// serving (it should try again shortly).
    @discardableResult
    func serveReports(handle: RdKafkaHandle, waitMilliseconds: Int32, caller: ReportServer) -> Bool {
        switch caller {
        case .pollThread:
            serving(handle: handle) { rk in rd_kafka_poll(rk, waitMilliseconds) }
            return true
        case .ioLoop:
            let served = serving.withLockIfAvailable { _ -> [DeliveryReportBatch.Report] in
                // A closed client is being torn down by the poll thread, which settles the rest.
                _ = handle.withLease { rk in rd_kafka_poll(rk, waitMilliseconds) }
                return reportBatch.take()
            }
            guard let served else { return false }
            settle(served, handle: handle, caller: caller)
            return true
        }
    }

    /// Runs `body` (a poll or a flush, which serves reports itself) on the poll thread under
    /// ``serving``, then settles the reports it served.
    @discardableResult
    func serving<Result>(handle: RdKafkaHandle, _ body: (OpaquePointer) -> Result) -> Result {
        let (result, reports) = serving.withLock { _ in (body(handle.pointer), reportBatch.take()) }
        settle(reports, handle: handle, caller: .pollThread)
        return result
    }

    /// Resumes the sends whose reports arrived in the last poll: each id is looked up and
    /// removed under one lock acquisition, so each completion is called at most once, and the
    /// resumes happen after that lock and ``serving`` are released.
    private func settle(_ reports: [DeliveryReportBatch.Report], handle: RdKafkaHandle, caller: ReportServer) {
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
                send.completion(.failed(Self.error(report.error, handle: handle, caller: caller)))
            }
        }
    }

    /// The report's error, with the fatal error's cause read from the client while it exists.
    private static func error(_ err: rd_kafka_resp_err_t, handle: RdKafkaHandle, caller: ReportServer) -> KafkaError {
        switch caller {
        case .pollThread:
            return KafkaError.resolvingFatal(err, client: handle.pointer)
        case .ioLoop:
            return handle.withLease { KafkaError.resolvingFatal(err, client: $0) } ?? KafkaError(err)
        }
    }
}
