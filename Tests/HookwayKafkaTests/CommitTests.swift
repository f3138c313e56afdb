import Foundation
import HookwayKafka
import HookwayTesting
import Testing

@Suite("Manual commits", .timeLimit(.minutes(2)))
struct CommitTests {
    @Test("onRevoke hears of the partitions taken away when the member leaves")
    func onRevokeHearsOfRevokedPartitions() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 2)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers),
            logger: testLogger("producer")
        )
        try await produce(producer, count: 1, window: 1) { (topic, nil, [UInt8]($0), []) }
        await producer.shutdown(timeout: .seconds(5))
        let revoked = Collected<TopicPartition>()
        let (calls, call) = AsyncStream<[TopicPartition]>.makeStream()
        var configuration = consumerConfiguration(broker.bootstrapServers, group: "group-\(UUID().uuidString)", topic: topic)
        configuration.onRevoke = { call.yield($0) }
        let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger("member"))
        try await consume(consumer, timeout: .seconds(30)) { _ in true }
        await consumer.close()
        call.finish()
        for await partitions in calls { for p in partitions { _ = await revoked.append(p) } }
        #expect(await revoked.values.sorted() == [TopicPartition(topic: topic, partition: 0), TopicPartition(topic: topic, partition: 1)])
    }

    @Test("A new member resumes right after the committed offset: nothing skipped, nothing replayed")
    func newMemberResumesAfterCommittedOffset() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers),
            logger: testLogger("producer")
        )
        // One at a time, so value i sits at offset i.
        try await produce(producer, count: 20, window: 1) { (topic, nil, [UInt8]($0), []) }
        await producer.shutdown(timeout: .seconds(5))
        let group = "group-\(UUID().uuidString)"

        // First member: reads 10, but has only finished (and committed) the first 7.
        let first = try KafkaConsumer(
            configuration: consumerConfiguration(broker.bootstrapServers, group: group, topic: topic),
            logger: testLogger("first")
        )
        let firstSeen = Collected<KafkaMessage>()
        try await consume(first, timeout: .seconds(30)) { message in
            let count = await firstSeen.append(message)
            if message.offset == 6 { try await first.commit(message) }
            return count >= 10
        }
        #expect(first.assignedPartitions.map(\.partition) == [0])
        await first.close()
        #expect(first.assignedPartitions.isEmpty)
        #expect(await firstSeen.values.map(\.offset) == Array(0..<10))
        #expect(await firstSeen.values.compactMap { $0.value?.integer } == Array(0..<10))

        // Second member of the same group: starts at offset 7, reads to the end and no more.
        let second = try KafkaConsumer(
            configuration: consumerConfiguration(broker.bootstrapServers, group: group, topic: topic),
            logger: testLogger("second")
        )
        let secondSeen = Collected<KafkaMessage>()
        try await consume(second, timeout: .seconds(30)) { message in
            await secondSeen.append(message) >= 13
        }
        // Anything more within two seconds would be a replay.
        try? await consume(second, timeout: .seconds(2)) { message in
            _ = await secondSeen.append(message)
            return false
        }
        // An idle poll thread is blocked in librdkafka for up to a second; a commit wakes it.
        if let last = await secondSeen.values.last {
            let start = ContinuousClock.now
            try await second.commit(last)
            #expect(ContinuousClock.now - start < .milliseconds(500), "commit took \(ContinuousClock.now - start)")
        }
        await second.close()
        let secondValues = await secondSeen.values.compactMap { $0.value?.integer }
        #expect(secondValues == Array(7..<20))
        #expect(await secondSeen.values.map(\.offset) == Array(7..<20))
    }

    @Test("Commit after close fails with the closed code; the sequence has ended")
    func commitAfterCloseFails() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 1)
        let consumer = try KafkaConsumer(
            configuration: consumerConfiguration(broker.bootstrapServers, topic: topic),
            logger: testLogger("consumer")
        )
        await consumer.close()
        let error = await #expect(throws: KafkaError.self) {
            try await consumer.commit(offsets: [(topic, 0, 1)])
        }
        #expect(error?.code == .closed)
        var iterator = consumer.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
    }
}
