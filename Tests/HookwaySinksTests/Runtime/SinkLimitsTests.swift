import Foundation
import HookwayCore
import HookwayKafka
import HookwaySinks
import HookwayTesting
import Testing

/// Per-sink limits against real servers: the CRM sink calling a live HTTP server that can be
/// made down or rate-limited, consuming from Tansu.
@Suite(.timeLimit(.minutes(3)))
struct SinkLimitsTests {
    /// A CRM sink's config on `topic`, calling `base`, each event's id as the body.
    static func crmConfig(topic: String, base: String, concurrency: Int) throws -> SinkConfig {
        let json = #"{ "kind": "crm", "topics": ["\#(topic)"], "url": "\#(base)/contacts", "body": { "id": "{id}" } }"#
        var config = SinkFixtures.sinkConfig(topic: topic, maxInFlight: concurrency, options: try JSONParser.parse(Array(json.utf8)))
        config.kind = .crm
        return config
    }

    /// Runs `body` with a live CRM stand-in and a fresh topic holding `events`.
    static func withCRMAndTopic(
        partitions: Int32,
        events: [Event],
        inOrder: Bool = false,
        _ body: @escaping @Sendable (_ base: String, CRMRecorder, TansuBroker, _ topic: String) async throws -> Void
    ) async throws {
        try await CRMRecorder.withServer { base, recorder in
            let broker = try await TansuBroker.shared()
            let topic = try await broker.createTestTopic(partitions: partitions)
            try await SinkFixtures.produce(events, to: topic, broker: broker, inOrder: inOrder)
            try await body(base, recorder, broker, topic)
        }
    }

    /// Refused calls that came a probe interval or more after the previous refusal: the
    /// circuit's probes.
    static func probes(in requests: [CRMRecorder.Recorded], interval: Duration) -> Int {
        let refused = requests.filter { $0.status == 503 }.map(\.at)
        return zip(refused, refused.dropFirst()).filter { $1 - $0 >= interval }.count
    }

    @Test func anOpenCircuitPausesTheSinkThenEveryEventIsDeliveredWithNoDeadLetter() async throws {
        let events = (0..<30).map { SinkFixtures.event(id: "cb-\($0)", subject: "s\($0 % 6)") }
        try await Self.withCRMAndTopic(partitions: 3, events: events) { base, recorder, broker, topic in
            recorder.setDown(true)
            var config = try Self.crmConfig(topic: topic, base: base, concurrency: 4)
            config.retry.attempts = 3
            var breaker = CircuitBreakerSettings()
            breaker.consecutiveFailures = 3
            breaker.probeIntervalMs = 300
            config.circuitBreaker = breaker
            let sink = try CRMSink.make(config, environment: [:])
            let delivered: @Sendable () -> Set<String> = {
                Set(recorder.requests.filter { $0.status == 200 }.compactMap { $0.body.split(separator: "\"").dropFirst(3).first.map(String.init) })
            }
            let started = ContinuousClock.now
            let settings = config
            // The CRM comes back once the circuit has opened and refused two probes.
            let cameBack = try await withThrowingTaskGroup(of: ContinuousClock.Instant?.self) { group in
                group.addTask {
                    try await SinkFixtures.run(settings, sink: sink, broker: broker) { delivered().count >= events.count }
                    return nil
                }
                group.addTask {
                    try await eventually("two refused probes", timeout: .seconds(60)) {
                        Self.probes(in: recorder.requests, interval: .milliseconds(250)) >= 2
                    }
                    recorder.setDown(false)
                    return ContinuousClock.now
                }
                var upAt: ContinuousClock.Instant?
                for try await instant in group { upAt = upAt ?? instant }
                return try #require(upAt)
            }
            let requests = recorder.requests
            let whileDown = requests.filter { $0.status == 503 }
            // Without the breaker: 30 events × 3 attempts = 90 calls, then 30 dead letters.
            // With it: the failures that open it (≤ 3 + the other lanes' calls in flight) and one
            // probe per 300 ms.
            let probes = Int(((cameBack - started) / .milliseconds(300)).rounded(.up))
            #expect(whileDown.count <= 3 + 4 + probes + 1, "\(whileDown.count) calls while the CRM was down")
            #expect(delivered() == Set(events.map(\.id)), "every event delivered: none was dead-lettered")
            // Within one probe interval of the CRM coming back, plus the probe's own round trip
            // (which, with every other suite running beside this one, took up to 0.7 s).
            let firstSuccess = try #require(requests.first { $0.status == 200 })
            #expect(firstSuccess.at - cameBack < .milliseconds(300 + 700))
            let letters = try? await KafkaTestReader.read([config.deadLetterTopic], count: 1, broker: broker, timeout: .seconds(2))
            #expect(letters == nil || letters?.isEmpty == true, "no dead letter")
        }
    }

