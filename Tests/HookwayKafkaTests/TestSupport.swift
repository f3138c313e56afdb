import Foundation
import HookwayKafka
import HookwayTesting
import Logging

/// A logger that keeps test output readable: librdkafka's warnings, not its chatter.
func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: "test.\(label)")
    logger.logLevel = .warning
    return logger
}

func consumerConfiguration(
    _ bootstrapServers: String,
    group: String = "group-\(UUID().uuidString)",
    topic: String
) -> KafkaConsumerConfiguration {
    var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: group, topics: [topic])
    // Tansu completes a join after half the session timeout.
    configuration.sessionTimeout = .seconds(6)
    // Tansu holds a fetch for fetch.wait.max.ms even when data is waiting; Kafka answers at once.
    configuration.properties["fetch.wait.max.ms"] = "10"
    return configuration
}

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Reads from `consumer` until `body` returns true or `timeout` passes.
func consume(
    _ consumer: KafkaConsumer,
    timeout: Duration,
    until body: @escaping @Sendable (KafkaMessage) async throws -> Bool
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for try await message in consumer {
                if try await body(message) { return }
            }
            throw TimedOut(description: "the consumer sequence ended early")
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TimedOut(description: "no result within \(timeout)")
        }
        try await group.next()
        group.cancelAll()
    }
}

/// Sends `count` messages keeping at most `window` in flight; returns the reports in send order.
@discardableResult
func produce(
    _ producer: KafkaProducer,
    count: Int,
    window: Int,
    message: @escaping @Sendable (Int) -> (topic: String, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader])
) async throws -> [DeliveryReport] {
    try await withThrowingTaskGroup(of: (Int, DeliveryReport).self) { group in
        var reports = [DeliveryReport?](repeating: nil, count: count)
        for index in 0..<count {
            if index >= window, let (done, report) = try await group.next() {
                reports[done] = report
            }
            group.addTask {
                let m = message(index)
                return (index, try await producer.send(topic: m.topic, key: m.key, value: m.value, headers: m.headers))
            }
        }
        for try await (done, report) in group {
            reports[done] = report
        }
        return reports.compactMap { $0 }
    }
}

/// Actor-guarded collection for messages read in a test.
actor Collected<Value: Sendable> {
    private(set) var values: [Value] = []

    func append(_ value: Value) -> Int {
        values.append(value)
        return values.count
    }
}

extension Array where Element == UInt8 {
    init(_ integer: Int) {
        self = Swift.withUnsafeBytes(of: UInt64(integer).littleEndian) { Array($0) }
    }

    var integer: Int? {
        guard count == 8 else { return nil }
        return Int(withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
    }
}
