import HookwayRuntime
import Testing

@testable import HookwayCore

/// Whatever a provider sends, routing never crashes and never drops an event: every event gets
/// at least one valid, distinct Kafka topic.
@Suite("Routing properties")
struct RoutingPropertyTests {
    static let environment = [
        "BITCAPITAL_WEBHOOK_SECRET", "BITPOWR_WEBHOOK_SECRET", "BITSO_WEBHOOK_TOKEN", "KOYWE_WEBHOOK_SECRET",
        "KOYWE_VALIDATION_TOKEN", "BITNOB_WEBHOOK_SECRET", "ACME_WEBHOOK_SECRET", "CRM_TOKEN", "BITSO_API_KEY", "BITSO_API_SECRET",
    ].reduce(into: [String: String]()) { $0[$1] = "dummy" }

    struct Generator {
        var rng: SplitMix64

        mutating func int(_ upper: Int) -> Int { Int(rng.next() % UInt64(upper)) }
        mutating func chance(_ percent: Int) -> Bool { int(100) < percent }

        static let pieces: [String] = [
            "a", "b", "z", "A", "Z", "0", "9", ".", "..", "-", "_", "*", "/", " ", "{", "}", "{source}", ":", "\\", "\"", "\n",
            "\t", "\u{0}", "\u{7F}", "é", "e\u{301}", "中", "😀", "👩‍👩‍👧", "\u{200B}", "\u{FEFF}", "\u{10FFFF}", "ß", "İ",
            "bitnob", "bitso", "withdrawal", "funding.complete", "received.success", "btc", "lightning", "%", "#", "+",
        ]

        mutating func string() -> String {
            let length = chance(3) ? 150 + int(200) : int(12)
            var s = ""
            for _ in 0..<length { s += Self.pieces[int(Self.pieces.count)] }
            return s
        }

        /// Types the routes care about, mixed with noise, so every route gets exercised.
        mutating func event() -> String {
            switch int(6) {
            case 0: return ["funding.complete", "btc.lightning.received.success", "transaction.deposit.success", "user.ready"][int(4)]
            case 1: return "withdrawal.\(string())"
            case 2: return "\(string()).withdrawal"
            default: return string()
            }
        }

        mutating func amount() -> String? {
            switch int(8) {
            case 0: return nil
            case 1: return string()
            case 2: return ["10000", "9999.999999999999999999", "10000.000000000000000001", "-0", "1e4", "1E+400", "1e99999", "-10000"][int(8)]
            default:
                var digits = String(1 + int(99999))
                if chance(50) { digits += "." + String(int(1_000_000)) }
                return chance(20) ? "-" + digits : digits
            }
        }

        mutating func json(depth: Int = 0) -> JSONValue {
            switch depth > 4 ? int(4) : int(6) {
            case 0: return .null
            case 1: return .bool(chance(50))
            case 2: return .number(["0", "-1.5", "1e3", "123456789012345678901234567890", "0.000000000000000000001"][int(5)])
            case 3: return .string(string())
            case 4: return .array((0..<int(4)).map { _ in json(depth: depth + 1) })
            default:
                var members = (0..<int(5)).map { _ in
                    JSONMember(chance(50) ? ["data", "chain", "amount", "event"][int(4)] : string(), json(depth: depth + 1))
                }
                if depth == 0, chance(50) {
                    members.append(JSONMember("data", .object([JSONMember("chain", chance(50) ? .string("BTC") : json(depth: depth + 2))])))
                }
                return .object(members)
            }
        }

        mutating func randomEvent() -> Event {
            let providers = ["bitnob", "bitso", "bitpowr", "bitcapital", "koywe", "standardwebhooks"]
            let provider = chance(70) ? providers[int(providers.count)] : string()
            let source = chance(70) ? providers[int(providers.count)] : string()
            return Event(
                id: string(),
                data: EventData(
                    provider: provider,
                    source: source,
                    event: event(),
                    entity: chance(50) ? EntityRef(kind: string(), id: string()) : nil,
                    status: chance(50) ? string() : nil,
                    amount: amount(),
                    currency: chance(50) ? "BTC" : nil,
                    reference: chance(30) ? string() : nil,
                    payload: json()
                ),
                authMethod: [.signature, .token, .ip, .none][int(4)],
                receivedAt: Timestamp(millisecondsSinceEpoch: Int64(int(4_000_000_000_000)))
            )
        }
    }

