import HookwayCore

/// The supervisor's state, one struct behind one lock: which sinks should run (by slot — a
/// sink whose settings change gets a new slot), each slot's runner, and its health. Methods
/// take an event — a routes file applied, a runner started, a run ended, shutdown — and say
/// what to do; ``SinkSupervisor`` does it.
struct SinkSupervisorStateMachine {
    /// One sink's place while it should run.
    struct Slot {
        let config: SinkConfig
        var runner: SinkRunner?
        var stopped = false
        var downSince: ContinuousClock.Instant?
        var lastError: String?
        var restarts = 0
    }

    /// The routes file in force: a new run takes its Kafka settings.
    private(set) var routes: RoutesConfig
    private var slots: [Int: Slot] = [:]
    /// The slot of each running sink name.
    private var byName: [String: Int] = [:]
    private var nextID = 0

    /// What applying a routes file asks for.
    struct Changes {
        /// Runners to stop (their slots are stopped already).
        var stop: [SinkRunner] = []
        /// Slots to start, by id, with the sink's settings.
        var start: [(id: Int, config: SinkConfig)] = []
        /// Names of the sinks stopped.
        var stopped: [String] = []
    }

    init(routes: RoutesConfig) {
        self.routes = routes
    }

    /// A routes file is in force: sinks no longer wanted, or whose settings changed, stop; new
    /// ones start.
    mutating func apply(_ config: RoutesConfig, only: Set<String>) -> Changes {
        routes = config
        let wanted = Set(config.sinkNames.filter { only.isEmpty || only.contains($0) })
        var changes = Changes()
        for (name, id) in byName {
            guard let slot = slots[id] else { continue }
            if !wanted.contains(name) || config.sinks[name]?.options != slot.config.options {
                if let runner = stop(id) { changes.stop.append(runner) }
                changes.stopped.append(name)
                byName[name] = nil
            }
        }
        for name in config.sinkNames where wanted.contains(name) && byName[name] == nil {
            guard let sink = config.sinks[name] else { continue }
            let id = nextID
            nextID += 1
            slots[id] = Slot(config: sink)
            byName[name] = id
            changes.start.append((id, sink))
        }
        return changes
    }

    /// A runner was made for slot `id`: `false` when the slot stopped meanwhile (stop the runner).
    mutating func install(_ runner: SinkRunner, in id: Int) -> Bool {
        guard let slot = slots[id], !slot.stopped else { return false }
        slots[id]?.runner = runner
        slots[id]?.downSince = nil
        slots[id]?.lastError = nil
        return true
    }

    /// Slot `id`'s run died with `error`: it is down (since the first failure), and restarts.
    mutating func runFailed(_ id: Int, error: String, now: ContinuousClock.Instant) {
        guard slots[id] != nil else { return }
        if slots[id]?.downSince == nil { slots[id]?.downSince = now }
        slots[id]?.lastError = error
        slots[id]?.restarts += 1
    }

    /// Whether slot `id` should stop (removed, replaced or shut down).
    func isStopped(_ id: Int) -> Bool { slots[id]?.stopped ?? true }

    /// Slot `id` ended for good: forget it.
    mutating func ended(_ id: Int) {
        guard slots[id]?.stopped == true else { return }
        slots[id] = nil
    }

    /// Shutdown: every slot stops; the runners to stop.
    mutating func stopAll() -> [SinkRunner] {
        byName = [:]
        return slots.keys.compactMap { stop($0) }
    }

    private mutating func stop(_ id: Int) -> SinkRunner? {
        slots[id]?.stopped = true
        return slots[id]?.runner
    }

    /// The sinks that should run, by name.
    var runningSinks: [String] { byName.keys.sorted() }

    /// The runner of the sink named `name` now.
    func runner(named name: String) -> SinkRunner? { byName[name].flatMap { slots[$0]?.runner } }

    /// Each running sink's health, by name.
    func health(now: ContinuousClock.Instant) -> [SinkHealth] {
        byName.sorted { $0.key < $1.key }.compactMap { name, id in
            slots[id].map { slot in
                SinkHealth(
                    name: name,
                    downFor: slot.downSince.map { now - $0 },
                    lastError: slot.lastError,
                    restarts: slot.restarts,
                    circuit: slot.runner?.circuit
                )
            }
        }
    }
}
