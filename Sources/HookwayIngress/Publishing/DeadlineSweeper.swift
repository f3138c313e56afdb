import NIOConcurrencyHelpers

/// Fires deadlines in bulk: one task wakes every `tick` and runs each registered action whose
/// deadline passed. Registering costs a lock and an append — no task and no timer per request,
/// which on the hot path (one deadline per webhook) used to cost a libdispatch timer and two
/// task hops each. Deadlines fire up to one `tick` late; actions must tolerate firing after
/// the work they guard finished (they find it settled and do nothing).
final class DeadlineSweeper: Sendable {
    struct Entry: Sendable {
        let deadline: ContinuousClock.Instant
        let action: @Sendable () -> Void
    }

    /// Entries of one timeout length, in deadline order (registration order).
    struct Queue {
        var entries: [Entry] = []
        var head = 0

        mutating func popDue(now: ContinuousClock.Instant, into due: inout [Entry]) {
            while head < entries.count, entries[head].deadline <= now {
                due.append(entries[head])
                head += 1
            }
            // Compact once the consumed prefix dominates (amortized O(1) per entry).
            if head > 1024, head * 2 > entries.count {
                entries.removeFirst(head)
                head = 0
            }
        }

        var isEmpty: Bool { head == entries.count }
    }

    struct State {
        var queues: [Duration: Queue] = [:]
        var sweeping = false
    }

    let tick: Duration
    let state = NIOLockedValueBox(State())

    init(tick: Duration = .milliseconds(25)) {
        self.tick = tick
    }

    /// The process-wide sweeper for request deadlines.
    static let shared = DeadlineSweeper()

    /// Runs `action` once `timeout` has passed (give or take a tick).
    func after(_ timeout: Duration, _ action: @escaping @Sendable () -> Void) {
        let entry = Entry(deadline: .now + timeout, action: action)
        let start = state.withLockedValue { state -> Bool in
            state.queues[timeout, default: Queue()].entries.append(entry)
            guard !state.sweeping else { return false }
            state.sweeping = true
            return true
        }
        // The sweeper runs only while deadlines are pending, so an idle process has no wakeups.
        if start { Task { await self.sweep() } }
    }

    private func sweep() async {
        var due: [Entry] = []
        while true {
            try? await Task.sleep(for: tick)
            let now = ContinuousClock.now
            let more = state.withLockedValue { state -> Bool in
                for key in Array(state.queues.keys) {
                    state.queues[key]?.popDue(now: now, into: &due)
                    if state.queues[key]?.isEmpty == true { state.queues[key] = nil }
                }
                if state.queues.isEmpty { state.sweeping = false }
                return state.sweeping
            }
            for entry in due { entry.action() }
            due.removeAll(keepingCapacity: true)
            if !more { return }
        }
    }
}
