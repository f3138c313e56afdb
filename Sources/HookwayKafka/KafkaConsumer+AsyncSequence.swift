extension KafkaConsumer: AsyncSequence {
    /// Messages, in partition order.
    public typealias Element = KafkaMessage
    /// The sequence throws only if the consumer fails fatally.
    public typealias Failure = KafkaError

    /// Returns an iterator over the consumer's messages. Several iterators share one buffer.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: self)
    }

    /// Iterates a ``KafkaConsumer``'s messages.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// The sequence throws only if the consumer fails fatally.
        public typealias Failure = KafkaError

        let consumer: KafkaConsumer
        private var isDone = false

        init(consumer: KafkaConsumer) {
            self.consumer = consumer
        }

        /// The next message; `nil` once the consumer is closed or the task is cancelled.
        public mutating func next() async throws(KafkaError) -> KafkaMessage? {
            guard !isDone else { return nil }
            let consumer = self.consumer
            return try settle(await consumer.core.nextMessage(wake: consumer.handle))
        }

        /// The next message; `nil` once the consumer is closed or the task is cancelled.
        @available(macOS 15.0, *)
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(KafkaError) -> KafkaMessage? {
            guard !isDone else { return nil }
            let consumer = self.consumer
            return try settle(await consumer.core.nextMessage(wake: consumer.handle))
        }

        /// After the end or an error, the iterator only returns `nil`.
        private mutating func settle(_ result: Result<KafkaMessage?, KafkaError>) throws(KafkaError) -> KafkaMessage? {
            switch result {
            case .success(let message?):
                return message
            case .success(nil):
                isDone = true
                return nil
            case .failure(let error):
                isDone = true
                throw error
            }
        }
    }
}

extension ConsumerCore {
    func nextMessage(wake handle: RdKafkaHandle) async -> Result<KafkaMessage?, KafkaError> {
        let id = state.withLockedValue { $0.makeWaiterID() }
        defer { state.withLockedValue { $0.nextCompleted(id: id) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                switch state.withLockedValue({ $0.next(id: id, continuation) }) {
                case .resume(let continuation, let result, let wakePollThread):
                    continuation.resume(returning: result)
                    if wakePollThread { handle.wake() }
                case .wait:
                    break
                }
            }
        } onCancel: {
            state.withLockedValue { $0.cancelWaiter(id: id) }?.resume(returning: .success(nil))
        }
    }
}
