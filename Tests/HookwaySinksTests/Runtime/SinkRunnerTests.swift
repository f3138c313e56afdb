import Foundation
import HookwayCore
import HookwayKafka
import HookwaySinks
import HookwayTesting
import Logging
import NIOConcurrencyHelpers
import Testing

/// A sink that records deliveries and fails as told.
final class RecordingSink: Sink {
    let delivered = NIOLockedValueBox<[Event]>([])
    let attempts = NIOLockedValueBox<[String: Int]>([:])
    let failTransiently: Int
    let failPermanently: Bool
    let jitter: Bool

    init(failTransiently: Int = 0, failPermanently: Bool = false, jitter: Bool = false) {
        self.failTransiently = failTransiently
        self.failPermanently = failPermanently
        self.jitter = jitter
    }

    func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        let n = attempts.withLockedValue { a -> Int in
            a[event.id, default: 0] += 1
            return a[event.id, default: 0]
        }
        if jitter { try? await Task.sleep(for: .milliseconds(Int.random(in: 0...3))) }
        if failPermanently { throw .permanent(.destinationRejected, "rejected by test") }
        if n <= failTransiently { throw .transient(.destinationUnavailable, "try again (\(n))") }
        delivered.withLockedValue { $0.append(event) }
        return .delivered
    }
}

enum SinkFixtures {
    static var logger: Logger {
        var l = Logger(label: "test.sinks")
        l.logLevel = .error
        return l
    }

    static func event(
        id: String,
        subject: String,
        amount: String = "1.00",
        type: String = "btc.lightning.received.success",
        email: String = "alice@example.com"
    ) -> Event {
        let payload: JSONValue = .object([
            JSONMember("event", .string(type)),
            JSONMember(
                "data",
                .object([
                    JSONMember("id", .string(subject)), JSONMember("amount", .string(amount)), JSONMember("currency", .string("BTC")),
                    JSONMember("customerEmail", .string(email)),
                ])
            ),
        ])
        return Event(
            id: id,
            data: EventData(
                provider: "bitnob",
                source: "bitnob",
                event: type,
                entity: EntityRef(kind: "transaction", id: subject),
                status: "success",
                amount: amount,
                currency: "BTC",
                payload: payload
            ),
            authMethod: .signature,
            receivedAt: .now()
        )
    }

    /// Produces `events`; with `inOrder` one at a time, so each key's offsets follow the array.
    static func produce(_ events: [Event], to topic: String, broker: TansuBroker, inOrder: Bool = false) async throws {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            let chunkSize = inOrder ? events.count : 500
            for chunk in stride(from: 0, to: events.count, by: chunkSize) {
                let slice = events[chunk..<min(chunk + chunkSize, events.count)]
                group.addTask {
                    for e in slice {
                        _ = try await producer.send(topic: topic, key: Array(e.partitionKey.utf8), value: e.jsonBytes(), headers: [])
                    }
                }
            }
            try await group.waitForAll()
        }
        await producer.shutdown(timeout: .seconds(10))
    }

    static func sinkConfig(topic: String, maxInFlight: Int = 8, attempts: Int = 5, options: JSONValue = .object([])) -> SinkConfig {
        var c = SinkConfig(
            name: "test-\(UUID().uuidString.prefix(8))",
            kind: .accounting,
            topics: [topic],
            options: options,
            baseDirectory: NSTemporaryDirectory()
        )
        c.maxInFlight = maxInFlight
        c.retry.attempts = attempts
        c.retry.backoffMs = 10
        c.retry.maxBackoffMs = 50
        c.deadLetterTopic = "\(topic).dlq"
        return c
    }

    static func run(
        _ config: SinkConfig,
        sink: any Sink,
        broker: TansuBroker,
        outcomeTopic: String? = nil,
        until done: @escaping @Sendable () async throws -> Bool
    ) async throws {
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: logger)
        let runner = SinkRunner(
            config: config,
            sink: sink,
            brokers: broker.bootstrapServers,
            consumerProperties: ["session.timeout.ms": "6000", "fetch.wait.max.ms": "10"],
            producer: producer,
            logger: logger,
            topicPartitions: 3,
            outcomeTopic: outcomeTopic
        )
        let task = Task { try await runner.run() }
        let deadline = ContinuousClock.now + .seconds(90)
        while try await !done(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        runner.stop()
        try await task.value
        await producer.shutdown(timeout: .seconds(5))
    }
}

