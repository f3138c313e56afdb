import Foundation
import HookwayCore
import HookwayKafka
import HookwaySinks
import HookwayTesting
import Testing

/// Sinks report outcomes to a real Tansu topic; the `index` sink reads them (and the events'
/// own topic) into SQLite; the trace shows each kind of outcome.
@Suite(.timeLimit(.minutes(3)))
struct IndexThroughKafkaTests {
    @Test func sinksReportOutcomesAndTheIndexTracesThem() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        let outcomes = try await broker.createTestTopic(partitions: 3)
        let events = (0..<4).map { SinkFixtures.event(id: "ix\($0)", subject: "funding-\($0)") }
        try await SinkFixtures.produce(events, to: topic, broker: broker)

        // A sink that delivers, and one that fails until it dead-letters.
        let good = RecordingSink()
        let goodConfig = SinkFixtures.sinkConfig(topic: topic)
        try await SinkFixtures.run(goodConfig, sink: good, broker: broker, outcomeTopic: outcomes) {
            good.delivered.withLockedValue { $0.count } >= 4
        }
        let failing = RecordingSink(failTransiently: 100)
        var failingConfig = SinkFixtures.sinkConfig(topic: topic, attempts: 2)
        failingConfig.name = "flaky"
        let dlq = failingConfig.deadLetterTopic
        // Stopping lets the last attempts finish dead-lettering (in-flight work drains).
        try await SinkFixtures.run(failingConfig, sink: failing, broker: broker, outcomeTopic: outcomes) {
            failing.attempts.withLockedValue { $0.values.reduce(0, +) } >= 8
        }

        // The index reads the outcomes and the events' topic.
        let database = temporaryPath("index.sqlite")
        var indexConfig = SinkFixtures.sinkConfig(topic: outcomes, options: .object([JSONMember("database", .string("sqlite:" + database))]))
        indexConfig.kind = .index
        indexConfig.topics = [outcomes, topic]
        let index = try IndexSink.make(indexConfig, outcomeTopic: outcomes)
        try await SinkFixtures.run(indexConfig, sink: index, broker: broker) {
            guard let trace = try await index.store.trace(events[3].id) else { return false }
            return trace.event != nil && trace.outcomes.contains { $0.kind == .deadLettered }
        }
        let trace = try #require(try await index.store.trace(events[3].id))
        #expect(trace.event?.summary.subject == "funding-3")
        #expect(trace.event?.topics.first?.topic == topic, "the event's position, from its own topic")
        let kinds = trace.outcomes.map { "\($0.sink ?? "-"):\($0.kind.rawValue)" }
        #expect(kinds.contains("\(goodConfig.name):delivered"), "\(kinds)")
        #expect(kinds.filter { $0 == "flaky:retried" }.count == 1, "\(kinds)")
        let letter = try #require(trace.outcomes.first { $0.kind == .deadLettered })
        #expect(letter.sink == "flaky")
        #expect(letter.attempt == 2)
        #expect(letter.code == "destination_unavailable")
        #expect(letter.deadLetter?.topic == dlq)
        await index.shutdown()
    }
}
