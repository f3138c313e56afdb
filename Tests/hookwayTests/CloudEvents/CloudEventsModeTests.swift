import Foundation
import HookwayCore
import HookwayKafka
import HookwayTesting
import Logging
import NIOConcurrencyHelpers
import Testing

/// `kafka.cloudEvents.mode` (issue #28 item 14): each mode's messages go through a real broker,
/// are read back by Hookway's one reader, and are read and rewritten by the CloudEvents Python
/// SDK, whose messages Hookway reads in turn.
@Suite(.timeLimit(.minutes(2)))
struct CloudEventsModeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static var event: Event {
        var event = Event(
            id: "bitnob:payout.transfer.success:t-1",
            data: EventData(
                provider: "bitnob",
                source: "bitnob",
                event: "payout.transfer.success",
                entity: EntityRef(kind: "transaction", id: "t-1"),
                status: "success",
                amount: "35.81",
                currency: "NGN",
                payload: .object([JSONMember("id", .string("t-1")), JSONMember("nested", .object([JSONMember("ü", .string("ñ"))]))])
            ),
            authMethod: .signature,
            receivedAt: Timestamp(millisecondsSinceEpoch: 1_764_000_000_000)
        )
        event.time = "2025-11-24T16:00:00Z"
        return event
    }

    /// Produces the event in both modes to a real broker and reads the messages back.
    static func throughKafka() async throws -> [(mode: CloudEventsMode, message: KafkaMessage)] {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 1)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: Logger(label: "test.ce"))
        for mode in [CloudEventsMode.structured, .binary] {
            let message = Self.event.kafkaMessage(mode)
            _ = try await producer.send(
                topic: topic,
                key: message.key,
                value: message.value,
                headers: message.headers.map { KafkaHeader(key: $0.key, value: $0.value) }
            )
        }
        await producer.shutdown(timeout: .seconds(5))
        let box = NIOLockedValueBox<[KafkaMessage]>([])
        try await KafkaTopicReader.read(bootstrapServers: broker.bootstrapServers, topics: [topic]) { m in box.withLockedValue { $0.append(m) } }
        let messages = box.withLockedValue { $0 }.sorted { $0.offset < $1.offset }
        try #require(messages.count == 2)
        return [(.structured, messages[0]), (.binary, messages[1])]
    }

    static func headers(_ message: KafkaMessage) -> [(key: String, value: [UInt8])] {
        message.headers.map { ($0.key, $0.value ?? []) }
    }

    @Test func bothModesRoundTripThroughKafka() async throws {
        for (mode, message) in try await Self.throughKafka() {
            let decoded = try Event.decode(value: message.value ?? [], headers: Self.headers(message))
            #expect(decoded.jsonBytes() == Self.event.jsonBytes(), "\(mode)")
            let contentType = message.headers.first { $0.key == "content-type" }?.value.map { String(decoding: $0, as: UTF8.self) }
            switch mode {
            case .structured:
                #expect(contentType == "application/cloudevents+json; charset=utf-8")
                #expect(!message.headers.contains { $0.key == "ce_specversion" })
            case .binary:
                #expect(contentType == "application/json")
                #expect(message.headers.first { $0.key == "ce_specversion" }?.value == Array("1.0".utf8))
                // The value is `data` alone.
                let value = try JSONParser.parse(message.value ?? [])
                #expect(value["provider"]?.stringValue == "bitnob")
                #expect(value["specversion"] == nil)
            }
        }
    }

    @Test func theCloudEventsSDKReadsAndWritesBothModes() async throws {
        let messages = try await Self.throughKafka()
        var input: [JSONValue] = []
        for (mode, message) in messages {
            let headers = message.headers.map { JSONMember($0.key, .string(String(decoding: $0.value ?? [], as: UTF8.self))) }
            input.append(
                .object([
                    JSONMember("mode", .string(mode.rawValue)), JSONMember("headers", .object(headers)),
                    JSONMember("value", .string(String(decoding: message.value ?? [], as: UTF8.self))),
                ])
            )
        }
        var writer = JSONWriter(reservingCapacity: 4096)
        writer.append(.array(input))
        let file = NSTemporaryDirectory() + "ce-\(UUID().uuidString).json"
        try Data(writer.bytes).write(to: URL(fileURLWithPath: file))
        let result = try ShellCommand.run(
            "/bin/bash",
            ["-c", ".tools/venv/bin/python scripts/checks/cloudevents-sdk.py < '\(file)'"],
            in: Self.root
        )
        try #require(result.status == 0, "\(result.output)")
        let read = try JSONParser.parse(Array(result.output.utf8))
        guard case .array(let items) = read else { throw HarnessFailure(message: "not a list: \(result.output)") }
        #expect(items.count == 2)
        for (item, (mode, _)) in zip(items, messages) {
            #expect(item["id"]?.stringValue == Self.event.id, "\(mode)")
            #expect(item["type"]?.stringValue == Self.event.type, "\(mode)")
            #expect(item["source"]?.stringValue == Self.event.source, "\(mode)")
            #expect(item["subject"]?.stringValue == Self.event.subject, "\(mode)")
            #expect(item["authmethod"]?.stringValue == "signature", "\(mode)")
            #expect(item["receivedat"]?.stringValue == Self.event.receivedAt, "\(mode)")
            #expect(item["data"]?["amount"]?.stringValue == "35.81", "\(mode): money stays a string")
            #expect(item["data"]?["payload"]?["nested"]?["ü"]?.stringValue == "ñ", "\(mode)")
            if mode == .binary { #expect(item["autoAgrees"] == .bool(true), "the SDK's auto-detecting reader reads binary mode") }
            // The SDK's own message in the same mode, read by Hookway.
            let written = try #require(item["written"])
            var headers: [(key: String, value: [UInt8])] = []
            if case .object(let members)? = written["headers"] {
                headers = members.map { ($0.key, Array(($0.value.stringValue ?? "").utf8)) }
            }
            let back = try Event.decode(value: Array((written["value"]?.stringValue ?? "").utf8), headers: headers)
            #expect(back.id == Self.event.id, "\(mode)")
            #expect(back.data.amount == "35.81", "\(mode)")
            #expect(back.data.payload == Self.event.data.payload, "\(mode)")
            #expect(back.authMethod == .signature, "\(mode)")
        }
    }

    @Test func routesCheckTakesTheModeAndRefusesOthers() {
        func parse(_ mode: String) -> RoutesConfigLoader.Result {
            RoutesConfigLoader.parse(Array(#"{"version": 1, "kafka": {"cloudEvents": {"mode": "\#(mode)"}}, "sources": {}, "routes": []}"#.utf8))
        }
        #expect(parse("binary").config?.kafka.cloudEventsMode == .binary)
        #expect(parse("structured").config?.kafka.cloudEventsMode == .structured)
        #expect(parse("batched").errors.map(\.description).contains { $0.contains("kafka.cloudEvents.mode") })
    }

    struct HarnessFailure: Error { var message: String }
}
