import Foundation
import HookwayCore
import HookwayTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The product as an operator runs it: a broker, `hookway serve`, `hookway simulate` for every
/// listed event, `hookway consume` with the ledger, email (outbox) and CRM sinks, a consumer
/// killed mid-batch, and `hookway dlq replay`.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct EndToEndTests {
    struct Stack {
        let broker: TansuBroker
        let dir: String
        let port: Int
        let crmPort: Int
        let serve: Process
        let crm: Process
        /// The provider API stand-in (`make run`'s), for the confirm sink.
        let api: Process
        var env: [String: String]
        var config: String { dir + "/routes.json" }
        var url: String { "http://127.0.0.1:\(port)" }

        func stop() {
            // SIGKILL: a signal the test process ignores is ignored by its children too.
            for p in [serve, crm, api] where p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                p.waitUntilExit()
            }
            broker.stop()
        }
    }

    /// The ledger databases the kill test runs against: SQLite, and PostgreSQL when enabled.
    static var ledgerDatabases: [String] { TestPostgres.serverURL == nil ? ["sqlite"] : ["sqlite", "postgres"] }

    /// `environment`: more variables for every process of the stack (the tracing tests' OTEL_*).
    /// `editRoutes`: a last change to the routes file's text.
    static func startStack(
        ledger: String = "sqlite",
        environment: [String: String] = [:],
        editRoutes: (String) -> String = { $0 }
    ) async throws -> Stack {
        let broker = try await TansuBroker.start()
        let dir = NSTemporaryDirectory() + "hookway-e2e-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let port = try TansuBroker.unusedPort()
        let crmPort = try TansuBroker.unusedPort()
        // The repository's routes.json, pointed at this test's broker and CRM, sinks quick to retry.
        var text = try String(contentsOf: CLI.root.appendingPathComponent("routes.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"file:config/", with: "\"file:\(CLI.root.path)/config/")
        text = text.replacingOccurrences(of: "http://127.0.0.1:8090/crm/contacts", with: "http://127.0.0.1:\(crmPort)/crm/contacts")
        let apiPort = try TansuBroker.unusedPort()
        text = text.replacingOccurrences(of: "http://127.0.0.1:8091/", with: "http://127.0.0.1:\(apiPort)/")
        text = text.replacingOccurrences(
            of: #""attempts": 8, "backoffMs": 1000, "maxBackoffMs": 60000"#,
            with: #""attempts": 3, "backoffMs": 100, "maxBackoffMs": 500"#
        )
        if ledger == "postgres" {
            text = text.replacingOccurrences(
                of: #""database": "sqlite:var/ledger.sqlite""#,
                with: #""database": "\#(try TestPostgres.freshDatabase())""#
            )
        }
        try editRoutes(text).write(toFile: dir + "/routes.json", atomically: true, encoding: .utf8)
        var env = CLI.devEnvironment.merging(environment) { $1 }
        env["HOOKWAY_BROKERS"] = broker.bootstrapServers
        let crm = try CLI.startCRMEcho(log: dir + "/crm-requests.log", port: crmPort)
        let api = Process()
        api.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        api.arguments = [
            "python3", CLI.root.appendingPathComponent("scripts/standin/provider_api.py").path, "--port", "\(apiPort)",
            "--credentials", CLI.root.appendingPathComponent("config/dev/standin-api.json").path,
            "--seed", CLI.root.appendingPathComponent("config/dev/standin-entities.json").path,
        ]
        api.environment = env
        api.standardOutput = FileHandle.nullDevice
        api.standardError = FileHandle.nullDevice
        try api.run()
        let serve = try CLI.start(
            ["serve", "--config", dir + "/routes.json", "--host", "127.0.0.1", "--port", "\(port)"],
            environment: env,
            log: dir + "/serve.log"
        )
        for _ in 0..<100 where !Self.accepts(port) { try await Task.sleep(for: .milliseconds(100)) }
        return Stack(broker: broker, dir: dir, port: port, crmPort: crmPort, serve: serve, crm: crm, api: api, env: env)
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    @Test func everyListedEventIsAcceptedAndTheSinksDeliver() async throws {
        let stack = try await Self.startStack()
        defer { stack.stop() }
        let list = try CLI.run(["simulate", "--list", "--config", stack.config], environment: stack.env)
        #expect(list.status == 0)
        let pairs = list.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { $0.count == 2 }
        #expect(pairs.count >= 70, "\(list.stdout)")
        // Four `hookway simulate` processes at a time (each is a process start and one request).
        var environment = stack.env
        environment["HW_BIN"] = CLI.binary
        environment["HW_CONFIG"] = stack.config
        environment["HW_URL"] = stack.url
        environment["HW_PAIRS"] = pairs.map { "\($0[0]) \($0[1])" }.joined(separator: "\n")
        let simulated = try CLI.run(
            [
                "-c",
                #"printf '%s\n' "$HW_PAIRS" | xargs -P 4 -n 2 sh -c 'out=$("$HW_BIN" simulate "$0" "$1" --config "$HW_CONFIG" --url "$HW_URL" 2>&1 | head -c 300 | tr "\n" " "); printf "%s %s %s\n" "$0" "$1" "$out"'"#,
            ],
            environment: environment,
            shell: true
        )
        let answers = simulated.stdout.split(separator: "\n")
        #expect(answers.count == pairs.count, "\(simulated.stdout)\(simulated.stderr)")
        for answer in answers {
            let fields = answer.split(separator: " ", maxSplits: 2)
            #expect(fields.count == 3 && fields[2].hasPrefix("200 "), "\(answer)")
        }
        let tampered = try CLI.run(
            ["simulate", "bitnob", "payout.transfer.success", "--tamper", "--config", stack.config, "--url", stack.url],
            environment: stack.env
        )
        #expect(tampered.status == 1)
        #expect(tampered.stdout.hasPrefix("401 "))

        // A large Bitso withdrawal (signed, and with the URL token) for the alert e-mail.
        let payload =
            #"{"wid":"w-large-1","status":"complete","amount":"15000.00","currency":"mxn","method":"sp","details":{"clave_rastreo":"TRK1"}}"#
        let withdrawal = try await Self.postBitsoWithdrawal(stack, payload: payload)
        #expect(withdrawal.hasPrefix("200"), "\(withdrawal)")

        let metricsPort = try TansuBroker.unusedPort()
        let consume = try CLI.start(
            ["consume", "--config", stack.config, "--metrics-port", "\(metricsPort)"],
            environment: stack.env,
            log: stack.dir + "/consume.log"
        )
        defer { CLI.kill(consume) }
        let outbox = stack.dir + "/var/outbox"
        let deadline = ContinuousClock.now + .seconds(60)
        var emails: [String] = []
        var crmLines: [Substring] = []
        var balances = ""
        while ContinuousClock.now < deadline {
            emails = ((try? FileManager.default.contentsOfDirectory(atPath: outbox)) ?? []).filter { $0.hasSuffix(".eml") }
            crmLines = ((try? String(contentsOfFile: stack.dir + "/crm-requests.log", encoding: .utf8)) ?? "").split(separator: "\n")
            balances = (try? CLI.run(["ledger", "balances", "--config", stack.config], environment: stack.env).stdout) ?? ""
            if !emails.isEmpty, !crmLines.isEmpty, balances.contains("assets:bitnob:BTC") { break }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(!emails.isEmpty, "no alert e-mail in \(outbox)")
        if let first = emails.first {
            let eml = try String(contentsOfFile: outbox + "/" + first, encoding: .utf8)
            #expect(eml.contains("15000.00"))
            #expect(eml.contains("Message-ID:"))
        }
        #expect(crmLines.contains { $0.contains("\"idempotencyKey\": \"bitcapital:user:") }, "\(crmLines)")
        #expect(balances.contains("assets:bitnob:BTC"), "\(balances)")
        #expect(balances.contains("assets:bitso:mxn"), "\(balances)")

        // The journey of a Bitso funding the provider API stand-in knows: found by `events`,
        // traced received → ledger booked → confirm matched (issue 32's "where is this deposit?").
        let known = try CLI.run(
            ["simulate", "bitso", "funding.complete", "--entity-id", "demo-funding-1", "--config", stack.config, "--url", stack.url],
            environment: stack.env
        )
        #expect(known.stdout.hasPrefix("200 "), "\(known.stdout)\(known.stderr)")
        var trace = ""
        var found = ""
        do {
            try await eventually(
                "the funding's journey to reach the ledger and the confirm sink",
                timeout: .seconds(60),
                interval: .milliseconds(500)
            ) {
                found = (try? CLI.run(["events", "--config", stack.config, "--subject", "demo-funding-1"], environment: stack.env).stdout) ?? ""
                trace =
                    (try? CLI.run(["trace", "bitso:funding:demo-funding-1:complete", "--config", stack.config], environment: stack.env).stdout) ?? ""
                return trace.contains("booked") && trace.contains("matched")
            }
        } catch {
            Issue.record("\(error)\n\(found)\n\(trace)")
        }
        let journey = trace.split(separator: "\n").map(String.init)
        #expect(found.contains("bitso:funding:demo-funding-1:complete"), "\(found)")
        #expect(journey.first?.contains("bitso.funding.complete") == true, "\(trace)")
        #expect(journey.contains { $0.contains("ingress") && $0.contains("received") && $0.contains("payments.deposits[") }, "\(trace)")
        #expect(journey.contains { $0.contains("ledger") && $0.contains("booked") }, "\(trace)")
        #expect(journey.contains { $0.contains("confirm-deposits") && $0.contains("confirmed") && $0.contains("matched") }, "\(trace)")
        let unknown = try CLI.run(["trace", "bitso:funding:nope", "--config", stack.config], environment: stack.env)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("the index has no event"), "\(unknown.stderr)")
        let badWhere = try CLI.run(["events", "--config", stack.config, "--where", "amount > 5"], environment: stack.env)
        #expect(badWhere.status == 1)
        #expect(badWhere.stderr.contains("--where does not parse"), "\(badWhere.stderr)")

        // The sinks' metrics: deliveries counted per sink, consumer lag reported (within ~5 s).
        var exposition = ""
        let metricsDeadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < metricsDeadline {
            exposition = (try? await Self.get(port: metricsPort, path: "/metrics")) ?? ""
            if exposition.contains("hookway_sink_consumer_lag{sink=\"ledger\",topic=\"payments.deposits\"}") { break }
            try await Task.sleep(for: .seconds(1))
        }
        let deliveredLine = exposition.split(separator: "\n").first { $0.hasPrefix("hookway_sink_delivered_total{sink=\"ledger\"}") }
        let delivered: Double = deliveredLine.flatMap { $0.split(separator: " ").last }.flatMap { Double(String($0)) } ?? 0
        #expect(delivered > 0, "\(exposition)")
        #expect(exposition.contains("hookway_sink_consumer_lag{sink=\"ledger\",topic=\"payments.deposits\"}"), "\(exposition)")

        // `tail` prints one readable line per event.
        let tail = try CLI.run(["tail", "payments.deposits", "--from-beginning", "--limit", "1", "--type", "bitso.*"], environment: stack.env)
        #expect(tail.status == 0, "\(tail.stderr)")
        let lines = tail.stdout.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.contains("bitso.funding.complete") && $0.contains("mxn") && $0.contains("complete") }, "\(tail.stdout)")
        let json = try CLI.run(["tail", "webhooks.unrouted", "crm.users", "--from-beginning", "--limit", "1", "--json"], environment: stack.env)
        #expect(json.stdout.contains("\"specversion\":\"1.0\""), "\(json.stdout)")
    }

    @Test(arguments: ledgerDatabases)
    func consumerKilledMidBatchBooksEverythingExactlyOnce(_ ledger: String) async throws {
        let stack = try await Self.startStack(ledger: ledger)
        defer { stack.stop() }
        // 300 deposits of 0.01 BTC each.
        for i in 0..<300 {
            let body =
                #"{"event":"btc.lightning.received.success","data":{"id":"dep-\#(i)","amount":"0.01","currency":"BTC","status":"success","customerEmail":"kill@example.com"}}"#
            let answer = try await Self.post(stack, path: "/webhooks/bitnob", body: body, bitnob: true)
            #expect(answer.hasPrefix("200"), "\(answer)")
        }
        var consume = try CLI.start(
            ["consume", "--config", stack.config, "--sink", "ledger"],
            environment: stack.env,
            log: stack.dir + "/consume1.log"
        )
        // Kill it as soon as some (not all) are booked.
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let b = (try? CLI.run(["ledger", "balances", "--config", stack.config, "--json"], environment: stack.env).stdout) ?? ""
            if b.contains("kill@example.com") { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        kill(consume.processIdentifier, SIGKILL)
        consume.waitUntilExit()
        consume = try CLI.start(["consume", "--config", stack.config, "--sink", "ledger"], environment: stack.env, log: stack.dir + "/consume2.log")
        defer { CLI.kill(consume) }
        var balance = ""
        let deadline2 = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline2 {
            let b = try CLI.run(
                ["ledger", "balances", "--config", stack.config, "--account", "liabilities:customers:kill@example.com"],
                environment: stack.env
            ).stdout
            balance = b
            if b.contains("-3.00") { break }
            try await Task.sleep(for: .seconds(1))
        }
        // 300 × 0.01 = 3.00 exactly: nothing lost, nothing booked twice.
        #expect(balance.contains("-3.00"), "\(balance)")
        try await Task.sleep(for: .seconds(3))
        let again = try CLI.run(
            ["ledger", "balances", "--config", stack.config, "--account", "liabilities:customers:kill@example.com"],
            environment: stack.env
        ).stdout
        #expect(again.contains("-3.00"), "\(again)")
    }

    @Test func deadLettersAreReplayed() async throws {
        let stack = try await Self.startStack()
        defer { stack.stop() }
        // No customerEmail: the posting rule's account template cannot render → permanent → DLQ.
        let body = #"{"event":"btc.lightning.received.success","data":{"id":"dlq-1","amount":"0.5","currency":"BTC","status":"success"}}"#
        #expect(try await Self.post(stack, path: "/webhooks/bitnob", body: body, bitnob: true).hasPrefix("200"))
        let consume = try CLI.start(
            ["consume", "--config", stack.config, "--sink", "ledger"],
            environment: stack.env,
            log: stack.dir + "/consume.log"
        )
        defer { CLI.kill(consume) }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: stack.dir + "/consume.log", encoding: .utf8)) ?? ""
            if log.contains("dead-lettering") { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        // "dead-lettering" is logged before the dead-letter write; give the write time to be
        // acknowledged. Then stop the sink: while it runs, a replayed letter that still fails
        // goes straight back.
        try await Task.sleep(for: .seconds(3))
        kill(consume.processIdentifier, SIGKILL)
        consume.waitUntilExit()
        let dry = try CLI.run(["dlq", "replay", "ledger", "--config", stack.config, "--dry-run", "--idle-seconds", "12"], environment: stack.env)
        #expect(dry.stdout.contains("1 dead letters would be replayed"), "\(dry.stdout)\(dry.stderr)")
        let replay = try CLI.run(["dlq", "replay", "ledger", "--config", stack.config, "--idle-seconds", "12"], environment: stack.env)
        #expect(replay.status == 0)
        #expect(replay.stdout.contains("replayed 1 dead letters"), "\(replay.stdout)\(replay.stderr)")
    }

    /// POSTs a body with curl (signed for Bitnob when asked); returns "STATUS BODY".
    /// GET with curl: the response body ("" when nothing answers).
    static func get(port: Int, path: String) async throws -> String {
        try CLI.run(["-s", "http://127.0.0.1:\(port)\(path)"], environment: ProcessInfo.processInfo.environment, executable: "/usr/bin/curl").stdout
    }

    /// A Bitso withdrawal webhook carrying `payload`, signed and with the URL token.
    static func postBitsoWithdrawal(_ stack: Stack, payload: String, headers: [String] = []) async throws -> String {
        try await post(
            stack,
            path: "/webhooks/bitso/t0k3n",
            body: #"{"event":"withdrawal","payload":\#(payload)}"#,
            bitsoPayload: payload,
            headers: headers
        )
    }

    /// `bitsoPayload`: the compact `payload` member of `body`, which the development RSA key
    /// (config/dev/bitso-signing-key.pem) signs as Bitso would.
    static func post(
        _ stack: Stack,
        path: String,
        body: String,
        bitnob: Bool = false,
        bitsoPayload: String? = nil,
        headers: [String] = []
    ) async throws -> String {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body]
        for header in headers { args += ["-H", header] }
        if let bitsoPayload {
            let key = CLI.root.appendingPathComponent("config/dev/bitso-signing-key.pem").path
            let sig = try CLI.run(
                ["-c", "printf '%s' \"$BODY\" | openssl dgst -sha256 -sign \"$KEY\" | base64 -w0"],
                environment: ["BODY": bitsoPayload, "KEY": key, "PATH": "/usr/bin:/bin"],
                shell: true
            ).stdout
            args += ["-H", "x-bitso-webhook-event-signature: \(sig)", "-H", "x-bitso-key-id: dev-2026-12"]
        }
        if bitnob {
            let sig = try CLI.run(
                ["-c", "printf '%s' \"$BODY\" | openssl dgst -sha512 -hmac bitnob_test_secret -hex | sed 's/^.*= //'"],
                environment: ["BODY": body, "PATH": "/usr/bin:/bin"],
                shell: true
            ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            args += ["-H", "x-bitnob-signature: \(sig)"]
        }
        args.append(stack.url + path)
        let result = try CLI.run(args, environment: ProcessInfo.processInfo.environment, executable: "/usr/bin/curl")
        let parts = result.stdout.split(separator: "\n")
        return "\(parts.last ?? "") \(parts.dropLast().joined(separator: "\n"))"
    }
}
