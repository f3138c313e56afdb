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
        // LEADER_NOT_AVAILABLE, NOT_ENOUGH_REPLICAS_AFTER_APPEND, NETWORK_EXCEPTION: all retriable.
        let transient: [Int32] = [6, 7, 19, 5, 20, 13]
        cluster.pushRequestErrors(apiKey: 0, errors: Array(repeating: transient, count: 5).flatMap { $0 })

        var configuration = KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers)
        configuration.properties["retry.backoff.ms"] = "10"
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger("mock-producer"))
        let count = 2_000
        let reports = try await produce(producer, count: count, window: count) { (topic, [UInt8]($0), [UInt8]($0), []) }
        #expect(reports.count == count)
        await producer.shutdown(timeout: .seconds(5))

        var consumerConfiguration = KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, groupID: "faults-\(UUID().uuidString)", topics: [topic])
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

    @Test("A broker outage shorter than message.timeout delays sends but loses nothing")
    func brokerOutageDelaysButDelivers() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        cluster.createTopic("outage", partitions: 1, replicationFactor: 1)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers),
            logger: testLogger("outage"))
        _ = try await producer.send(topic: "outage", key: nil, value: [0])
        cluster.setBrokerDown(1)
        let send = Task { try await producer.send(topic: "outage", key: nil, value: [1]) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(producer.inFlightCount == 1)
        cluster.setBrokerUp(1)
        let report = try await send.value
        #expect(report.offset == 1)
        await producer.shutdown(timeout: .seconds(5))
    }
}
