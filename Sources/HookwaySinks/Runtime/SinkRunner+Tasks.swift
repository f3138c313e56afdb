import HookwayCore
import HookwayKafka
import Logging

extension SinkRunner {
    /// What the committer is asked to do.
    enum CommitRequest: Sendable {
        /// Commit these offsets (a batch the state machine started).
        case offsets(SinkRunnerStateMachine.Offsets)
        /// The timer fired: retry what a refused commit left.
        case timer
    }

    /// Reads and delivers until ``stop()``, cancellation or a consumer failure, then lets the
    /// slots finish what was read within the drain timeout. Returns the consumer's failure, if
    /// that ended it.
    func deliver(_ consumer: KafkaConsumer, commits: AsyncStream<CommitRequest>.Continuation) async -> KafkaError? {
        enum Ended: Sendable {
            case slot
            case drainTimeout
        }
        let slots = max(1, config.maxInFlight)
        return await withTaskGroup(of: Ended.self) { work -> KafkaError? in
            for id in 0..<slots {
                work.addTask {
                    await self.runSlot(id, commits: commits)
                    return .slot
                }
            }
            // Reading ends on stop() or a consumer failure, whichever comes first.
            let failure = await withTaskGroup(of: KafkaError?.self) { reading -> KafkaError? in
                reading.addTask { await self.read(consumer) }
                reading.addTask {
                    for await _ in self.stopSignal.stream {}
                    return nil
                }
                let first = await reading.next() ?? nil
                reading.cancelAll()
                return first
            }
            let (idle, drained) = state.withLockedValue { $0.stopReading() }
            for slot in idle { slot.resume(returning: nil) }
            if !drained {
                work.addTask {
                    // Cancelled once the slots are done (or the run is), the wait just ends.
                    try? await Task.sleep(for: self.drainTimeout)
                    return .drainTimeout
                }
            }
            var running = slots
            while running > 0, let ended = await work.next() {
                switch ended {
                case .slot:
                    running -= 1
                case .drainTimeout:
                    let abandoned = state.withLockedValue { $0.inFlight }
                    if abandoned > 0 {
                        logger.warning("abandoning in-flight work; it will be redelivered", metadata: ["messages": "\(abandoned)"])
                    }
                    work.cancelAll()
                }
            }
            work.cancelAll()
            return failure
        }
    }

    /// One delivery slot: takes the next message of a free key, delivers it, and goes on with
    /// the same key's next message while there is one. Ends when the runner is drained or the
    /// task is cancelled.
    private func runSlot(_ id: Int, commits: AsyncStream<CommitRequest>.Continuation) async {
        var next = await nextMessage(slot: id)
        while let message = next {
            // A message abandoned on cancellation stays in flight: never committed,
            // redelivered to whoever consumes the partition next.
            guard await process(message) else { return }
            let finished = state.withLockedValue { $0.finished(message) }
            if let commit = finished.commit { commits.yield(.offsets(commit)) }
            finished.reader?.resume()
            next = finished.next
            if next == nil { next = await nextMessage(slot: id) }
        }
    }

    /// The next message for slot `id`, waiting for one; `nil` when the runner is drained or
    /// the task is cancelled.
    private func nextMessage(slot id: Int) async -> KafkaMessage? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (slot: CheckedContinuation<KafkaMessage?, Never>) in
                switch state.withLockedValue({ $0.nextMessage(slot: id, slot, cancelled: Task.isCancelled) }) {
                case .deliver(let message): slot.resume(returning: message)
                case .end: slot.resume(returning: nil)
                case .wait: break
                }
            }
        } onCancel: {
            state.withLockedValue { $0.slotCancelled(id) }?.resume(returning: nil)
        }
    }

    /// The reader: queues each message for the slots, waiting while `capacity` are read and
    /// not finished. Returns the consumer's error when it fails; `nil` when cancelled.
    private func read(_ consumer: KafkaConsumer) async -> KafkaError? {
        do {
            for try await message in consumer {
                counters.consumed.increment()
                if let (slot, next) = state.withLockedValue({ $0.received(message) }) { slot.resume(returning: next) }
                guard await waitForRoom() else { break }
            }
            return nil
        } catch {
            logger.error("consumer failed", metadata: ["error": "\(error)"])
            return error
        }
    }

    /// Waits until the reader may read again; `false` when the task was cancelled.
    private func waitForRoom() async -> Bool {
        if state.withLockedValue({ $0.hasRoom }) { return true }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (reader: CheckedContinuation<Void, Never>) in
                if !state.withLockedValue({ $0.parkReader(reader, cancelled: Task.isCancelled) }) { reader.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.readerCancelled() }?.resume()
        }
        return !Task.isCancelled
    }

    /// A rebalance took partitions away: forget them, drop their messages not started.
    func revoked(_ partitions: [TopicPartition]) {
        let keys = Set(partitions.map { OffsetTracker.Key(topic: $0.topic, partition: $0.partition) })
        state.withLockedValue { $0.revoked(keys) }?.resume()
    }

    /// The committer: one commit at a time, each covering every offset finished before it
    /// started. Ends when cancelled.
    func commit(_ consumer: KafkaConsumer, requests: AsyncStream<CommitRequest>) async {
        for await request in requests {
            var next: SinkRunnerStateMachine.Offsets?
            switch request {
            case .offsets(let offsets): next = offsets
            case .timer: next = state.withLockedValue { $0.timerFired() }
            }
            while let offsets = next {
                do {
                    try await consumer.commit(offsets: offsets)
                    // Deliveries finishing during a short pause join the next commit: a busy
                    // sink commits a few times a second, not once per delivery. Cancelled, the
                    // pause just ends: what finished is committed now or by the final commit.
                    try? await Task.sleep(for: Self.commitPause)
                    next = state.withLockedValue { $0.commitSucceeded() }
                } catch {
                    state.withLockedValue { $0.commitFailed(offsets) }
                    logger.warning("commit failed; will retry", metadata: ["error": "\(error)"])
                    next = nil
                }
            }
        }
    }

    /// The last commit, after every task ended.
    func commit(_ offsets: SinkRunnerStateMachine.Offsets, to consumer: KafkaConsumer) async {
        guard !offsets.isEmpty else { return }
        do {
            try await consumer.commit(offsets: offsets)
        } catch {
            logger.warning("final commit failed; those messages will be redelivered", metadata: ["error": "\(error)"])
        }
    }

    /// The timer: asks the committer to retry refused commits, and records the lag.
    func tick(_ consumer: KafkaConsumer, commits: AsyncStream<CommitRequest>.Continuation) async {
        var ticks = 0
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: Self.commitRetryInterval)
            } catch {
                return
            }
            commits.yield(.timer)
            ticks += 1
            // From the first tick on (the lag alert needs the series), then every tenth.
            if ticks % 10 == 1 { recordLag(consumer) }
        }
    }

    /// How long the committer waits after a commit before starting the next.
    static var commitPause: Duration { .milliseconds(100) }
    /// How often refused commits are retried (and the lag recorded, every tenth time).
    static var commitRetryInterval: Duration { .milliseconds(500) }
}