@Suite(.timeLimit(.minutes(3)))
struct SinkRunnerTests {
    @Test func transientFailuresAreRetriedThenDeliveredOnce() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        try await SinkFixtures.produce((0..<20).map { SinkFixtures.event(id: "e\($0)", subject: "s\($0 % 5)") }, to: topic, broker: broker)
        let sink = RecordingSink(failTransiently: 2)
        try await SinkFixtures.run(SinkFixtures.sinkConfig(topic: topic), sink: sink, broker: broker) {
            sink.delivered.withLockedValue { $0.count } >= 20
        }
        #expect(sink.delivered.withLockedValue { $0.count } == 20)
        #expect(sink.attempts.withLockedValue { $0.values.allSatisfy { $0 == 3 } })
    }

    @Test func permanentFailuresGoToTheDeadLetterTopicWithHeaders() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 1)
        try await SinkFixtures.produce([SinkFixtures.event(id: "doomed", subject: "s")], to: topic, broker: broker)
        let sink = RecordingSink(failPermanently: true)
        let config = SinkFixtures.sinkConfig(topic: topic)
        try await SinkFixtures.run(config, sink: sink, broker: broker) { sink.attempts.withLockedValue { $0["doomed"] ?? 0 } >= 1 }
        let letters = try await KafkaTestReader.read([config.deadLetterTopic], count: 1, broker: broker)
        let headers = Dictionary(
            letters[0].headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) },
            uniquingKeysWith: { a, _ in a }
        )
        #expect(headers["hookway_error"] == "rejected by test")
        #expect(headers["hookway_error_code"] == "destination_rejected")
        #expect(headers["hookway_error_permanent"] == "true")
        #expect(headers["hookway_attempts"] == "1")
        #expect(headers["hookway_sink"] == config.name)
        #expect(headers["hookway_failed_at"] != nil)
        #expect(try Event.decode(letters[0].value ?? []).id == "doomed")
        #expect(sink.attempts.withLockedValue { $0["doomed"] } == 1)
    }

    @Test func malformedMessagesAreDeadLettered() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: SinkFixtures.logger)
        _ = try await producer.send(topic: topic, key: nil, value: Array("not a cloudevent".utf8), headers: [])
        await producer.shutdown(timeout: .seconds(5))
        let sink = RecordingSink()
        let config = SinkFixtures.sinkConfig(topic: topic)
        // The dead-letter topic exists before the reader subscribes: a consumer subscribed to a
        // missing topic may not see it appear until its next metadata refresh.
        try await KafkaAdmin(bootstrapServers: broker.bootstrapServers)
            .createTopics([config.deadLetterTopic], partitions: 1, replicationFactor: 1, timeout: .seconds(10))
        // The sink runs until the dead letter is readable, no longer.
        let reader = Task { try await KafkaTestReader.read([config.deadLetterTopic], count: 1, broker: broker) }
        let read = NIOLockedValueBox(false)
        let watcher = Task {
            _ = try? await reader.value
            read.withLockedValue { $0 = true }
        }
        try await SinkFixtures.run(config, sink: sink, broker: broker) { read.withLockedValue { $0 } }
        await watcher.value
        let letters = try await reader.value
        let headers = Dictionary(
            letters[0].headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) },
            uniquingKeysWith: { a, _ in a }
        )
        #expect(headers["hookway_error"]?.hasPrefix("malformed: ") == true, "\(headers)")
        #expect(headers["hookway_error_code"] == "event_malformed")
    }

    @Test func eventsOfOneKeyKeepOffsetOrderWithManyLanes() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        let events = (0..<600).map { SinkFixtures.event(id: "o\($0)", subject: "key-\($0 % 7)", amount: "\($0)") }
        try await SinkFixtures.produce(events, to: topic, broker: broker, inOrder: true)
        let sink = RecordingSink(jitter: true)
        try await SinkFixtures.run(SinkFixtures.sinkConfig(topic: topic, maxInFlight: 16), sink: sink, broker: broker) {
            sink.delivered.withLockedValue { $0.count } >= 600
        }
        let delivered = sink.delivered.withLockedValue { $0 }
        #expect(delivered.count == 600)
        for key in 0..<7 {
            let sequence = delivered.filter { $0.subject == "key-\(key)" }.compactMap { Int($0.data.amount ?? "") }
            #expect(sequence == sequence.sorted(), "key-\(key) out of order")
        }
    }
}

