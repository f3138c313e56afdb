import Foundation
import Glibc
import HookwayCore
import HookwayKafka
import HookwayTesting
import Testing

/// `hookway replay SINK --since T` against a real Tansu and a SQLite ledger: a replay books what
/// is missing, a second books nothing twice, bad input books nothing, Ctrl-C stops cleanly.
@Suite(.timeLimit(.minutes(3)))
struct ReplayByTimeTests {
    struct Setup {
        let routes: String
        let directory: String
        let topic: String
        let broker: TansuBroker
        let environment: [String: String]
    }

    static func setUp(events: Int, extraSinks: (_ topic: String) -> String = { _ in "" }) async throws -> Setup {
        let broker = try await TansuBroker.shared()
        let topic = try await broker.createTestTopic(partitions: 3)
        let directory = NSTemporaryDirectory() + "replay-time-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let routes = directory + "/routes.json"
        try """
        {"version": 1, "kafka": {"brokers": "\(broker.bootstrapServers)", "topics": {"partitions": 3},
                                 "outcomeTopic": "\(topic).outcomes", "consumer": {"fetch.wait.max.ms": "10", "session.timeout.ms": "6000"}},
         "sources": {}, "routes": [],
         "sinks": {"ledger": {"kind": "accounting", "topics": ["\(topic)"], "database": "sqlite:var/ledger.sqlite",
                              "postings": [{"match": {"type": "bitso.funding.complete"}, "debit": "assets:bitso:{data.currency}", "credit": "liabilities:customers:bitso"}]}\(extraSinks(topic))}}
        """.write(toFile: routes, atomically: true, encoding: .utf8)
        let producer = try KafkaProducer(configuration: .init(bootstrapServers: broker.bootstrapServers), logger: .init(label: "test"))
        for i in 0..<events {
            let payload: JSONValue = .object([JSONMember("fid", .string("f\(i)"))])
            let event = Event(
                id: "bitso:funding:f\(i):complete",
                data: EventData(
                    provider: "bitso",
                    source: "bitso",
                    event: i % 2 == 0 ? "funding.complete" : "funding.pending",
                    entity: EntityRef(kind: "funding", id: "f\(i)"),
                    status: i % 2 == 0 ? "complete" : "pending",
                    amount: "\(i).50",
                    currency: "mxn",
                    payload: payload
                ),
                authMethod: .signature,
                receivedAt: .now()
            )
            let message = event.kafkaMessage(.structured)
            _ = try await producer.send(topic: topic, key: message.key, value: message.value, headers: [])
        }
        await producer.shutdown(timeout: .seconds(5))
        var environment = CLI.devEnvironment
        environment.removeValue(forKey: "HOOKWAY_BROKERS")
        return Setup(routes: routes, directory: directory, topic: topic, broker: broker, environment: environment)
    }

    static func booked(_ setup: Setup) throws -> String {
        try CLI.run(["ledger", "balances", "--config", setup.routes], environment: setup.environment).stdout
    }

    @Test func aReplayBooksWhatIsMissingAndASecondBooksNothingTwice() async throws {
        let setup = try await Self.setUp(events: 20)
        let dry = try CLI.run(["replay", "ledger", "--since", "1h", "--dry-run", "--config", setup.routes], environment: setup.environment)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("replay ledger: 20 message(s)"), "\(dry.stdout)")
        #expect(dry.stdout.contains("dry run: nothing delivered"))
        #expect(!FileManager.default.fileExists(atPath: setup.directory + "/var/ledger.sqlite"), "a dry run opens no ledger")

