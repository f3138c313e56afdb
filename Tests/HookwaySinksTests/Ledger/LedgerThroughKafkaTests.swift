import Foundation
import HookwayCore
import HookwayKafka
import HookwaySinks
import HookwayTesting
import Testing

@Suite(.timeLimit(.minutes(4)))
struct LedgerThroughKafkaTests {
    /// 10,000 deposits with awkward amounts through Kafka into the ledger: balances equal the
    /// independently summed amounts to the last digit and every transaction balances.
    @Test(arguments: LedgerBackend.available)
    func tenThousandEventsBalanceToTheLastDigit(_ backend: LedgerBackend) async throws {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 6)
        let customers = ["alice@example.com", "bob@example.com", "carol@example.com"]
        var expected: [String: ExactDecimal] = [:]
        var events: [Event] = []
        for i in 0..<10_000 {
            // Zero is not a deposit (the ledger refuses it): the first amount is the smallest unit.
            let amount = i == 0 ? "0.00000001" : "\(i % 97).\(String(format: "%08d", (i * 7919) % 100_000_000))"
            let customer = customers[i % customers.count]
            events.append(SinkFixtures.event(id: "dep-\(i)", subject: "tx-\(i)", amount: amount, email: customer))
            expected[customer, default: .zero] = expected[customer, default: .zero] + (ExactDecimal(amount) ?? .zero)
        }
        // A redelivered duplicate must not book twice.
        events.append(contentsOf: events.prefix(100))
        try await SinkFixtures.produce(events, to: topic, broker: broker)

        let database = try backend.freshDatabase()
        let options = try JSONParser.parse(
            Array(
                """
                { "kind": "accounting", "topics": ["\(topic)"], "database": "\(database)",
                  "postings": [ { "match": { "type": "bitnob.*.received.success" }, "debit": "assets:{provider}:{data.currency}",
                                  "credit": "liabilities:customers:{data.payload.data.customerEmail}" } ] }
                """.utf8
            )
        )
        var config = SinkFixtures.sinkConfig(topic: topic, maxInFlight: 8, options: options)
        config.kind = .accounting
        let sink = try LedgerSink.make(config)
        let started = ContinuousClock.now
        try await SinkFixtures.run(config, sink: sink, broker: broker) { try await sink.store.transactionCount() >= 10_000 }
        let elapsed = ContinuousClock.now - started
        print("ledger (\(backend)): 10,100 messages (10,000 distinct) booked in \(elapsed)")
        // The runner closed the sink's store when it stopped; read through a new one.
        let store = try backend.store(database)
        try await withTeardown({ await store.close() }) {
            #expect(try await store.transactionCount() == 10_000)
            let balances = try await store.balances()
            for customer in customers {
                let got = balances.first { $0.account == "liabilities:customers:\(customer)" }?.balance
                #expect(got == expected[customer]?.negated, "\(customer): \(got?.plainText ?? "none") vs \(expected[customer]?.plainText ?? "")")
            }
            let total = expected.values.reduce(ExactDecimal.zero, +)
            #expect(balances.first { $0.account == "assets:bitnob:BTC" }?.balance == total)
            let byTransaction = Dictionary(grouping: try await store.journal(), by: \.eventID)
            #expect(byTransaction.count == 10_000)
            #expect(byTransaction.values.allSatisfy { $0.map(\.entry.amount).reduce(ExactDecimal.zero, +).isZero })
        }
    }
}
