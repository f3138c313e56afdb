import Testing

@testable import HookwayCore

@Suite("RouteTable and TopicTemplate")
struct RouteTableTests {
    static func event(
        source: String = "bitnob",
        provider: String = "bitnob",
        event: String = "btc.lightning.received.success",
        amount: String? = nil,
        payload: JSONValue = .object([])
    ) -> Event {
        Event(
            id: "evt",
            data: EventData(provider: provider, source: source, event: event, amount: amount, payload: payload),
            authMethod: .signature,
            receivedAt: Timestamp(millisecondsSinceEpoch: 0)
        )
    }

    static func route(
        _ name: String,
        source: [String] = [],
        type: [String] = [],
        where conditions: [Condition] = [],
        to: [String]
    ) -> Route {
        Route(
            name: name,
            sourcePatterns: source.map(Glob.init),
            typePatterns: type.map(Glob.init),
            conditions: conditions,
            topics: to.map(TopicTemplate.init)
        )
    }

    @Test func everyMatchingRouteAppliesAndEachTopicOnce() {
        let table = RouteTable(
            routes: [
                Self.route("all", to: ["webhooks.{source}.{event}", "audit"]),
                Self.route("deposits", type: ["bitnob.*.received.success"], to: ["payments.deposits", "audit"]),
                Self.route("again", source: ["bit*"], to: ["payments.deposits", "webhooks.{source}.{event}"]),
                Self.route("never", type: ["bitso.*"], to: ["never"]),
            ],
            unroutedTopic: "webhooks.unrouted"
        )
        let event = Self.event()
        #expect(table.topics(for: event) == ["webhooks.bitnob.btc.lightning.received.success", "audit", "payments.deposits"])
        #expect(table.matchingRoutes(for: event).map(\.name) == ["all", "deposits", "again"])
    }

    @Test func noMatchGoesToTheUnroutedTopic() {
        let table = RouteTable(routes: [Self.route("bitso", type: ["bitso.*"], to: ["x"])], unroutedTopic: "webhooks.unrouted")
        #expect(table.topics(for: Self.event()) == ["webhooks.unrouted"])
        #expect(RouteTable(routes: [], unroutedTopic: "u").topics(for: Self.event()) == ["u"])
    }

    @Test(arguments: [
        (["bitnob"], "bitnob", true), (["bitnob"], "bitnob-eu", false), (["bitnob*"], "bitnob-eu", true),
        (["*-eu", "bitso"], "bitnob-eu", true), (["*-eu", "bitso"], "bitso", true), (["*-eu", "bitso"], "bitnob", false),
    ])
    func sourceGlobsMatchTheConfiguredSourceName(patterns: [String], source: String, expected: Bool) {
        let route = Self.route("r", source: patterns, to: ["t"])
        #expect(route.matches(Self.event(source: source)) == expected)
    }

    @Test func typeGlobsMatchTheCloudEventType() {
        let route = Self.route("r", type: ["bitso.funding.complete", "*withdrawal*"], to: ["t"])
        #expect(route.matches(Self.event(provider: "bitso", event: "funding.complete")))
        #expect(route.matches(Self.event(provider: "bitnob", event: "payout.withdrawal.success")))
        #expect(!route.matches(Self.event(provider: "bitnob", event: "funding.complete")))
    }

    @Test func allPartsOfMatchMustHold() {
        let route = Self.route(
            "r",
            source: ["bitnob"],
            type: ["bitnob.*"],
            where: [
                Condition(field: "data.payload.data.chain", op: .eq, operand: .text("BTC")),
                Condition(field: "data.amount", op: .gte, operand: .decimal(ExactDecimal("10000")!)),
            ],
            to: ["t"]
        )
        let payload = JSONValue.object([JSONMember("data", .object([JSONMember("chain", .string("BTC"))]))])
        #expect(route.matches(Self.event(amount: "10000", payload: payload)))
        #expect(!route.matches(Self.event(amount: "9999.99", payload: payload)))
        #expect(!route.matches(Self.event(amount: "10000", payload: .object([]))))
        #expect(!route.matches(Self.event(source: "other", amount: "10000", payload: payload)))
    }

    @Test func emptyMatchMatchesEverything() {
        #expect(Self.route("r", to: ["t"]).matches(Self.event(source: "", provider: "", event: "")))
    }

    // MARK: Templates

    @Test func templateVariables() {
        let template = TopicTemplate("x.{source}.{provider}.{event}.{type}")
        let event = Self.event(source: "bitnob-eu", provider: "bitnob", event: "payout.success")
        #expect(template.render(for: event) == "x.bitnob-eu.bitnob.payout.success.bitnob.payout.success")
        #expect(!template.isLiteral)
        #expect(TopicTemplate("payments.deposits").isLiteral)
        #expect(TopicTemplate("payments.deposits").render(for: event) == "payments.deposits")
    }