/// A destination that takes `delay` per call and records how many calls overlapped at most.
final class SlowSink: Sink {
    let delay: Duration
    let running = NIOLockedValueBox((now: 0, peak: 0, delivered: 0))

    init(delay: Duration) { self.delay = delay }

    func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        running.withLockedValue {
            $0.now += 1
            $0.peak = max($0.peak, $0.now)
        }
        try? await Task.sleep(for: delay)
        running.withLockedValue {
            $0.now -= 1
            $0.delivered += 1
        }
        return .delivered
    }
}

extension SinkRunnerTests {
    /// Every slot works while there are as many free keys as slots. Hashing keys onto fixed
    /// lanes (the runner before) put two of these eight keys on one lane almost always
    /// (1 − 8!/8⁸ ≈ 99.8 %), so fewer than eight calls ever overlapped.
    @Test func everySlotTakesAFreeKeyWhateverTheKeysHash() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        let events = (0..<32).map { SinkFixtures.event(id: "s\($0)", subject: "subject-\($0 % 8)") }
        try await SinkFixtures.produce(events, to: topic, broker: broker, inOrder: true)
        let sink = SlowSink(delay: .milliseconds(150))
        try await SinkFixtures.run(SinkFixtures.sinkConfig(topic: topic, maxInFlight: 8), sink: sink, broker: broker) {
            sink.running.withLockedValue { $0.delivered } >= 32
        }
        #expect(sink.running.withLockedValue { $0.peak } == 8)
    }
}

/// Reads a topic back for assertions.
enum KafkaTestReader {
    static func read(_ topics: [String], count: Int, broker: TansuBroker, timeout: Duration = .seconds(30)) async throws -> [KafkaMessage] {
        var configuration = KafkaConsumerConfiguration(
            bootstrapServers: broker.bootstrapServers,
            groupID: "reader-\(UUID().uuidString)",
            topics: topics
        )
        configuration.sessionTimeout = .seconds(6)
        configuration.properties["fetch.wait.max.ms"] = "10"
        let consumer = try KafkaConsumer(configuration: configuration, logger: SinkFixtures.logger)
        let box = NIOLockedValueBox<[KafkaMessage]>([])
        let reader = Task { for try await m in consumer { box.withLockedValue { $0.append(m) } } }
        let deadline = ContinuousClock.now + timeout
        while box.withLockedValue({ $0.count }) < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        await consumer.close()
        reader.cancel()
        _ = try? await reader.value
        let out = box.withLockedValue { $0 }
        if out.count < count { throw KafkaTestReaderError(message: "read \(out.count) of \(count) from \(topics)") }
        return out
    }

    static func exists(_ topic: String, broker: TansuBroker) async throws -> Bool {
        let metadata = try await KafkaAdmin(bootstrapServers: broker.bootstrapServers).metadata(timeout: .seconds(5))
        return metadata.topics.contains { $0.name == topic }
    }
}

struct KafkaTestReaderError: Error { var message: String }
