import Foundation
import HookwayCore
import HookwayKafka
import HookwayRuntime
import HookwaySinks
import HookwayTesting
import NIOConcurrencyHelpers
import Testing

/// Issue 16 §6 and the fault matrix's "sink whose consumer fails fatally" row: the supervisor
/// notices, reports the sink down (`/healthz` 503 past the grace), restarts it with a fresh
/// consumer, and every event is still delivered.
@Suite(.timeLimit(.minutes(3)))
struct SinkSupervisionTests {
    @Test func aSinkWhoseConsumerFailsFatallyIsRestartedAndDeliversEverything() async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        let events = (0..<300).map { SinkFixtures.event(id: "sup-\($0)", subject: "s-\($0 % 11)") }
        try await SinkFixtures.produce(events, to: topic, broker: broker)
        var sinkConfig = SinkFixtures.sinkConfig(topic: topic, maxInFlight: 4)
        sinkConfig.kind = .crm
        let sinks = RecordingSinks()
        var routes = try #require(
            RoutesConfigLoader.parse(
                Array(#"{"version":1,"sources":{"b":{"provider":"bitnob","secrets":["env:B"]}},"routes":[]}"#.utf8),
                environment: ["B": "x"]
            ).config
        )
        routes.sinks = [sinkConfig.name: sinkConfig]
        routes.sinkNames = [sinkConfig.name]
        routes.kafka.consumer = ["session.timeout.ms": "6000", "fetch.wait.max.ms": "10"]
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: SinkFixtures.logger)
        let supervisor = SinkSupervisor(
            config: routes,
            brokers: broker.bootstrapServers,
            only: [],
            producer: producer,
            logger: SinkFixtures.logger,
            restartBackoff: (.milliseconds(300), .seconds(2))
        ) { _, _ in sinks.make() }
        let running = Task { try await supervisor.run() }
        // Event-driven waits: poll the state the test is about, with a deadline.
        func wait(_ what: String, _ condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !condition() {
                guard ContinuousClock.now < deadline else { throw SinkTestTimeout(what: what) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await wait("first deliveries") { sinks.deliveredIDs.count >= 50 }
        let runner = try #require(supervisor.runner(named: sinkConfig.name))
        let consumer = try #require(runner.consumer)
        consumer.injectFatalError(reason: "injected by SinkSupervisionTests")
        try await wait("the sink to be reported down") { supervisor.health.first?.isUp == false }
        let down = SinkHealth.report(supervisor.health, grace: .zero)
        #expect(!down.healthy, "\(down.json)")
        #expect(down.json.contains(#""up":false"#))
        #expect(SinkHealth.report(supervisor.health, grace: .seconds(60)).healthy, "a restart inside the grace is not an outage yet")
        try await wait("all 300 events") { sinks.deliveredIDs.isSuperset(of: Set(events.map(\.id))) }
        try await wait("the sink to be up again") { supervisor.health.first?.isUp == true }
        let up = SinkHealth.report(supervisor.health, grace: .zero)
        #expect(up.healthy, "\(up.json)")
        #expect(supervisor.health.first?.restarts == 1)
        #expect(sinks.made.withLockedValue { $0 } == 2, "a fresh sink for the restart")
        running.cancel()
        _ = try? await running.value
        await producer.shutdown(timeout: .seconds(5))
    }
}

struct SinkTestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// A factory of recording sinks that share one record of what was delivered.
final class RecordingSinks: Sendable {
    let delivered = NIOLockedValueBox<Set<String>>([])
    let made = NIOLockedValueBox(0)

    var deliveredIDs: Set<String> { delivered.withLockedValue { $0 } }

    func make() -> any Sink {
        made.withLockedValue { $0 += 1 }
        return SharedRecordingSink(delivered: delivered)
    }
}

struct SharedRecordingSink: Sink {
    let delivered: NIOLockedValueBox<Set<String>>
    func deliver(_ event: Event) async throws(SinkError) -> SinkOutcome {
        _ = delivered.withLockedValue { $0.insert(event.id) }
        return .delivered
    }
}
