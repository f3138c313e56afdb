import Foundation
import HookwayKafka
import HookwayTesting
import Testing

@Suite("Fault injection with librdkafka's mock cluster", .timeLimit(.minutes(2)))
struct MockClusterTests {
    @Test("Transient produce errors are retried and every message is stored exactly once")
    func transientProduceErrorsAreRetriedExactlyOnce() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        cluster.setGroupInitialRebalanceDelay(.milliseconds(100))
        let topic = "faults"
        cluster.createTopic(topic, partitions: 3, replicationFactor: 3)
        // Produce is API key 0. NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS,
        // LEADER_NOT_AVAILABLE, NOT_ENOUGH_REPLICAS_AFTER_APPEND: all retried by librdkafka.
        let transient: [Int32] = [6, 7, 19, 5, 20]
        cluster.pushRequestErrors(apiKey: 0, errors: Array(repeating: transient, count: 5).flatMap { $0 })

        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.properties["retry.backoff.ms"] = "10"
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger("mock-producer"))
        let count = 2_000
        let reports = try await produce(producer, count: count, window: count) { (topic, [UInt8]($0), [UInt8]($0), []) }
        #expect(reports.count == count)
        await producer.shutdown(timeout: .seconds(5))

        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            groupID: "faults-\(UUID().uuidString)",
            topics: [topic]
        )
        consumerConfiguration.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, logger: testLogger("mock-consumer"))
        let seen = Collected<Int>()
        try await consume(consumer, timeout: .seconds(60)) { message in
            await seen.append(message.value?.integer ?? -1) >= count
        }
        // Duplicates would show up right behind the originals.
        try? await consume(consumer, timeout: .seconds(2)) { message in
            _ = await seen.append(message.value?.integer ?? -1)
            return false
        }
        await consumer.close()
        let values = await seen.values
        #expect(values.count == count, "exactly \(count) stored")
        #expect(Set(values) == Set(0..<count))
    }

    @Test("A permanent produce error fails the send with its broker code, not retried")
    func permanentProduceErrorSurfacesTyped() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        cluster.createTopic("denied", partitions: 1, replicationFactor: 1)
        cluster.pushRequestErrors(apiKey: 0, errors: [29])  // TOPIC_AUTHORIZATION_FAILED
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers),
            logger: testLogger("denied")
        )
        let start = ContinuousClock.now
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: "denied", key: nil, value: [1])
        }
        #expect(error?.code == KafkaError.Code(name: "TOPIC_AUTHORIZATION_FAILED"))
        #expect(error?.isRetriable == false)
        #expect(ContinuousClock.now - start < .seconds(10))
        // librdkafka now holds the topic in error: the next send is refused at enqueue, typed too.
        let refused = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: "denied", key: nil, value: [2])
        }
        #expect(refused?.code == KafkaError.Code(name: "TOPIC_AUTHORIZATION_FAILED"))
        await producer.shutdown(timeout: .seconds(5))
    }
}
