/// A FIFO of consumed messages (an array with a moving head, compacted as it drains).
struct MessageBuffer {
    private var storage: [KafkaMessage] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ message: KafkaMessage) {
        storage.append(message)
    }

    mutating func popFirst() -> KafkaMessage? {
        guard head < storage.count else { return nil }
        let message = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return message
    }

    /// Drops buffered messages of partitions this consumer no longer owns.
    mutating func removeAll(in partitions: Set<TopicPartition>) {
        guard !partitions.isEmpty else { return }
        storage = storage[head...].filter { !partitions.contains(TopicPartition(topic: $0.topic, partition: $0.partition)) }
        head = 0
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
    }
}
