import Foundation
import HookwayCore
import HookwayKafka
import HookwayTesting
import Logging
import Testing

/// Issue 15 §8: `hookway tail` never hands event data's control characters to the terminal.
@Suite(.timeLimit(.minutes(2)))
struct TailOutputTests {
    @Test func hostileEventDataReachesTheTerminalEscaped() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic()
        let hostile = "\u{1B}]0;pwned\u{07}\u{1B}[2J\r\u{9B}31m"
        let data = EventData(
            provider: "bitnob",
            source: "bitnob",
            event: "payout.transfer.success",
            entity: EntityRef(kind: "payout", id: "p\(hostile)"),
            status: "ok\(hostile)\nforged line",
            amount: "1.00",
            currency: "NGN\(hostile)",
            payload: .object([JSONMember("x", .string(hostile))])
        )
        let event = Event(id: "tail-hostile-1", data: data, authMethod: .signature, receivedAt: .now())
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: Logger(label: "test"))
        // A foreign producer may even write raw control bytes inside JSON strings.
        var raw = event.jsonBytes()
        raw.insert(0x1B, at: raw.count - 2)
        _ = try await producer.send(topic: topic, key: nil, value: event.jsonBytes())
        _ = try await producer.send(topic: topic, key: nil, value: raw)
        await producer.shutdown(timeout: .seconds(5))
        var environment = CLI.devEnvironment
        environment["HOOKWAY_BROKERS"] = broker.bootstrapServers
        for arguments in [["tail", topic, "--from-beginning", "--limit", "2"], ["tail", topic, "--from-beginning", "--limit", "2", "--json"]] {
            let result = try CLI.run(arguments, environment: environment)
            #expect(result.status == 0, "\(result.stderr)")
            let controls = result.stdout.utf8.filter { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A) || $0 == 0x7F }
            #expect(controls.isEmpty, "\(arguments): \(result.stdout.debugDescription)")
            #expect(!result.stdout.unicodeScalars.contains("\u{9B}"))
            #expect(result.stdout.split(separator: "\n").count == 2, "one line per event: \(result.stdout.debugDescription)")
        }
    }
}