    @Test(arguments: [
        ("webhooks.{source}.{event}", "bitnob", "btc lightning/received", "webhooks.bitnob.btc_lightning_received"),
        ("webhooks.{event}", "s", "\u{FC}n\u{EF}code.\u{1F600}", "webhooks._n_code._"),
        ("webhooks.{event}", "s", "a:b*c?d[e]{f}", "webhooks.a_b_c_d_e__f_"),
        ("{event}", "s", "", "_"),
        ("{event}", "s", ".", "_"),
        ("{event}", "s", "..", "__"),
        ("{event}", "s", "...", "..."),
        ("our topics", "s", "e", "our_topics"),
    ])
    func renderingSanitizesForKafka(template: String, source: String, event: String, expected: String) {
        let topic = TopicTemplate(template).render(for: Self.event(source: source, event: event))
        #expect(topic == expected)
        #expect(TopicTemplate.isValidTopicName(topic))
    }

    @Test func longNamesAreShortenedDeterministicallyAndStayValid() {
        let long = String(repeating: "a", count: 300)
        let template = TopicTemplate("webhooks.{event}")
        let first = template.render(for: Self.event(event: long))
        let again = template.render(for: Self.event(event: long))
        #expect(first == again)
        #expect(first.utf8.count == TopicTemplate.maxTopicLength)
        #expect(TopicTemplate.isValidTopicName(first))
        #expect(first.hasPrefix("webhooks.aaaa"))
        #expect(first.wholeMatch(of: /webhooks\.a+-[0-9a-f]{16}/) != nil)

        // Two long names with the same first 232 characters still get different topics.
        let other = template.render(for: Self.event(event: long + "b"))
        #expect(other != first)
        #expect(other.utf8.count == TopicTemplate.maxTopicLength)
        #expect(other.dropLast(16) == first.dropLast(16))

        // Non-ASCII is sanitized before counting, so the result is still 249 bytes.
        let unicode = template.render(for: Self.event(event: String(repeating: "é", count: 300)))
        #expect(unicode.utf8.count == TopicTemplate.maxTopicLength)
        #expect(TopicTemplate.isValidTopicName(unicode))
    }

    @Test(arguments: [248, 249, 250])
    func lengthBoundary(length: Int) {
        let name = String(repeating: "x", count: length)
        let topic = TopicTemplate.topicName(name)
        #expect(TopicTemplate.isValidTopicName(topic))
        if length <= TopicTemplate.maxTopicLength { #expect(topic == name) } else { #expect(topic.utf8.count == 249 && topic != name) }
    }

    @Test func shorteningIsAStableKnownValue() {
        // Pinned so a change of hash (which would move events to new topics) is noticed.
        let topic = TopicTemplate.topicName(String(repeating: "a", count: 250))
        #expect(topic == String(repeating: "a", count: 232) + "-924785600b73a84f")
    }

    @Test(arguments: [
        ("", "empty topic template"),
        ("webhooks.{tenant}", "unknown template variable {tenant}"),
        ("webhooks.{}", "unknown template variable {}"),
        ("webhooks.{Source}", "unknown template variable {Source}"),
        ("webhooks.{source", "unclosed '{'"),
        ("webhooks.source}", "unmatched '}'"),
        (".", "not a valid Kafka topic name"),
        ("..", "not a valid Kafka topic name"),
    ])
    func templateProblems(template: String, messageContains: String) {
        let problem = TopicTemplate.problem(in: template)
        #expect(problem?.contains(messageContains) == true, "\(problem ?? "nil")")
    }

    @Test(arguments: ["webhooks.{source}.{event}", "{type}", "payments.deposits", "...", "a b", "{source}{provider}"])
    func goodTemplates(template: String) {
        #expect(TopicTemplate.problem(in: template) == nil)
    }

    @Test(arguments: [
        ("webhooks.unrouted", true), ("a", true), ("A-Z_0.9", true), ("...", true), (String(repeating: "x", count: 249), true),
        ("", false), (".", false), ("..", false), ("a b", false), ("a/b", false), ("é", false), (String(repeating: "x", count: 250), false),
    ])
    func validTopicNames(name: String, expected: Bool) {
        #expect(TopicTemplate.isValidTopicName(name) == expected)
    }

    @Test(arguments: [
        ("webhooks.{provider}.{event}", "webhooks.bitso.funding.complete", true),
        ("webhooks.{provider}.{event}", "webhooks.x", false),  // needs two dots' worth of literal text
        ("webhooks.{provider}.{event}", "payments.deposits", false),
        ("payments deposits", "payments_deposits", true),
        ("alerts.{source}", "alerts.", true),
    ])
    func producibleTopics(template: String, topic: String, expected: Bool) {
        #expect(TopicTemplate(template).producibleTopics.matches(topic) == expected)
    }
}
