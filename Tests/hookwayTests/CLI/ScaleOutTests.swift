import Foundation
import HookwayCore
import HookwayKafka
import HookwayTesting
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault matrix's scale-out row (issue 16 §8): three `hookway consume` replicas of one
/// ledger sink over 6 partitions; during a 10,000-event run one is SIGKILLed and another added.
/// Every event is booked exactly once: each customer's balance equals the independently summed
/// amounts, to the last digit.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct ScaleOutTests {
    @Test func threeReplicasOneKilledOneAddedBookEverythingOnce() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let topic = "scale-\(UUID().uuidString.prefix(8).lowercased())"
        try await KafkaAdmin(bootstrapServers: broker.bootstrapServers)
            .createTopics([topic, "webhooks.dlq.ledger"], partitions: 6, replicationFactor: 1, timeout: .seconds(10))
        let dir = NSTemporaryDirectory() + "hookway-scale-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let database = TestPostgres.serverURL == nil ? "sqlite:\(dir)/ledger.sqlite" : try TestPostgres.freshDatabase()
        let routes = """
            { "version": 1,
              "kafka": { "topics": { "partitions": 6 }, "consumer": { "session.timeout.ms": "6000", "fetch.wait.max.ms": "10" } },
              "sources": { "bitnob": { "provider": "bitnob", "secrets": ["env:BITNOB_WEBHOOK_SECRET"] } },
              "routes": [ { "name": "all", "match": {}, "to": ["\(topic)"] } ],
              "sinks": { "ledger": { "kind": "accounting", "topics": ["\(topic)"], "database": "\(database)", "maxInFlight": 16,
                "postings": [ { "match": {}, "debit": "assets:bitnob:{data.currency}", "credit": "liabilities:customers:{data.payload.data.customerEmail}" } ] } }
            }
            """
        try routes.write(toFile: dir + "/routes.json", atomically: true, encoding: .utf8)
        var env = CLI.devEnvironment
        env["HOOKWAY_BROKERS"] = broker.bootstrapServers
        var replicas: [Process] = []
        defer {
            for p in replicas where p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
        }
        for i in 0..<3 {
            replicas.append(
                try CLI.start(["consume", "--config", dir + "/routes.json", "--sink", "ledger"], environment: env, log: dir + "/consume\(i).log")
            )
        }

        // 10,000 deposits over 12 customers, produced while the replicas run.
        let customers = (0..<12).map { "c\($0)@example.com" }
        var expected: [String: ExactDecimal] = [:]
        var events: [Event] = []
        for i in 0..<10_000 {
            let amount = "\(i % 89 + 1).\(String(format: "%06d", (i * 7_919) % 1_000_000))"
            let customer = customers[i % customers.count]
            expected[customer, default: .zero] = expected[customer, default: .zero] + (ExactDecimal(amount) ?? .zero)
            let payload: JSONValue = .object([
                JSONMember("event", .string("btc.lightning.received.success")),
                JSONMember(
                    "data",
                    .object([
                        JSONMember("id", .string("tx-\(i)")), JSONMember("amount", .string(amount)),
                        JSONMember("currency", .string("BTC")), JSONMember("customerEmail", .string(customer)),
                    ])
                ),
            ])
            let data = EventData(
                provider: "bitnob",
                source: "bitnob",
                event: "btc.lightning.received.success",
                entity: EntityRef(kind: "transaction", id: "tx-\(i)"),
                amount: amount,
                currency: "BTC",
                payload: payload
            )
            events.append(Event(id: "bitnob:scale:\(i)", data: data, authMethod: .signature, receivedAt: .now()))
        }
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: Logger(label: "test.scale"))
        let partitions = PartitionSet()
        let producing = Task {
            for chunk in stride(from: 0, to: events.count, by: 500) {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for event in events[chunk..<min(chunk + 500, events.count)] {
                        group.addTask {
                            let report = try await producer.send(topic: topic, key: Array((event.subject ?? event.id).utf8), value: event.jsonBytes())
                            partitions.add(report.partition)
                        }
                    }
                    try await group.waitForAll()
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        func booked() -> [String: String] {
            let text = (try? CLI.run(["ledger", "balances", "--config", dir + "/routes.json", "--json"], environment: env).stdout) ?? ""
            guard let value = try? JSONParser.parse(Array(text.utf8)), case .array(let rows) = value["balances"] ?? value else { return [:] }
            var out: [String: String] = [:]
            for row in rows {
                if let account = row["account"]?.stringValue, let balance = row["balance"]?.scalarText { out[account] = balance }
            }
            return out
        }
        func total(_ balances: [String: String]) -> ExactDecimal {
            customers.reduce(ExactDecimal.zero) { $0 + (ExactDecimal(balances["liabilities:customers:\($1)"] ?? "0") ?? .zero).negated }
        }
        let all = expected.values.reduce(ExactDecimal.zero, +)
        // SIGKILL one replica once about a third is booked, then add a fourth.
        var deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, total(booked()) < ExactDecimal("150000")! {
            try await Task.sleep(for: .milliseconds(300))
        }
        kill(replicas[0].processIdentifier, SIGKILL)
        replicas[0].waitUntilExit()
        replicas.append(
            try CLI.start(["consume", "--config", dir + "/routes.json", "--sink", "ledger"], environment: env, log: dir + "/consume3.log")
        )
        try await producing.value
        await producer.shutdown(timeout: .seconds(10))

        var balances: [String: String] = [:]
        deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            balances = booked()
            if total(balances) >= all { break }
            try await Task.sleep(for: .seconds(1))
        }
        // Settle: a double booking would show up as an overshoot after more redeliveries.
        try await Task.sleep(for: .seconds(3))
        balances = booked()
        print(
            "fault-matrix | (m) scale-out: 3 consume replicas, 1 SIGKILLed, 1 added | sent 10000 | booked \(total(balances)) of \(all) | partitions used \(partitions.distinct) | ledger \(database.hasPrefix("sqlite") ? "SQLite" : "PostgreSQL")"
        )
        #expect(partitions.distinct == 6, "every partition carried events")
        for customer in customers {
            let got = balances["liabilities:customers:\(customer)"]
            #expect(
                got.flatMap { ExactDecimal($0) } == expected[customer]?.negated,
                "\(customer): \(got ?? "none") vs -\(expected[customer]?.plainText ?? "")"
            )
        }
        #expect(balances["assets:bitnob:BTC"].flatMap { ExactDecimal($0) } == all)
    }
}

/// Distinct partitions seen, from many tasks.
final class PartitionSet: Sendable {
    private let seen = Locked<Set<Int32>>([])
    func add(_ partition: Int32) { seen.withLock { _ = $0.insert(partition) } }
    var distinct: Int { seen.withLock { $0.count } }
}
