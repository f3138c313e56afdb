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
    /// lanes finish within the drain timeout. Returns the consumer's failure, if that ended it.
    func deliver(_ consumer: KafkaConsumer, commits: AsyncStream<CommitRequest>.Continuation) async -> KafkaError? {
        enum Ended: Sendable {
            case lane
            case drainTimeout
        }
        let laneCount = max(1, config.maxInFlight)
        // Each lane has its own queue, so a slow key holds up only its lane; the limit bounds
        // what all lanes hold together.
        let lanes = (0..<laneCount).map { _ in AsyncStream<KafkaMessage>.makeStream() }
        let limit = InFlightLimit(limit: laneCount * 64)
        return await withTaskGroup(of: Ended.self) { work -> KafkaError? in
            for lane in lanes {
                work.addTask {
                    for await message in lane.stream {
                        // A message abandoned on cancellation stays in flight: never committed,
                        // redelivered to whoever consumes the partition next.
                        guard await self.process(message) else { break }
                        let commit = self.state.withLockedValue {
                            $0.finished(topic: message.topic, partition: message.partition, offset: message.offset)
                        }
                        if let commit { commits.yield(.offsets(commit)) }
                        limit.release()
                    }
                    return .lane
                }
            }
            // Reading ends on stop() or a consumer failure, whichever comes first.
            let failure = await withTaskGroup(of: KafkaError?.self) { reading -> KafkaError? in
                reading.addTask { await self.read(consumer, into: lanes.map(\.continuation), limit: limit) }
                reading.addTask {
                    for await _ in self.stopSignal.stream {}
                    return nil
                }
                let first = await reading.next() ?? nil
                reading.cancelAll()
                return first
            }
            for lane in lanes { lane.continuation.finish() }
            if !state.withLockedValue({ $0.stopReading() }) {
                work.addTask {
                    // Cancelled once the lanes are done (or the run is), the wait just ends.
                    try? await Task.sleep(for: self.drainTimeout)
                    return .drainTimeout
                }
            }
            var running = laneCount
            while running > 0, let ended = await work.next() {
                switch ended {
                case .lane:
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

    /// The reader: hands each message to its key's lane, waiting while the lanes are full.
    /// Returns the consumer's error when it fails; `nil` when cancelled.
    private func read(_ consumer: KafkaConsumer, into lanes: [AsyncStream<KafkaMessage>.Continuation], limit: InFlightLimit) async -> KafkaError? {
        do {
            for try await message in consumer {
                state.withLockedValue { $0.received(topic: message.topic, partition: message.partition, offset: message.offset) }
                counters.consumed.increment()
                await limit.acquire()
                lanes[Self.lane(for: message.key, count: lanes.count)].yield(message)
                if Task.isCancelled { break }
            }
            return nil
        } catch {
            logger.error("consumer failed", metadata: ["error": "\(error)"])
            return error
        }
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
            if ticks % 10 == 0 { recordLag(consumer) }
        }
    }

    /// How long the committer waits after a commit before starting the next.
    static var commitPause: Duration { .milliseconds(100) }
    /// How often refused commits are retried (and the lag recorded, every tenth time).
    static var commitRetryInterval: Duration { .milliseconds(500) }
}
