import Foundation
import HookwayCore
import HookwayKafka
import HookwayRuntime
import HookwaySinks
import HookwayTesting
import NIOConcurrencyHelpers
import Testing

/// The `confirm` sink against the provider API stand-in and a real broker.
@Suite(.timeLimit(.minutes(4)))
struct ConfirmSinkTests {
    struct Setup {
        let standIn: ProviderAPIStandIn
        let broker: TansuBroker
        let routes: RoutesConfig
        let input: String
        let output: String
        let mismatches: String

        var sinkConfig: SinkConfig { routes.sinks["confirm"]! }

        func makeSink() throws -> any Sink {
            let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: SinkFixtures.logger)
            return try SinkRegistry.make(
                sinkConfig,
                context: SinkContext(logger: SinkFixtures.logger, producer: producer, routes: routes, brokers: broker.bootstrapServers)
            )
        }

        /// Everything on `topic` now (the reader stops at the end offsets it found).
        func events(on topic: String) async throws -> [Event] {
            let box = NIOLockedValueBox<[KafkaMessage]>([])
            try await KafkaTopicReader.read(bootstrapServers: broker.bootstrapServers, topics: [topic]) { m in box.withLockedValue { $0.append(m) } }
            return try box.withLockedValue { $0 }.map { try Event.decode($0.value ?? []) }
        }
    }

    static func withSetup(confirmOptions: String = "", ledger: String? = nil, _ body: (Setup) async throws -> Void) async throws {
        let standIn = try await ProviderAPIStandIn.start()
        try await withTeardown({ await standIn.stop() }) {
            let broker = try await TansuBroker.shared()
            let input = try await broker.createTestTopic(partitions: 1)
            let output = "\(input).confirmed"
            let mismatches = "\(input).mismatch"
            let ledgerSink = ledger.map { #", "ledger": {"kind": "accounting", "topics": ["\#(output)"], \#($0)}"# } ?? ""
            let text = """
                {"version": 1, "kafka": {"mismatchTopic": "\(mismatches)"},
                 "sources": {"bitso": {"provider": "bitso", "token": "env:W", "api": \(standIn.apiJSON("bitso"))}},
                 "routes": [],
                 "sinks": {"confirm": {"kind": "confirm", "topics": ["\(input)"], "outputTopic": "\(output)",
                                       "retry": {"attempts": 6, "backoffMs": 10, "maxBackoffMs": 2000}\(confirmOptions)}\(ledgerSink)}}
                """
            let result = RoutesConfigLoader.parse(Array(text.utf8), environment: standIn.environment.merging(["W": "t"]) { a, _ in a })
            let routes = try #require(result.config, "\(result.problems)")
            try await body(Setup(standIn: standIn, broker: broker, routes: routes, input: input, output: output, mismatches: mismatches))
        }
    }

    static func funding(_ fid: String, status: String = "complete", amount: String? = "100.00", currency: String = "mxn") -> Event {
        Event(
            id: "bitso:funding:\(fid):\(status)",
            data: EventData(
                provider: "bitso",
                source: "bitso",
                event: "funding.\(status)",
                entity: EntityRef(kind: "funding", id: fid),
                status: status,
                amount: amount,
                currency: currency,
                payload: .null
            ),
            authMethod: .token,
            receivedAt: .now()
        )
    }

    static func record(_ fid: String, status: String = "complete", amount: String = "100.00") -> String {
        #"{"fid": "\#(fid)", "status": "\#(status)", "currency": "mxn", "amount": "\#(amount)", "method": "spei"}"#
    }

    @Test func aMatchingDepositIsPublishedMatchedWithTheAPIsValues() async throws {
        try await Self.withSetup { setup in
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("f1", amount: "100.0"))
            let sink = try setup.makeSink()
            try await sink.deliver(Self.funding("f1"))
            let out = try #require(try await setup.events(on: setup.output).first)
            #expect(out.id == "bitso:funding:f1:complete", "the original event id")
            #expect(out.confirmation?.result == .matched, "100.00 and 100.0 are the same amount")
            #expect(out.confirmation?.apiAmount == "100.0")
            #expect(out.confirmation?.apiStatus == "complete")
            #expect(Timestamp(rfc3339: out.confirmation?.checkedAt ?? "") != nil)
            #expect(try await setup.events(on: setup.mismatches).isEmpty)
            await sink.shutdown()
        }
    }

    /// Issue #28 item 7 (confirmed): a deposit whose amount was left out (too long) was
    /// `matched` on its status alone; now it is a mismatch naming the API's amount.
    @Test func aDepositWithoutAnAmountIsAMismatch() async throws {
        try await Self.withSetup { setup in
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("f9"))
            let sink = try setup.makeSink()
            try await sink.deliver(Self.funding("f9", amount: nil))
            let out = try #require(try await setup.events(on: setup.output).first)
            #expect(out.confirmation?.result == .mismatch)
            #expect(out.confirmation?.reason == "amount: event says none, api 100.00")
            #expect(try await setup.events(on: setup.mismatches).map(\.id) == ["bitso:funding:f9:complete"])
            await sink.shutdown()
        }
    }

    @Test func aMismatchedAmountOrStatusIsAMismatchOnBothTopics() async throws {
        try await Self.withSetup { setup in
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("f2", amount: "90.00"))
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("f3", status: "pending"))
            let sink = try setup.makeSink()
            try await sink.deliver(Self.funding("f2"))
            try await sink.deliver(Self.funding("f3"))
            // The topics have several partitions: order by id, not by arrival.
            let out = try await setup.events(on: setup.output).sorted { $0.id < $1.id }
            #expect(out.map { $0.confirmation?.result } == [.mismatch, .mismatch])
            #expect(out[0].confirmation?.reason == "amount: event 100.00, api 90.00")
            #expect(out[1].confirmation?.reason == "status: event complete, api pending")
            let mismatches = try await setup.events(on: setup.mismatches)
            #expect(mismatches.map(\.id).sorted() == ["bitso:funding:f2:complete", "bitso:funding:f3:complete"])
            await sink.shutdown()
        }
    }

    @Test func a404IsAskedAgainUntilTheEntityAppears() async throws {
        try await Self.withSetup(confirmOptions: #", "notFoundWindowMs": 60000, "notFoundIntervalMs": 200"#) { setup in
            let sink = try setup.makeSink()
            // The entity appears only after the sink has been told 404 (not after a fixed time,
            // which a loaded machine can outrun before the first request).
            async let delivered = sink.deliver(Self.funding("f4"))
            try await eventually("the stand-in to answer 404") { try await setup.standIn.requests().contains { $0.status == 404 } }
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("f4"))
            #expect(try await delivered == .confirmed("matched"))
            #expect(try await setup.events(on: setup.output).first?.confirmation?.result == .matched)
            let statuses = try await setup.standIn.requests().map(\.status)
            #expect(statuses.first == 404)
            #expect(statuses.last == 200)
            await sink.shutdown()
        }
    }

    @Test func anEntityTheAPINeverKnowsIsNotFoundAfterTheWindow() async throws {
        try await Self.withSetup(confirmOptions: #", "notFoundWindowMs": 4000, "notFoundIntervalMs": 100"#) { setup in
            let sink = try setup.makeSink()
            try await sink.deliver(Self.funding("ghost"))
            #expect(try await setup.events(on: setup.output).first?.confirmation?.result == .notFound)
            #expect(try await setup.events(on: setup.mismatches).first?.confirmation?.result == .notFound)
            #expect(try await setup.standIn.requests().count >= 2, "asked again within the window")
            await sink.shutdown()
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedByTheRunnerUntilConfirmed() async throws {
        try await Self.withSetup { setup in
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("f5"))
            try await setup.standIn.inject("bitso", [(429, ["Retry-After": "1"]), (503, [:])])
            // Thrown to the runner as transient, with the provider's pause.
            let direct = try setup.makeSink()
            do {
                try await direct.deliver(Self.funding("f5"))
                Issue.record("a 429 must not confirm")
            } catch let error as SinkError {
                #expect(error.code == "api_rate_limited")
                #expect(!error.isPermanent)
                #expect(error.retryAfter == .seconds(1))
            }
            await direct.shutdown()
            // Through the runner: the 503 is retried too, then the event is confirmed once.
            try await setup.standIn.inject("bitso", [(503, [:])])
            try await SinkFixtures.produce([Self.funding("f5")], to: setup.input, broker: setup.broker)
            let sink = try setup.makeSink()
            try await SinkFixtures.run(setup.sinkConfig, sink: sink, broker: setup.broker) {
                try await !setup.events(on: setup.output).isEmpty
            }
            #expect(try await setup.events(on: setup.output).map { $0.confirmation?.result } == [.matched])
            #expect(try await setup.standIn.requests().map(\.status) == [429, 503, 503, 200])
        }
    }

    /// confirm → ledger with `requireConfirmation`: the matched deposit is booked, the tampered
    /// one (amount changed after the provider sent it) is dead-lettered with the reason.
    @Test func theLedgerBooksOnlyMatchedDeposits() async throws {
        let database = "sqlite:\(NSTemporaryDirectory())confirm-ledger-\(UUID().uuidString).sqlite"
        let ledger =
            #""database": "\#(database)", "requireConfirmation": true, "postings": [{"debit": "assets:bitso:{data.currency}", "credit": "liabilities:deposits"}]"#
        try await Self.withSetup(ledger: ledger) { setup in
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("good"))
            try await setup.standIn.seed("bitso", kind: "funding", record: Self.record("tampered", amount: "1.00"))
            try await SinkFixtures.produce([Self.funding("good"), Self.funding("tampered")], to: setup.input, broker: setup.broker)
            let confirm = try setup.makeSink()
            try await SinkFixtures.run(setup.sinkConfig, sink: confirm, broker: setup.broker) {
                try await setup.events(on: setup.output).count >= 2
            }
            var ledgerConfig = try #require(setup.routes.sinks["ledger"])
            ledgerConfig.deadLetterTopic = "\(setup.output).dlq"
            ledgerConfig.retry.backoffMs = 10
            let dlq = ledgerConfig.deadLetterTopic
            let sink = try LedgerSink.make(ledgerConfig)
            let letters = NIOLockedValueBox<[KafkaMessage]>([])
            try await SinkFixtures.run(ledgerConfig, sink: sink, broker: setup.broker) {
                let booked = try await sink.store.transactionCount()
                letters.withLockedValue { $0 = [] }
                try await KafkaTopicReader.read(bootstrapServers: setup.broker.bootstrapServers, topics: [dlq]) { m in
                    letters.withLockedValue { $0.append(m) }
                }
                return booked >= 1 && letters.withLockedValue { $0.count } >= 1
            }
            let store = try LedgerBackend.sqlite.store(database)
            try await withTeardown({ await store.close() }) {
                let booked = try await store.journal().map(\.eventID)
                #expect(booked == ["bitso:funding:good:complete", "bitso:funding:good:complete"], "one balanced transaction: two lines")
            }
            let letter = try #require(letters.withLockedValue { $0 }.first)
            let headers = Dictionary(
                letter.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) },
                uniquingKeysWith: { a, _ in a }
            )
            #expect(headers["hookway_error_code"] == "event_unconfirmed")
            #expect(headers["hookway_error"]?.contains("amount: event 100.00, api 1.00") == true)
        }
    }
}
