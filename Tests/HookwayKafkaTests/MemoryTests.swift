import Foundation
import HookwayKafka
import HookwayTesting
import Testing

@Suite("Memory stays bounded under sustained load", .timeLimit(.minutes(2)))
struct MemoryTests {
    static func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Sends `count` messages with at most `window` in flight, keeping nothing per message (the
    /// shared `produce` helper collects reports, which would itself grow memory).
    static func produce(_ producer: KafkaProducer, topic: String, value: [UInt8], count: Int, window: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                if index >= window { try await group.next() }
                group.addTask { _ = try await producer.send(topic: topic, key: nil, value: value) }
            }
            try await group.waitForAll()
        }
    }

    @Test("1,000,000 sends with a 10k window: RSS after 1M is within slack of RSS after 100k")
    func residentMemoryStaysFlat() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: broker.bootstrapServers),
            logger: testLogger("memory")
        )
        let value = [UInt8](repeating: 0x42, count: 64)
        let start = ContinuousClock.now

        try await Self.produce(producer, topic: topic, value: value, count: 100_000, window: 10_000)
        let after100k = Self.residentBytes()
        let at100k = ContinuousClock.now
        try await Self.produce(producer, topic: topic, value: value, count: 900_000, window: 10_000)
        let after1M = Self.residentBytes()
        let elapsed = ContinuousClock.now - start
        await producer.shutdown(timeout: .seconds(5))

        let mb = { (bytes: Int) in String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        print(
            "memory: RSS after 100k = \(mb(after100k)), after 1M = \(mb(after1M)), growth = \(mb(after1M - after100k)); 1M sends in \(elapsed) (first 100k in \(at100k - start))"
        )
        #expect(after1M - after100k < 24 * 1_048_576, "RSS grew from \(mb(after100k)) to \(mb(after1M))")
    }
}
