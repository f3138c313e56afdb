import CRdKafka
import Logging

/// The producer's poll thread: serves delivery reports with a blocking `rd_kafka_poll` (it
/// returns as soon as reports arrive, and is woken by a queue yield for commands), runs
/// `flush`/`shutdown` commands, and owns the client's destruction.
struct ProducerPollLoop {
    let handle: RdKafkaHandle
    let core: ProducerCore
    let opaque: Unmanaged<ProducerCore>

    /// Idle wake-up interval; the loop never sleeps, it blocks in librdkafka.
    private static let pollTimeoutMilliseconds: Int32 = 1000

    func run() {
        let rk = handle.pointer
        while true {
            for command in core.state.withLockedValue({ $0.takeCommands() }) {
                switch command.kind {
                case .flush:
                    command.continuation?.resume(returning: flush(rk, timeout: command.timeout))
                case .shutdown:
                    tearDown(rk, timeout: command.timeout, shutdownCommand: command)
                    return
                }
            }
            rd_kafka_poll(rk, Self.pollTimeoutMilliseconds)
            core.settleDeliveryReports(client: rk)
        }
    }

    private func flush(_ rk: OpaquePointer, timeout: Duration) -> KafkaError? {
        // rd_kafka_flush serves delivery reports itself; flushing in short slices lets the
        // reports it served be settled (their sends resumed) while the flush goes on.
        let deadline = ContinuousClock.now + timeout
        while true {
            let slice = Swift.min(Swift.max(deadline - ContinuousClock.now, .zero), .milliseconds(100))
            let err = rd_kafka_flush(rk, slice.wholeMilliseconds)
            core.settleDeliveryReports(client: rk)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return nil }
            if ContinuousClock.now >= deadline {
                return KafkaError(err, detail: "\(rd_kafka_outq_len(rk)) messages or requests still outstanding")
            }
        }
    }

    private func tearDown(_ rk: OpaquePointer, timeout: Duration, shutdownCommand: ProducerStateMachine.Command) {
        // New sends are already refused (the state is shutting down); wait out any produce
        // call that got its lease before that.
        handle.closeAndDrainLeases()
        if timeout > .zero, let error = flush(rk, timeout: timeout) {
            core.logger.warning("producer flush on shutdown incomplete", metadata: ["error": "\(error)"])
        }
        if rd_kafka_outq_len(rk) > 0 {
            // Purged messages get their delivery report (with a _PURGE_* error) via poll.
            rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            let deadline = ContinuousClock.now + .seconds(2)
            while rd_kafka_outq_len(rk) > 0, ContinuousClock.now < deadline {
                rd_kafka_poll(rk, 50)
                core.settleDeliveryReports(client: rk)
            }
        }
        let leftovers = core.state.withLockedValue { $0.close() }
        for send in leftovers.sends {
            send.completion(.failed(.closed("the producer")))
        }
        handle.destroy()
        opaque.release()
        shutdownCommand.continuation?.resume(returning: nil)
        for command in leftovers.commands {
            command.continuation?.resume(returning: command.kind == .flush ? .closed("the producer") : nil)
        }
        core.logger.debug("producer destroyed")
    }
}