    @Test func topicsForRandomEventsAreAlwaysValid() throws {
        let result = RoutesConfigLoader.load(path: RoutesFixtures.repositoryRoutesFile, environment: Self.environment)
        let config = try #require(result.config, "\(result.problems)")
        let tables = [
            config.routeTable,
            // Every variable, payload conditions and a literal that needs sanitizing, over the same events.
            RouteTable(
                routes: config.routes + [
                    Route(
                        name: "chain",
                        typePatterns: [Glob("*")],
                        conditions: [
                            Condition(field: "data.payload.data.chain", op: .eq, operand: .text("BTC")),
                            Condition(field: "data.amount", op: .lt, operand: .decimal(ExactDecimal("1e4")!)),
                        ],
                        topics: [TopicTemplate("chains.{source}.{provider}.{event}.{type}"), TopicTemplate("odd topic!")]
                    ),
                    Route(
                        name: "where-only",
                        conditions: [Condition(field: "data.payload.amount", op: .exists, operand: .flag(true))],
                        topics: [TopicTemplate("{type}")]
                    ),
                ],
                unroutedTopic: config.kafka.unroutedTopic
            ),
            RouteTable(routes: [], unroutedTopic: "webhooks.unrouted"),
        ]
        var generator = Generator(rng: SplitMix64(seed: 0x486F_6F6B_7761_79))
        var routedByRoute = [String: Int]()
        var unrouted = 0
        for _ in 0..<5_000 {
            let event = generator.randomEvent()
            for table in tables {
                let topics = table.topics(for: event)
                #expect(!topics.isEmpty)
                #expect(Set(topics).count == topics.count, "duplicate topic in \(topics)")
                for topic in topics where !TopicTemplate.isValidTopicName(topic) {
                    Issue.record("invalid topic \(topic.debugDescription) for event \(event.data.event.debugDescription)")
                }
                let matching = table.matchingRoutes(for: event)
                if matching.isEmpty { #expect(topics == [table.unroutedTopic]) }
            }
            let matching = tables[1].matchingRoutes(for: event)
            if matching.isEmpty { unrouted += 1 }
            for route in matching { routedByRoute[route.name, default: 0] += 1 }
            // The same event always goes to the same topics.
            #expect(tables[1].topics(for: event) == tables[1].topics(for: event))
        }
        // The generator reaches every route, so the property covers them all.
        for route in tables[1].routes { #expect(routedByRoute[route.name, default: 0] > 0, "\(route.name) never matched") }
        #expect(routedByRoute["by-provider-and-event"] == 5_000)
    }

    @Test func theRepositoryRoutesFanOut() throws {
        let config = try #require(RoutesConfigLoader.load(path: RoutesFixtures.repositoryRoutesFile, environment: Self.environment).config)
        func event(_ provider: String, _ name: String, amount: String? = nil) -> Event {
            Event(
                id: "e",
                data: EventData(provider: provider, source: provider, event: name, amount: amount, payload: .object([])),
                authMethod: .signature,
                receivedAt: Timestamp(millisecondsSinceEpoch: 0)
            )
        }
        let table = config.routeTable
        #expect(table.topics(for: event("bitso", "funding.complete")) == ["webhooks.bitso.funding.complete", "payments.deposits"])
        #expect(
            table.topics(for: event("bitnob", "btc.lightning.received.success")) == [
                "webhooks.bitnob.btc.lightning.received.success", "payments.deposits",
            ]
        )
        #expect(
            table.topics(for: event("bitnob", "payout.withdrawal.success", amount: "10000")) == [
                "webhooks.bitnob.payout.withdrawal.success", "alerts.withdrawals",
            ]
        )
        #expect(
            table.topics(for: event("bitnob", "payout.withdrawal.success", amount: "9999.999999999999999999")) == [
                "webhooks.bitnob.payout.withdrawal.success"
            ]
        )
        #expect(table.topics(for: event("bitcapital", "user.ready")) == ["webhooks.bitcapital.user.ready", "crm.users"])
    }
}
