// Producer throughput benchmark for HookwayKafka, run by scripts/bench-kafka next to
// librdkafka's rdkafka_performance with the same settings (acks=all, idempotence, 1 KB).
//
//   BenchKafka create-topic --bootstrap HOST:PORT --topic NAME [--partitions N]
//   BenchKafka produce --bootstrap HOST:PORT --topic NAME [--count N] [--size BYTES] [--window N]
import Foundation
import HookwayKafka
import Logging

struct Arguments {
    var command = ""
    var options: [String: String] = [:]

    init(_ arguments: [String]) {
        command = arguments.first ?? ""
        var index = 1
        while index + 1 < arguments.count {
            options[String(arguments[index].drop { $0 == "-" })] = arguments[index + 1]
            index += 2
        }
    }

    func string(_ name: String) -> String? { options[name] }
    func int(_ name: String, default value: Int) -> Int { options[name].flatMap(Int.init) ?? value }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("BenchKafka: \(message)\n".utf8))
    exit(1)
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
guard let bootstrap = arguments.string("bootstrap"), let topic = arguments.string("topic") else {
    fail("usage: BenchKafka create-topic|produce --bootstrap HOST:PORT --topic NAME [--count N --size B --window N --partitions N]")
}
var logger = Logger(label: "bench-kafka")
logger.logLevel = .warning

switch arguments.command {
case "create-topic":
    do {
        try await KafkaAdmin(bootstrapServers: bootstrap).createTopics(
            [topic],
            partitions: Int32(arguments.int("partitions", default: 1)),
            replicationFactor: 1,
            timeout: .seconds(10)
        )
    } catch {
        fail("create-topic: \(error)")
    }

case "produce":
    let count = arguments.int("count", default: 200_000)
    let size = arguments.int("size", default: 1024)
    let window = arguments.int("window", default: 10_000)
    let value = [UInt8](repeating: 0x61, count: size)
    let producer: KafkaProducer
    do {
        producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrap), logger: logger)
    } catch {
        fail("producer: \(error)")
    }
    // One task per message (as one request handler per webhook), at most `window` in flight.
    let start = ContinuousClock.now
    let failures = await withTaskGroup(of: Bool.self) { group in
        var failures = 0
        for index in 0..<count {
            if index >= window, let ok = await group.next(), !ok { failures += 1 }
            group.addTask {
                do {
                    _ = try await producer.send(topic: topic, key: nil, value: value)
                    return true
                } catch {
                    return false
                }
            }
        }
        for await ok in group where !ok { failures += 1 }
        return failures
    }
    let elapsed = ContinuousClock.now - start
    await producer.shutdown(timeout: .seconds(10))
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let delivered = count - failures
    // Same units as rdkafka_performance: msgs/s and MB/s with MB = 10^6 bytes.
    print(
        String(
            format: "swift: %d delivered (%d failed) in %d ms: %.0f msgs/s and %.2f MB/s",
            delivered,
            failures,
            Int(seconds * 1000),
            Double(delivered) / seconds,
            Double(delivered * size) / seconds / 1e6
        )
    )
    if failures > 0 { exit(2) }

default:
    fail("unknown command \(arguments.command)")
}
