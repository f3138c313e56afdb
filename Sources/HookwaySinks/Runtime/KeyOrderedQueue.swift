import DequeModule
import HookwayKafka

/// The messages a sink has read and not finished, scheduled by key: one key's messages start
/// one at a time in offset order, and any idle delivery slot takes the next message of any key
/// that is free. (Hashing keys onto fixed lanes, as before, left lanes idle while others queued
/// several keys: 16 lanes gave 8× one lane's rate, this gives close to 16×.)
///
/// A message without a key has no order to keep: it is its own key.
struct KeyOrderedQueue: Sendable {
    enum KeyID: Hashable, Sendable {
        case key([UInt8])
        case unkeyed(topic: String, partition: Int32, offset: Int64)

        init(_ message: KafkaMessage) {
            if let key = message.key {
                self = .key(key)
            } else {
                self = .unkeyed(topic: message.topic, partition: message.partition, offset: message.offset)
            }
        }
    }

    /// Per key, its messages not started yet, in offset order.
    private var waiting: [KeyID: Deque<KafkaMessage>] = [:]
    /// Keys with a delivery in progress.
    private var busy: Set<KeyID> = []
    /// Keys that are not busy and have a message waiting, oldest first.
    private var ready: Deque<KeyID> = []
    /// Messages waiting (not started).
    private(set) var waitingCount = 0

    /// Whether a message could start now.
    var hasReady: Bool { !ready.isEmpty }

    /// Keys with a delivery in progress.
    var deliveringCount: Int { busy.count }

    /// Queues a message read from the consumer.
    mutating func enqueue(_ message: KafkaMessage) {
        let id = KeyID(message)
        let wasEmpty = waiting[id]?.isEmpty ?? true
        waiting[id, default: []].append(message)
        waitingCount += 1
        if wasEmpty, !busy.contains(id) { ready.append(id) }
    }

    /// Starts the oldest ready key's next message; `nil` when every key with messages waiting is busy.
    mutating func startNext() -> KafkaMessage? {
        while let id = ready.popFirst() {
            guard let message = take(id) else { continue }
            busy.insert(id)
            return message
        }
        return nil
    }

    /// A delivery finished: its key's next message, started at once by the same slot (so a key
    /// never waits behind other keys' ready messages); `nil` when the key has none waiting.
    mutating func finish(_ message: KafkaMessage) -> KafkaMessage? {
        let id = KeyID(message)
        if let next = take(id) { return next }
        busy.remove(id)
        return nil
    }

    /// Drops the waiting messages of revoked partitions (their new owner reads them again).
    /// Messages being delivered are not touched. Returns how many were dropped.
    mutating func drop(partitions: Set<OffsetTracker.Key>) -> Int {
        var dropped = 0
        for (id, messages) in waiting {
            let kept = messages.filter { !partitions.contains(OffsetTracker.Key(topic: $0.topic, partition: $0.partition)) }
            guard kept.count != messages.count else { continue }
            dropped += messages.count - kept.count
            waiting[id] = kept.isEmpty ? nil : kept
        }
        waitingCount -= dropped
        if dropped > 0 { ready.removeAll { waiting[$0] == nil } }
        return dropped
    }

    private mutating func take(_ id: KeyID) -> KafkaMessage? {
        guard let message = waiting[id]?.popFirst() else { return nil }
        if waiting[id]?.isEmpty == true { waiting[id] = nil }
        waitingCount -= 1
        return message
    }
}
