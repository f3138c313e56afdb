import CRdKafka
import Logging

/// The consumer's poll thread. It alone calls `rd_kafka_consumer_poll`, commits, pauses and
/// resumes, and serves rebalances (which librdkafka calls from inside the poll), so those never
/// race each other. It blocks in librdkafka, never sleeps; a queue yield wakes it.
struct ConsumerPollLoop {
    let handle: RdKafkaHandle
    let core: ConsumerCore
    let opaque: Unmanaged<ConsumerCore>

    private static let pollTimeoutMilliseconds: Int32 = 1000

    func run() {
        let rk = handle.pointer
        var fatalError: KafkaError?
        while fatalError == nil {
            let work = core.state.withLockedValue { $0.takePollWork() }
            for request in work.commits {
                request.continuation.resume(returning: performCommit(rk, request))
            }
            if work.shouldClose { break }
            if work.shouldResumeFetching {
                setFetching(rk, paused: false)
            }
            guard let message = rd_kafka_consumer_poll(rk, Self.pollTimeoutMilliseconds) else { continue }
            defer { rd_kafka_message_destroy(message) }
            if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                fatalError = handleError(rk, message)
                continue
            }
            switch core.state.withLockedValue({ $0.deliver(KafkaMessage(copying: message)) }) {
            case .resume(let continuation, let message):
                continuation.resume(returning: .success(message))
            case .buffered(let atHighWaterMark):
                if atHighWaterMark, !core.state.withLockedValue({ $0.isPausedForBackPressure }) {
                    setFetching(rk, paused: true)
                }
            }
        }
        tearDown(rk, error: fatalError)
    }

    /// Pauses or resumes fetching for the whole current assignment. While paused, messages
    /// already fetched are discarded by librdkafka and re-fetched from the last position handed
    /// to us on resume, so nothing is skipped.
    func setFetching(_ rk: OpaquePointer, paused: Bool) {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = paused ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
        core.state.withLockedValue { $0.isPausedForBackPressure = paused }
        core.logger.trace(paused ? "buffer full, fetching paused" : "buffer drained, fetching resumed")
    }

    /// Logs a consumer error; returns it if it is fatal (which ends the sequence).
    private func handleError(_ rk: OpaquePointer, _ message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaError? {
        let err = message.pointee.err
        let error = KafkaError.resolvingFatal(err, client: rk)
        if error.isFatal {
            core.logger.error("consumer failed", metadata: ["error": "\(error)"])
            return error
        }
        let detail = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? ""
        core.logger.warning("consumer error", metadata: ["error": "\(error)", "detail": "\(detail)"])
        return nil
    }

    private func tearDown(_ rk: OpaquePointer, error: KafkaError?) {
        // Leaves the group; the revoke is served by our rebalance callback on this thread. A
        // consumer that failed fatally cannot leave cleanly (librdkafka's close then waits on a
        // group it can no longer talk to): the sequence ends with the error at once, and the
        // client is destroyed without the close — the group expires the member.
        if error == nil {
            let closeError = rd_kafka_consumer_close(rk)
            if closeError != RD_KAFKA_RESP_ERR_NO_ERROR {
                core.logger.warning("consumer close", metadata: ["error": "\(KafkaError(closeError))"])
            }
        }
        let actions = core.state.withLockedValue { $0.finish(error: error) }
        handle.closeAndDrainLeases()
        handle.destroy(skipConsumerClose: error != nil)
        opaque.release()
        for waiter in actions.waiters {
            waiter.resume(returning: error.map { .failure($0) } ?? .success(nil))
        }
        for commit in actions.commits {
            commit.continuation.resume(returning: .closed("the consumer"))
        }
        for waiter in actions.closeWaiters {
            waiter.resume()
        }
        core.logger.debug("consumer closed")
    }
}
