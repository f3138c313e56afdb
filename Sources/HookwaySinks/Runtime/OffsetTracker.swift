/// Per-partition bookkeeping for at-least-once commits: an offset may be committed only when it
/// and every earlier offset of its partition are done, even though lanes finish out of order.
public struct OffsetTracker: Sendable {
    struct PartitionState: Sendable {
        /// Offsets started and not yet done, in ascending order.
        var pending: [Int64] = []
        var pendingStart = 0
        var done: Set<Int64> = []
        /// The next offset to consume after everything done so far (what a commit stores).
        var committable: Int64?
        var lastCommitted: Int64?
    }

    public struct Key: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
    }

    var partitions: [Key: PartitionState] = [:]

    public init() {}

    /// Records that work on `offset` began. Offsets of a partition arrive in ascending order.
    public mutating func begin(topic: String, partition: Int32, offset: Int64) {
        partitions[Key(topic: topic, partition: partition), default: PartitionState()].pending.append(offset)
    }

    /// Records that `offset` is finished (delivered or dead-lettered).
    public mutating func finish(topic: String, partition: Int32, offset: Int64) {
        let key = Key(topic: topic, partition: partition)
        guard partitions[key] != nil else { return }
        // Mutated in place: copying the state out would copy its `done` set on every call.
        Self.finish(offset, in: &partitions[key, default: PartitionState()])
    }

    private static func finish(_ offset: Int64, in state: inout PartitionState) {
        state.done.insert(offset)
        while state.pendingStart < state.pending.count, state.done.contains(state.pending[state.pendingStart]) {
            let o = state.pending[state.pendingStart]
            state.done.remove(o)
            state.committable = o &+ 1
            state.pendingStart += 1
        }
        if state.pendingStart > 1024 {
            state.pending.removeFirst(state.pendingStart)
            state.pendingStart = 0
        }
    }

    /// Offsets ready to commit that were not committed yet; marks them committed.
    public mutating func takeCommittable() -> [(topic: String, partition: Int32, nextOffset: Int64)] {
        var out: [(topic: String, partition: Int32, nextOffset: Int64)] = []
        for (key, state) in partitions {
            guard let next = state.committable, next != state.lastCommitted else { continue }
            out.append((key.topic, key.partition, next))
            partitions[key]?.lastCommitted = next
        }
        return out
    }

    /// Puts offsets back after a failed commit so the next attempt includes them.
    public mutating func commitFailed(_ offsets: [(topic: String, partition: Int32, nextOffset: Int64)]) {
        for o in offsets { partitions[Key(topic: o.topic, partition: o.partition)]?.lastCommitted = nil }
    }

    /// Forgets revoked partitions (their offsets belong to another member now).
    public mutating func forget(_ revoked: Set<Key>) {
        for key in revoked { partitions[key] = nil }
    }

    /// Per partition, the next offset after everything done so far — where the sink stands.
    /// Consumer lag is a partition's high watermark minus this.
    public var positions: [Key: Int64] {
        var out: [Key: Int64] = [:]
        for (key, state) in partitions {
            if let next = state.committable ?? state.lastCommitted { out[key] = next }
        }
        return out
    }

    /// Number of offsets started and not yet finished.
    public var inFlight: Int { partitions.values.reduce(0) { $0 + $1.pending.count - $1.pendingStart - $1.done.count } }
}
