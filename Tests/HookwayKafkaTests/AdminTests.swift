import Foundation
import HookwayKafka
import HookwayTesting
import Testing

@Suite("Admin", .timeLimit(.minutes(1)))
struct AdminTests {
    @Test("createTopics is idempotent and metadata lists the topic with its partition count")
    func createTopicsIsIdempotent() async throws {
        let broker = try await TansuBroker.shared()
        let admin = KafkaAdmin(bootstrapServers: broker.bootstrapServers)
        let topic = "admin-\(UUID().uuidString.lowercased())"
        try await admin.createTopics([topic], partitions: 4, replicationFactor: 1, timeout: .seconds(10))
        try await admin.createTopics([topic], partitions: 4, replicationFactor: 1, timeout: .seconds(10))

        let metadata = try await admin.metadata(timeout: .seconds(5))
        #expect(metadata.topic(named: topic)?.partitionCount == 4)
        #expect(metadata.brokers.contains { $0.port == Int32(broker.port) })
        #expect(await admin.isReachable(timeout: .seconds(2)))
        #expect(admin.lastProbeError == nil)
    }

    @Test("isReachable answers false for a dead port within its timeout")
    func deadPortIsUnreachable() async throws {
        let admin = KafkaAdmin(bootstrapServers: "127.0.0.1:\(try TansuBroker.unusedPort())")
        let start = ContinuousClock.now
        #expect(await admin.isReachable(timeout: .seconds(1)) == false)
        let elapsed = ContinuousClock.now - start
        // One second of timeout plus scheduling slack on a loaded 2-core machine.
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        // Readiness and `serve` at start say why, from this.
        let why = try #require(admin.lastProbeError)
        #expect(!why.message.isEmpty && !why.code.name.isEmpty)
    }
}