        // Only the completed fundings (10 of 20), the ledger booking each once.
        let first = try CLI.run(
            ["replay", "ledger", "--since", "1h", "--type", "bitso.funding.complete", "--config", setup.routes],
            environment: setup.environment
        )
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("booked 10"), "\(first.stdout)")
        #expect(first.stdout.contains("passed over 10"), "\(first.stdout)")
        #expect(first.stdout.contains("replayed 20 of 20"), "\(first.stdout)")
        // 0.50 + 2.50 + … + 18.50 = 95.00
        let balances = try Self.booked(setup)
        #expect(balances.contains("95.00"), "\(balances)")

        let again = try CLI.run(["replay", "ledger", "--since", "1h", "--config", setup.routes], environment: setup.environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("skipped 20"), "10 already booked, 10 matching no posting: \(again.stdout)")
        #expect(!again.stdout.contains("booked"), "\(again.stdout)")
        let after = try Self.booked(setup)
        #expect(after.contains("95.00"), "\(after)")
    }

    @Test func badInputSaysOneLineAndReplaysNothing() async throws {
        let setup = try await Self.setUp(events: 2)
        let cases: [([String], String)] = [
            (["replay", "nope", "--since", "1h"], "no sink named \"nope\""),
            (["replay", "ledger", "--since", "yesterday"], "--since \"yesterday\" is neither"),
            (["replay", "ledger", "--since", "2099-01-01T00:00:00Z"], "nothing to replay"),
            (["replay", "ledger", "--since", "1h", "--type", "bitso.[funding"], "--type"),
            (["replay", "ledger", "--since", "1h", "--where", "amount > 1"], "--where does not parse"),
            (["replay", "ledger", "--since", "1h", "--until", "2h"], "is not after --since"),
        ]
        for (arguments, expected) in cases {
            let result = try CLI.run(arguments + ["--config", setup.routes], environment: setup.environment)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: setup.directory + "/var/ledger.sqlite"), "nothing replayed")
    }

    @Test func ctrlCStopsCleanlyAndARunAgainFinishes() async throws {
        // A CRM that takes the connection and never answers: the replay cannot finish on its own.
        let crmPort = try TansuBroker.unusedPort()
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(crmPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var one: Int32 = 1
        setsockopt(silent, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0)
        listen(silent, 16)
        let setup = try await Self.setUp(events: 4) { topic in
            #", "crm": {"kind": "crm", "topics": ["\#(topic)"], "url": "http://127.0.0.1:\#(crmPort)/contacts", "body": {"eventId": "{id}"}}"#
        }
        let log = setup.directory + "/replay.log"
        let process = try CLI.start(["replay", "crm", "--since", "1h", "--config", setup.routes], environment: setup.environment, log: log)
        try await eventually("the plan to be printed") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("replay crm:")
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        close(silent)
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("interrupted after 0 of 4"), "\(output)")
        #expect(output.contains("running it again is safe"), "\(output)")

        // The CRM is fixed (it answers, at a new address): the same replay again finishes, each
        // event delivered once.
        let fixedPort = try TansuBroker.unusedPort()
        let text = try String(contentsOfFile: setup.routes, encoding: .utf8)
        try text.replacingOccurrences(of: "127.0.0.1:\(crmPort)/", with: "127.0.0.1:\(fixedPort)/").write(
            toFile: setup.routes,
            atomically: true,
            encoding: .utf8
        )
        let crm = try CLI.startCRMEcho(log: setup.directory + "/crm.log", port: fixedPort)
        defer { CLI.kill(crm) }
        try await eventually("the CRM stand-in to listen") { EndToEndTests.accepts(fixedPort) }
        let again = try CLI.run(["replay", "crm", "--since", "1h", "--config", setup.routes], environment: setup.environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("replayed 4 of 4"), "\(again.stdout)")
        #expect(again.stdout.contains("delivered 4"), "\(again.stdout)")
    }

    /// The email sink sends nothing twice and the CRM gets the same Idempotency-Key on a replay.
    @Test func replayingTheEmailAndCRMSinksRepeatsNoEffect() async throws {
        let crmPort = try TansuBroker.unusedPort()
        let setup = try await Self.setUp(events: 6) { topic in
            """
            ,
            "mail": {"kind": "email", "topics": ["\(topic)"], "outbox": "var/outbox", "from": "hookway@example.com", "to": ["ops@example.com"],
                     "subject": "Funding {{subject}}", "body": "{{data.amount}} {{data.currency}}"},
            "crm": {"kind": "crm", "topics": ["\(topic)"], "url": "http://127.0.0.1:\(crmPort)/contacts", "body": {"externalId": "{subject}", "eventId": "{id}"}}
            """
        }
        let crm = try CLI.startCRMEcho(log: setup.directory + "/crm.log", port: crmPort)
        defer { CLI.kill(crm) }
        try await eventually("the CRM stand-in to listen") { EndToEndTests.accepts(crmPort) }

        let outbox = setup.directory + "/var/outbox"
        func mails() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { $0.hasSuffix(".eml") }.sorted() }
        func keys() -> [String] {
            let text = (try? String(contentsOfFile: setup.directory + "/crm.log", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                (try? JSONParser.parse(Array(line.utf8)))?["idempotencyKey"]?.stringValue
            }
        }

        let first = try CLI.run(["replay", "mail", "--since", "1h", "--config", setup.routes], environment: setup.environment)
        #expect(first.stdout.contains("sent 6"), "\(first.stdout)\(first.stderr)")
        let sent = mails()
        #expect(sent.count == 6)
        let again = try CLI.run(["replay", "mail", "--since", "1h", "--config", setup.routes], environment: setup.environment)
        #expect(again.stdout.contains("skipped 6"), "\(again.stdout)\(again.stderr)")
        #expect(mails() == sent, "nothing sent twice")

        for run in 1...2 {
            let result = try CLI.run(["replay", "crm", "--since", "1h", "--config", setup.routes], environment: setup.environment)
            #expect(result.stdout.contains("delivered 6"), "run \(run): \(result.stdout)\(result.stderr)")
        }
        let sentKeys = keys()
        #expect(sentKeys.count == 12, "\(sentKeys)")
        #expect(Set(sentKeys).count == 6, "each event's second delivery carries its first's Idempotency-Key")
    }

    /// The confirm sink asks the provider's API again and re-publishes the same CloudEvent ids
    /// (consumers keep one per id); the index writes nothing new.
    @Test func replayingTheConfirmAndIndexSinksRepeatsNoEffect() async throws {
        let standIn = try await ProviderAPIStandIn.start()
        try await withTeardown({ await standIn.stop() }) {
            for i in stride(from: 0, to: 6, by: 2) {
                try await standIn.seed(
                    "bitso",
                    kind: "funding",
                    record: #"{"fid": "f\#(i)", "status": "complete", "currency": "mxn", "amount": "\#(i).50"}"#
                )
            }
            let setup = try await Self.setUp(events: 6) { topic in
                """
                ,
                "confirm": {"kind": "confirm", "topics": ["\(topic)"], "source": "bitso", "match": {"type": "bitso.funding.complete"},
                            "outputTopic": "\(topic).confirmed"},
                "index": {"kind": "index", "topics": ["\(topic)"], "database": "sqlite:var/index.sqlite"}
                """
            }
            // The confirm sink reads the source's API settings.
            var text = try String(contentsOfFile: setup.routes, encoding: .utf8)
            text = text.replacingOccurrences(
                of: #""sources": {}"#,
                with: #""sources": {"bitso": {"provider": "bitso", "token": "env:W", "api": \#(standIn.apiJSON("bitso"))}}"#
            )
            try text.write(toFile: setup.routes, atomically: true, encoding: .utf8)
            var environment = setup.environment.merging(standIn.environment) { _, new in new }
            environment["W"] = "t"

            var published: [[String]] = []
            for run in 1...2 {
                let result = try CLI.run(["replay", "confirm", "--since", "1h", "--config", setup.routes], environment: environment)
                #expect(result.status == 0, "run \(run): \(result.stderr)")
                #expect(result.stdout.contains("confirmed 3"), "run \(run): \(result.stdout)")
                let messages = try await ReconcileCommandTests.ids(on: "\(setup.topic).confirmed", broker: setup.broker)
                #expect(messages.count == 3 * run, "run \(run): \(messages.map(\.id))")
                published.append(messages.map(\.id).sorted())
            }
            let ids = Set(published[0])
            #expect(ids.count == 3)
            #expect(Set(published[1]) == ids, "the second run re-publishes the same ids, nothing new")

            for run in 1...2 {
                let result = try CLI.run(["replay", "index", "--since", "1h", "--config", setup.routes], environment: environment)
                #expect(result.status == 0, "run \(run): \(result.stderr)")
                #expect(result.stdout.contains("replayed 6 of 6"), "run \(run): \(result.stdout)")
            }
            let found = try CLI.run(["events", "--config", setup.routes, "--json"], environment: environment)
            let value = try JSONParser.parse(Array(found.stdout.utf8))
            guard case .array(let items) = value else {
                Issue.record("events --json: \(found.stdout)")
                return
            }
            #expect(items.count == 6, "each event indexed once: \(found.stdout)")
            let trace = try CLI.run(["trace", "bitso:funding:f0:complete", "--config", setup.routes, "--json"], environment: environment)
            #expect(trace.status == 0, "\(trace.stderr)")
            let journey = try JSONParser.parse(Array(trace.stdout.utf8))
            #expect(journey["event"]?["subject"]?.stringValue == "f0", "\(trace.stdout)")
        }
    }

    @Test func anUnreachableIndexIsOneLineAndExitOne() async throws {
        let setup = try await Self.setUp(events: 0) { _ in
            #", "index": {"kind": "index", "topics": ["hookway.outcomes"], "database": "postgres://nobody@127.0.0.1:9/none?sslmode=disable"}"#
        }
        for arguments in [["trace", "x"], ["events"]] {
            let result = try CLI.run(arguments + ["--config", setup.routes], environment: setup.environment)
            #expect(result.status == 1, "\(arguments)")
            let lines = result.stderr.split(separator: "\n").filter { !$0.contains("warning:") }
            #expect(lines.count == 1 && lines[0].contains("cannot read the index"), "\(arguments): \(result.stderr)")
        }
    }
}
