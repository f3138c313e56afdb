import Foundation
import HookwayKafka
import HookwayTesting
import Testing

@Suite("Produce and consume through a real broker (Tansu)", .timeLimit(.minutes(2)))
struct RoundTripTests {
    /// Message `index` of the round-trip corpus: binary values with zero bytes, a nil value every
    /// 1000th message, an empty value every 1000th (+500), and headers with null and binary values.
    static func corpusMessage(_ index: Int, topic: String) -> (topic: String, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader]) {
        let value: [UInt8]?
        switch index % 1000 {
        case 7: value = nil
        case 507: value = []
        default: value = [0, 0, UInt8(index % 256), 0, 255] + [UInt8](index) + [0]
        }
        let headers = [
            KafkaHeader(key: "index", value: [UInt8](index)),
            KafkaHeader(key: "binary", value: [0, 1, 0, 0xFF]),
            KafkaHeader(key: "null", value: nil),
        ]
        return (topic, Array("key-\(index)".utf8), value, headers)
    }

    @Test("10,000 concurrent sends arrive intact: keys, headers, binary and null values")
    func tenThousandMessagesRoundTripIntact() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        let count = 10_000
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers),
            logger: testLogger("producer")
        )

        let start = ContinuousClock.now
        let reports = try await produce(producer, count: count, window: count) { Self.corpusMessage($0, topic: topic) }
        #expect(reports.count == count)
        #expect(Set(reports.map { "\($0.partition)/\($0.offset)" }).count == count, "every message has its own offset")
        #expect(Set(reports.map(\.partition)).count > 1, "keys spread over partitions")
        #expect(producer.inFlightCount == 0)
        print("round trip: produced \(count) in \(ContinuousClock.now - start)")
        await producer.shutdown(timeout: .seconds(5))

        let consumer = try KafkaConsumer(
            configuration: consumerConfiguration(broker.bootstrapServers, topic: topic),
            logger: testLogger("consumer")
        )
        let seen = Collected<KafkaMessage>()
        try await consume(consumer, timeout: .seconds(60)) { message in
            await seen.append(message) >= count
        }
        await consumer.close()

        let messages = await seen.values
        #expect(messages.count == count)
        var indexes = Set<Int>()
        for message in messages {
            guard let index = message.headers.first?.value?.integer else {
                Issue.record("message without an index header at \(message.partition)/\(message.offset)")
                continue
            }
            indexes.insert(index)
            let expected = Self.corpusMessage(index, topic: topic)
            #expect(message.key == expected.key)
            #expect(message.value == expected.value, "value of message \(index)")
            #expect(message.headers == expected.headers, "headers of message \(index)")
            #expect(message.timestamp != nil)
        }
        #expect(indexes.count == count, "no message lost or duplicated")
        print("round trip: consumed \(count) after \(ContinuousClock.now - start)")
    }

    @Test("A buffer of 20 messages still delivers 2,000 exactly once, in order per partition")
    func smallBufferPausesAndResumesWithoutLossOrDuplicates() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 2)
        let count = 2_000
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers),
            logger: testLogger("producer")
        )
        try await produce(producer, count: count, window: 500) { (topic, [UInt8]($0 % 7), [UInt8]($0), []) }
        await producer.shutdown(timeout: .seconds(5))

        var configuration = consumerConfiguration(broker.bootstrapServers, topic: topic)
        configuration.maxBufferedMessages = 20
        let consumer = try KafkaConsumer(configuration: configuration, logger: testLogger("consumer"))
        let seen = Collected<KafkaMessage>()
        try await consume(consumer, timeout: .seconds(60)) { message in
            // A slow reader now and then, so the buffer fills and fetching pauses.
            if message.offset % 200 == 0 { try await Task.sleep(for: .milliseconds(100)) }
            return await seen.append(message) >= count
        }
        await consumer.close()

        let messages = await seen.values
        #expect(Set(messages.compactMap { $0.value?.integer }).count == count)
        for partition in Set(messages.map(\.partition)) {
            let offsets = messages.filter { $0.partition == partition }.map(\.offset)
            #expect(offsets == Array(offsets[0]..<(offsets[0] + Int64(offsets.count))), "partition \(partition) in order, no gaps")
        }
    }
}