    @Test func aRateLimitHoldsAcrossLanes() async throws {
        let events = (0..<40).map { SinkFixtures.event(id: "rl-\($0)", subject: "s\($0)") }
        try await Self.withCRMAndTopic(partitions: 3, events: events) { base, recorder, broker, topic in
            var config = try Self.crmConfig(topic: topic, base: base, concurrency: 8)
            config.rateLimit = SinkRateLimit(perSecond: 20, burst: 1)
            let sink = try CRMSink.make(config, environment: [:])
            try await SinkFixtures.run(config, sink: sink, broker: broker) { recorder.requests.count >= events.count }
            let times = recorder.requests.map(\.at).sorted()
            #expect(times.count == events.count)
            let span = try #require(times.last) - times[0]
            // 39 intervals of 50 ms: 1.95 s; eight lanes would do it in a few ms.
            #expect(span >= .milliseconds(1_850), "\(span)")
            #expect(span < .seconds(8), "\(span): the limit slows, it does not stall")
        }
    }

    @Test func retryAfterFromTheDestinationPausesTheWholeSink() async throws {
        let events = (0..<12).map { SinkFixtures.event(id: "ra-\($0)", subject: "s\($0)") }
        try await Self.withCRMAndTopic(partitions: 1, events: events, inOrder: true) { base, recorder, broker, topic in
            recorder.script(.init(status: 429, retryAfter: "1"))
            let config = try Self.crmConfig(topic: topic, base: base, concurrency: 4)
            let sink = try CRMSink.make(config, environment: [:])
            try await SinkFixtures.run(config, sink: sink, broker: broker) {
                recorder.requests.filter { $0.status == 200 }.count >= events.count
            }
            let requests = recorder.requests
            let refused = try #require(requests.first { $0.status == 429 })
            // Calls already on their way when the 429 came may land just after it; no lane starts
            // a new one until the second has passed.
            let during = requests.filter { $0.at > refused.at + .milliseconds(150) && $0.at < refused.at + .milliseconds(950) }
            #expect(during.isEmpty, "\(during.count) calls during the pause")
            #expect(requests.filter { $0.status == 200 }.count == events.count)
        }
    }

    @Test func theEmailSinkTakesTheSameBreakerAgainstARealSMTPServer() async throws {
        let server = try await TestSMTPServer.start()
        try await withTeardown({ await server.stop() }) {
            let broker = try await TansuBroker.shared()
            let topic = try await broker.createTestTopic(partitions: 1)
            let events = (0..<4).map { SinkFixtures.event(id: "mail-\($0)", subject: "s\($0)") }
            try await SinkFixtures.produce(events, to: topic, broker: broker, inOrder: true)
            // Six "try later" in a row: more than the three attempts an event has.
            server.script(
                "END",
                "451 4.3.0 try later",
                "451 4.3.0 try later",
                "451 4.3.0 try later",
                "451 4.3.0 try later",
                "451 4.3.0 try later",
                "451 4.3.0 try later"
            )
            let json = """
                { "kind": "email", "topics": ["\(topic)"], "smtp": { "host": "127.0.0.1", "port": \(server.port), "tls": "none", "timeoutMs": 5000 },
                  "from": "hookway@example.com", "to": "ops@example.com", "subject": "{{type}}", "body": "{{data.amount}}",
                  "sentLog": "\(temporaryPath("sent.sqlite"))" }
                """
            var config = SinkFixtures.sinkConfig(topic: topic, maxInFlight: 1, attempts: 3, options: try JSONParser.parse(Array(json.utf8)))
            config.kind = .email
            var breaker = CircuitBreakerSettings()
            breaker.consecutiveFailures = 3
            breaker.probeIntervalMs = 200
            config.circuitBreaker = breaker
            let sink = try EmailSink.make(config, environment: [:])
            try await SinkFixtures.run(config, sink: sink, broker: broker) { server.messages.count >= events.count }
            #expect(server.messages.count == events.count, "every event mailed once the server took mail again")
            let letters = try? await KafkaTestReader.read([config.deadLetterTopic], count: 1, broker: broker, timeout: .seconds(2))
            #expect(letters == nil || letters?.isEmpty == true, "no dead letter: the first event waited for the circuit")
        }
    }
}
