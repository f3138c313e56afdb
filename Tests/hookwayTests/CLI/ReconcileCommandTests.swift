import Foundation
import HookwayCore
import HookwayKafka
import HookwayProviders
import HookwayTesting
import Logging
import NIOConcurrencyHelpers
import Testing

/// `hookway reconcile` against the provider API stand-in and a real broker: a webhook that
/// never arrived is recovered with the id the real webhook gets, once.
@Suite(.timeLimit(.minutes(3)))
struct ReconcileCommandTests {
    static func funding(_ fid: String, minutesAgo: Int64) -> String {
        let created = Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch - minutesAgo * 60_000).rfc3339
        return
            #"{"fid": "\#(fid)", "status": "complete", "created_at": "\#(created)", "currency": "mxn", "method": "praxis", "amount": "100.00", "details": {"clave_rastreo": "CR\#(fid)"}}"#
    }

    /// The event Hookway's ingress makes of Bitso's webhook for `record`.
    static func webhookEvent(_ record: String, source: SourceConfig) throws -> Event {
        let body = Array(#"{"event": "funding", "payload": \#(record)}"#.utf8)
        let request = WebhookRequest(target: "/webhooks/bitso/t", headers: [("Content-Type", "application/json")], body: body, urlToken: "t")
        guard case .event(let event) = try BitsoAdapter().handle(request, source: source) else {
            throw ProviderAPIStandIn.StandInError(message: "the adapter made no event")
        }
        return event
    }

    static func ids(on topic: String, broker: TansuBroker) async throws -> [(id: String, authMethod: String)] {
        let box = NIOLockedValueBox<[(String, String)]>([])
        try await KafkaTopicReader.read(bootstrapServers: broker.bootstrapServers, topics: [topic]) { message in
            guard let event = try? Event.decode(message.value ?? []) else { return }  // nil: not ours; the test counts CloudEvents
            box.withLockedValue { $0.append((event.id, event.authMethod.rawValue)) }
        }
        return box.withLockedValue { $0 }.map { (id: $0.0, authMethod: $0.1) }
    }

    @Test func aMissedWebhookIsRecoveredOnceWithTheWebhooksID() async throws {
        let standIn = try await ProviderAPIStandIn.start()
        try await withTeardown({ await standIn.stop() }) {
            let broker = try await TansuBroker.shared()
            let prefix = try await broker.createTestTopic(partitions: 1)
            let topic = "\(prefix).bitso.funding.complete"
            let directory = NSTemporaryDirectory() + "reconcile-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let routesPath = directory + "/routes.json"
            try """
            {"version": 1, "kafka": {"brokers": "\(broker.bootstrapServers)", "topics": {"partitions": 1}},
             "sources": {"bitso": {"provider": "bitso", "token": "env:W", "api": \(standIn.apiJSON("bitso"))}},
             "routes": [{"name": "all", "match": {}, "to": ["\(prefix).{source}.{event}"]}]}
            """.write(toFile: routesPath, atomically: true, encoding: .utf8)
            var environment = CLI.devEnvironment.merging(standIn.environment) { _, new in new }
            environment["W"] = "t"

            let arrived = Self.funding("arrived", minutesAgo: 30)
            let missed = Self.funding("missed", minutesAgo: 10)
            try await standIn.seed("bitso", kind: "funding", record: arrived)
            try await standIn.seed("bitso", kind: "funding", record: missed)
            // The webhook of "arrived" came through the ingress; the one of "missed" never did.
            let source = SourceConfig(name: "bitso", provider: "bitso")
            let delivered = try Self.webhookEvent(arrived, source: source)
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: Logger(label: "test"))
            _ = try await producer.send(
                topic: topic,
                key: delivered.kafkaKey,
                value: delivered.jsonBytes(),
                headers: delivered.kafkaMessage(.structured).headers.map { KafkaHeader(key: $0.key, value: $0.value) }
            )
            await producer.shutdown(timeout: .seconds(5))
            let missedID = try Self.webhookEvent(missed, source: source).id

            let dry = try CLI.run(["reconcile", "bitso", "--config", routesPath, "--since", "2h", "--dry-run"], environment: environment)
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("2 entities"), "\(dry.stdout)")
            #expect(dry.stdout.contains("1 already in Kafka"), "\(dry.stdout)")
            #expect(dry.stdout.contains("would publish \(missedID) (bitso.funding.complete) → \(topic)"), "\(dry.stdout)")
            #expect(try await Self.ids(on: topic, broker: broker).count == 1, "a dry run publishes nothing")

            let run = try CLI.run(["reconcile", "bitso", "--config", routesPath, "--since", "2h"], environment: environment)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.contains("published 1"), "\(run.stdout)")
            #expect(run.stdout.contains("watermark "), "\(run.stdout)")
            let onTopic = try await Self.ids(on: topic, broker: broker)
            // (The topic may have several partitions: compare without order.)
            #expect(Set(onTopic.map(\.id)) == [delivered.id, missedID] && onTopic.count == 2, "the recovered event has the id the real webhook gets")
            #expect(onTopic.first { $0.id == missedID }?.authMethod == "api")

            // The next run starts from the stored watermark and finds both already in Kafka.
            let again = try CLI.run(["reconcile", "bitso", "--config", routesPath], environment: environment)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(again.stdout.contains("2 already in Kafka"), "\(again.stdout)")
            #expect(again.stdout.contains("published 0"), "\(again.stdout)")
            #expect(try await Self.ids(on: topic, broker: broker).count == 2)
        }
    }

    @Test func aSourceWithoutAPIIsRefusedWithAClearMessage() throws {
        let result = try CLI.run(["reconcile", "bitnob", "--config", CLI.root.appendingPathComponent("routes.json").path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("has no \"api\" entry"), "\(result.stderr)")
    }
}
