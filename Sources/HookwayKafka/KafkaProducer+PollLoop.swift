import CRdKafka
import Logging

/// The producer's poll thread: serves delivery reports with a blocking `rd_kafka_poll` (it
/// returns as soon as reports arrive, and is woken by a queue yield for commands), runs
/// `flush`/`shutdown` commands, and owns the client's destruction. With a
/// ``DeliveryReportWakeup`` an IO loop serves the reports; the thread then blocks on its own
/// queue and serves only reports it sees waiting twice in a row (the loop missed a wake-up).
struct ProducerPollLoop {
    let handle: RdKafkaHandle
    let core: ProducerCore
    let opaque: Unmanaged<ProducerCore>
    let wakeup: DeliveryReportWakeup?

    /// Idle wake-up interval; the loop never sleeps, it blocks in librdkafka.
    private static let pollTimeoutMilliseconds: Int32 = 1000

    func run() {
        let rk = handle.pointer
        var waitingAtLastLook = false
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
            if let wakeup, !wakeup.servedByPollThread, let ownQueue = handle.wakeQueue {
                if let event = rd_kafka_queue_poll(ownQueue, Self.pollTimeoutMilliseconds) { rd_kafka_event_destroy(event) }
                // Reports still waiting a whole interval after they were first seen: the IO
                // loop missed its wake-up, so serve them here rather than strand them.
                let waiting = wakeup.waitingReports()
                if waiting && waitingAtLastLook { core.serveReports(handle: handle, waitMilliseconds: 0, caller: .pollThread) }
                waitingAtLastLook = waiting
            } else {
                core.serveReports(handle: handle, waitMilliseconds: Self.pollTimeoutMilliseconds, caller: .pollThread)
            }
        }
    }

    private func flush(_ rk: OpaquePointer, timeout: Duration) -> KafkaError? {
        // rd_kafka_flush serves delivery reports itself; flushing in short slices lets the
        // reports it served be settled (their sends resumed) while the flush goes on.
        let deadline = ContinuousClock.now + timeout
        while true {
            let slice = Swift.min(Swift.max(deadline - ContinuousClock.now, .zero), .milliseconds(100))
            let err = core.serving(handle: handle) { rd_kafka_flush($0, slice.wholeMilliseconds) }
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
                core.serveReports(handle: handle, waitMilliseconds: 50, caller: .pollThread)
            }
        }
        let leftovers = core.state.withLockedValue { $0.close() }
        for send in leftovers.sends {
            send.completion(.failed(.closed("the producer")))
        }
        wakeup?.disarm()
        handle.destroy()
        wakeup?.closeDescriptors()
        opaque.release()
        shutdownCommand.continuation?.resume(returning: nil)
        for command in leftovers.commands {
            command.continuation?.resume(returning: command.kind == .flush ? .closed("the producer") : nil)
        }
        core.logger.debug("producer destroyed")
    }
}
