/// Everything the publisher knows between calls, in one value behind one lock (the
/// swift-kafka-client pattern): each method changes the state and returns what the caller must
/// do — outside the lock — instead of doing it.
struct PublisherStateMachine<Producer: AnyObject & Sendable>: Sendable {
    struct TopicSettings: Sendable, Equatable {
        var autoCreate: Bool
        var partitions: Int32
        var replicationFactor: Int16
        /// Where `received`/`spooled` outcomes go; `nil`: not reported.
        var outcomeTopic: String? = nil
    }

    /// Tuning; the defaults are the product's.
    struct Timing: Sendable {
        /// Fresh producers need time to initialize: replacements are at least this far apart.
        var replacementInterval = Duration.seconds(30)
        /// Timeouts in a row, while the broker answers, that mean the producer is stuck.
        var stuckTimeouts = 3
        /// A topic whose creation failed is not asked for again before this.
        var creationRetryInterval = Duration.seconds(60)
        /// The broker counts as healthy this long after it last answered.
        var healthWindow = Duration.seconds(10)
    }

    enum FailureAction: Equatable {
        /// An outage: spool the event (or answer 503 without a spool).
        case outage
        /// Never publishable as it is: answer 413/500, do not spool.
        case reject
        /// The producer is broken: replace it, then treat the event as an outage.
        case replaceProducerThenOutage
    }

    private(set) var producer: Producer
    /// Bumped on each replacement, so a report about an old producer cannot replace the new one.
    private(set) var generation = 1
    var topicSettings: TopicSettings
    private var createdTopics: Set<String> = []
    /// Topics a caller is creating now.
    private var creating: Set<String> = []
    private var creationFailures: [String: ContinuousClock.Instant] = [:]
    private var lastAnswered: ContinuousClock.Instant?
    private var lastReplacement: ContinuousClock.Instant?
    private var consecutiveTimeouts = 0
    private(set) var spoolHasRoom = true
    private(set) var spoolHealthy = true
    let timing: Timing

    init(producer: Producer, topicSettings: TopicSettings, timing: Timing = Timing()) {
        self.producer = producer
        self.topicSettings = topicSettings
        self.timing = timing
    }

    // MARK: topics

    /// The topics this caller should create before sending (auto-create on, not known to
    /// exist, not being created by another caller right now, no recent failed attempt), now
    /// marked as being created; empty when none. Concurrent publishes of a new topic send at
    /// once instead of queueing behind one creation each.
    mutating func topicsToCreate(_ topics: [String], now: ContinuousClock.Instant, force: Bool = false) -> [String] {
        guard topicSettings.autoCreate else { return [] }
        let chosen =
            force
            ? topics
            : topics.filter { topic in
                !createdTopics.contains(topic) && !creating.contains(topic)
                    && (creationFailures[topic].map { now - $0 >= timing.creationRetryInterval } ?? true)
            }
        creating.formUnion(chosen)
        return chosen
    }

    mutating func topicsCreated(_ topics: [String]) {
        createdTopics.formUnion(topics)
        creating.subtract(topics)
        for topic in topics { creationFailures[topic] = nil }
    }

    mutating func topicCreationFailed(_ topics: [String], now: ContinuousClock.Instant) {
        creating.subtract(topics)
        for topic in topics { creationFailures[topic] = now }
    }

    // MARK: outcomes

    mutating func delivered(now: ContinuousClock.Instant) {
        lastAnswered = now
        consecutiveTimeouts = 0
    }

    mutating func failed(_ failure: PublishFailure, topics: [String]) -> FailureAction {
        switch failure {
        case .permanent:
            return .reject
        case .retriable:
            // The broker may have lost the topics (a restarted development broker): ask again.
            createdTopics.subtract(topics)
            return .outage
        case .fatal:
            createdTopics.subtract(topics)
            return .replaceProducerThenOutage
        }
    }

    /// A publish timed out. `brokerAnswers`: a metadata probe succeeded meanwhile. Returns true
    /// when the producer, not Kafka, is stuck and should be replaced.
    mutating func timedOut(brokerAnswers: Bool) -> Bool {
        guard brokerAnswers else { return false }
        consecutiveTimeouts += 1
        guard consecutiveTimeouts >= timing.stuckTimeouts else { return false }
        consecutiveTimeouts = 0
        return true
    }

    // MARK: producer replacement

    /// Whether a replacement may start now (and records that it does).
    mutating func beginReplacement(now: ContinuousClock.Instant, ofGeneration asked: Int? = nil) -> Bool {
        if let asked, asked != generation { return false }
        if let last = lastReplacement, now - last < timing.replacementInterval { return false }
        lastReplacement = now
        return true
    }

    /// Puts `fresh` in place and returns the producer it replaces.
    mutating func replaced(with fresh: Producer) -> Producer {
        let old = producer
        producer = fresh
        generation += 1
        createdTopics.removeAll()
        return old
    }

    // MARK: health

    mutating func brokerAnswered(now: ContinuousClock.Instant) { lastAnswered = now }

    func isHealthy(now: ContinuousClock.Instant) -> Bool {
        guard let lastAnswered else { return false }
        return now - lastAnswered < timing.healthWindow
    }

    mutating func noteSpool(hasRoom: Bool, healthy: Bool) {
        spoolHasRoom = hasRoom
        spoolHealthy = healthy
    }
}
