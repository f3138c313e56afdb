import Foundation
import HookwayProviders
import HookwayRuntime
import Testing

@testable import HookwayCore

/// `Tests/Fixtures/routes`, found from this file so the tests run from any directory.
enum RoutesFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Config
        .deletingLastPathComponent()  // HookwayCoreTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("Fixtures/routes")

    static let repositoryRoutesFile =
        directory
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("routes.json").path

    static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    /// Every value contains this marker, and so does every literal secret and secret file in the
    /// fixtures: no problem text may ever contain it.
    static let secretMarker = "DO_NOT_PRINT"

    static let environment = [
        "HOOKWAY_TEST_SECRET": "env-secret-\(secretMarker)",
        "HOOKWAY_TEST_TOKEN": "env-token-\(secretMarker)",
    ]

    static func load(_ relative: String) -> RoutesConfigLoader.Result {
        RoutesConfigLoader.load(path: path(relative), environment: environment)
    }

    static func files(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { "\(folder)/\($0)" }
    }
}

/// One bad routes file and the problem it must produce.
struct BadRoutesCase: Sendable, CustomTestStringConvertible {
    var file: String
    var path: String
    var message: String
    var severity: ConfigProblem.Severity = .error

    var testDescription: String { file }
}

@Suite("routes.json validation")
struct RoutesValidationTests {
    static let badCases: [BadRoutesCase] = [
        .init(file: "01-unknown-key", path: "$.kafka.unroutedTopik", message: #"unknown key "unroutedTopik"; did you mean "unroutedTopic"?"#),
        .init(file: "02-wrong-type", path: "$.kafka.topics.partitions", message: "expected a whole number, found a string"),
        .init(file: "03-unknown-provider", path: "$.sources.bitnob.provider", message: #"unknown provider "bitnb""#),
        .init(file: "04-literal-secret", path: "$.sources.bitnob.secrets[0]", message: #"literal secret; use "env:NAME" or "file:PATH""#),
        .init(file: "05-bad-cidr", path: "$.sources.bitso.allowFrom[1]", message: #""10.0.0.0/33" is not a CIDR block"#),
        .init(file: "06-bad-glob", path: "$.routes[0].match.type[1]", message: #"bad glob "bitnob.[a-z]*""#),
        .init(file: "07-where-missing-operator", path: "$.routes[0].match.where[0]", message: "missing operator"),
        .init(file: "08-where-two-operators", path: "$.routes[0].match.where[0]", message: "more than one operator (gt, lt)"),
        .init(file: "09-non-decimal-operand", path: "$.routes[0].match.where[0].gte", message: #"not a decimal number: "ten thousand""#),
        .init(file: "10-empty-to", path: "$.routes[0].to", message: "empty; list at least one topic"),
        .init(file: "11-unknown-template-variable", path: "$.routes[0].to[0]", message: "unknown template variable {tenant}"),
        .init(file: "12-invalid-topic-name", path: "$.routes[0].to[0]", message: "not a valid Kafka topic name"),
        .init(
            file: "13-unproducible-sink-topic",
            path: "$.sinks.ledger.topics[0]",
            message: #"no route can ever produce "payments.refunds""#,
            severity: .warning
        ),
        .init(file: "14-duplicate-route-name", path: "$.routes[1].name", message: #"duplicate route name "all" (also $.routes[0])"#),
        .init(file: "15-bad-retry-attempts", path: "$.sinks.ledger.retry.attempts", message: "must be between 1 and 1000, found 0"),
        .init(file: "16-bad-retry-backoff", path: "$.sinks.ledger.retry.maxBackoffMs", message: "must be at least backoffMs (5000), found 100"),
        .init(file: "17-owned-enable-idempotence", path: #"$.kafka.producer["enable.idempotence"]"#, message: "owned by Hookway"),
        .init(file: "18-owned-acks", path: "$.kafka.producer.acks", message: #""acks" is owned by Hookway and cannot be overridden"#),
        .init(file: "19-owned-enable-auto-commit", path: #"$.kafka.consumer["enable.auto.commit"]"#, message: "owned by Hookway"),
        .init(file: "20-no-authentication", path: "$.sources.bitpowr", message: "no authentication"),
        .init(file: "21-signing-provider-without-secrets", path: "$.sources.bitnob.secrets", message: "bitnob signs every delivery"),
        .init(file: "22-unknown-sink-kind", path: "$.sinks.alerts.kind", message: #"unknown sink kind "slack""#),
        .init(file: "23-missing-env-var", path: "$.sources.bitnob.secrets[0]", message: "env:HOOKWAY_TEST_MISSING"),
        .init(file: "24-unreadable-secret-file", path: "$.sources.bitnob.secrets[0]", message: "cannot read file:../secrets/does-not-exist.secret"),
        .init(file: "25-empty-secret-file", path: "$.sources.bitnob.secrets[0]", message: "file:../secrets/empty.secret is empty"),
        .init(file: "26-routes-not-a-list", path: "$.routes", message: "expected a list of routes, found an object"),
        .init(file: "27-unsupported-version", path: "$.version", message: "unsupported version 2"),
        .init(file: "28-missing-version", path: "$.version", message: "missing"),
        .init(file: "29-not-json", path: "$", message: "not valid JSON"),
        .init(file: "30-unknown-top-level-key", path: "$.route", message: #"did you mean "routes"?"#),
        .init(file: "31-property-not-a-string", path: #"$.kafka.producer["linger.ms"]"#, message: #"librdkafka properties are strings; write "2""#),
        .init(file: "32-bad-unrouted-topic", path: "$.kafka.unroutedTopic", message: #""web hooks" is not a valid Kafka topic name"#),
        .init(file: "33-bad-source-name", path: #"$.sources["bit nob"]"#, message: "source names are used in URLs"),
        .init(file: "34-bad-sink-topic", path: "$.sinks.ledger.topics[0]", message: #""bad topic" is not a valid Kafka topic name"#),
        .init(file: "35-unclosed-template-brace", path: "$.routes[0].to[0]", message: "unclosed '{'"),
        .init(file: "36-missing-sources", path: "$.sources", message: "missing"),
        .init(file: "37-unknown-match-key", path: "$.routes[0].match.types", message: #"did you mean "type"?"#),
        .init(file: "38-exists-not-boolean", path: "$.routes[0].match.where[0].exists", message: "expected true or false, found a string"),
        .init(file: "39-duplicate-source", path: "$.sources.bitnob", message: "duplicate key"),
        .init(file: "40-not-a-pem-key", path: "$.sources.bitso.publicKeys.k1", message: "file:../secrets/not-a-key.txt is not a PEM public key"),
        .init(file: "41-route-without-name", path: "$.routes[0].name", message: "missing"),
        .init(file: "42-in-not-a-list", path: "$.routes[0].match.where[0].in", message: "expected a list, found a string"),
        .init(file: "43-sink-without-topics", path: "$.sinks.ledger.topics", message: "missing"),
        .init(file: "44-bad-spool-fsync", path: "$.spool.fsync", message: #"expected "always" or "batch", found "sometimes""#),
        .init(file: "45-where-missing-field", path: "$.routes[0].match.where[0].field", message: "missing"),
        .init(file: "46-literal-token", path: "$.sources.bitso.token", message: "literal secret"),
        .init(file: "47-secrets-not-a-list", path: "$.sources.bitnob.secrets", message: "expected a list"),
        .init(
            file: "48-unproducible-topic-dotted-sink-name",
            path: #"$.sinks["ops.email"].topics[0]"#,
            message: "no route can ever produce",
            severity: .warning
        ),
        .init(file: "49-gt-boolean-operand", path: "$.routes[0].match.where[0].gt", message: "not a decimal number: true"),
        .init(file: "50-limits-out-of-range", path: "$.limits.maxBodyBytes", message: "found 0"),
        .init(file: "51-rate-limit-zero", path: "$.sinks.ledger.rateLimit.perSecond", message: "must be a number from 0.001 to 100000"),
        .init(file: "52-breaker-ratio-above-one", path: "$.sinks.ledger.circuitBreaker.failureRatio", message: "at most 1"),
        .init(
            file: "53-breaker-opens-after-the-retries",
            path: "$.sinks.ledger.circuitBreaker.consecutiveFailures",
            message: "an event is dead-lettered before the circuit can open",
            severity: .warning
        ),
        .init(file: "54-concurrency-and-max-in-flight", path: "$.sinks.ledger.maxInFlight", message: "give one of them"),
    ]

    @Test func everyBadFixtureHasACase() {
        let files = Set(RoutesFixtures.files(in: "bad").map { ($0 as NSString).lastPathComponent })
        let covered = Set(Self.badCases.map { "\($0.file).json" } + ["many-problems.json"])
        #expect(files == covered)
    }

    /// Each bad file produces exactly its one problem, at its path, with the right severity.
    @Test(arguments: badCases)
    func badFileReportsItsProblem(_ c: BadRoutesCase) throws {
        let result = RoutesFixtures.load("bad/\(c.file).json")
        let problem = try #require(result.problems.first { $0.path == c.path }, "no problem at \(c.path); got \(result.problems)")
        #expect(problem.message.contains(c.message), "\(problem.message)")
        #expect(problem.severity == c.severity)
        #expect(result.problems.count == 1, "expected only \(c.path); got \(result.problems)")
        if c.severity == .error {
            #expect(result.config == nil)
            #expect(result.errors == [problem])
        } else {
            #expect(result.config != nil)
            #expect(result.errors.isEmpty)
            #expect(result.warnings == [problem])
            #expect(problem.description == "\(c.path): warning: \(problem.message)")
        }
    }

    @Test func everyProblemInOneFileIsReported() throws {
        let result = RoutesFixtures.load("bad/many-problems.json")
        #expect(result.config == nil)
        let expected: [(String, String)] = [
            ("$.kafak", #"did you mean "kafka"?"#),
            ("$.kafka.producer.acks", "owned by Hookway"),
            (#"$.kafka.consumer["enable.auto.commit"]"#, "owned by Hookway"),
            ("$.sources.bitnob.secrets[1]", "literal secret"),
            ("$.sources.acme.provider", #"unknown provider "acmepay""#),
            ("$.sources.bitso.allowFrom[1]", "not a CIDR block"),
            ("$.sources.bitpowr", "no authentication"),
            ("$.sources.koywe.secrets[0]", "env:HOOKWAY_TEST_MISSING"),
            ("$.routes[0].match.type", "bad glob"),
            ("$.routes[1].match.where[0]", "missing operator"),
            ("$.routes[2].match.where[0].gte", "not a decimal number"),
            ("$.routes[3].to", "empty"),
            ("$.routes[4].to[0]", "unknown template variable {tenant}"),
            ("$.routes[5].name", #"duplicate route name "a""#),
            ("$.routes[6].to[0]", "not a valid Kafka topic name"),
            ("$.sinks.s1.kind", #"unknown sink kind "sms""#),
            ("$.sinks.s2.retry.attempts", "found -1"),
            ("$.sinks.s3.sumject", #"did you mean "subject"?"#),
        ]
        for (path, message) in expected {
            let found = result.errors.contains { $0.path == path && $0.message.contains(message) }
            #expect(found, "missing \(path): …\(message)…")
        }
        #expect(result.errors.count >= expected.count)
        // Reported in document order, so a long report reads top to bottom.
        let order = expected.compactMap { e in result.problems.firstIndex { $0.path == e.0 } }
        #expect(order == order.sorted())
    }

    @Test func secretValuesNeverAppearInAnyProblem() {
        let files = RoutesFixtures.files(in: "bad") + RoutesFixtures.files(in: "good")
        #expect(files.count > 50)
        for file in files {
            for problem in RoutesFixtures.load(file).problems {
                #expect(!problem.description.contains(RoutesFixtures.secretMarker), "\(file): \(problem)")
                #expect(!problem.description.contains("whsec_"), "\(file): \(problem)")
            }
        }
    }

    @Test func resolvedSecretsDoNotPrintTheirValue() throws {
        let config = try #require(RoutesFixtures.load("good/every-option.json").config)
        let secret = try #require(config.sources["bitnob"]?.secrets.first)
        #expect("\(secret)" == "<secret env:HOOKWAY_TEST_SECRET>")
        #expect(String(reflecting: secret) == "<secret env:HOOKWAY_TEST_SECRET>")
        #expect(!"\(config.sources["bitnob"]!.secrets)".contains(RoutesFixtures.secretMarker))
    }

    // MARK: Did-you-mean

    @Test(arguments: [
        (
            #"{"version":1,"sources":{"b":{"provider":"bitso","tokn":"env:HOOKWAY_TEST_TOKEN","allowFrom":["10.0.0.0/8"]}}}"#, "$.sources.b.tokn",
            "token"
        ),
        (
            #"{"version":1,"sources":{"b":{"provider":"bitso","alowFrom":["10.0.0.0/8"],"token":"env:HOOKWAY_TEST_TOKEN"}}}"#, "$.sources.b.alowFrom",
            "allowFrom"
        ),
        (#"{"version":1,"sorces":{}}"#, "$.sorces", "sources"),
        (#"{"version":1,"sources":{"b":{"provider":"bitnbo","secrets":["env:HOOKWAY_TEST_SECRET"]}}}"#, "$.sources.b.provider", "bitnob"),
        (#"{"version":1,"sources":{"b":{"provider":"Bitso","token":"env:HOOKWAY_TEST_TOKEN"}}}"#, "$.sources.b.provider", "bitso"),
        (#"{"version":1,"kafka":{"topics":{"partition":3}},"sources":{}}"#, "$.kafka.topics.partition", "partitions"),
        (#"{"version":1,"sources":{},"sinks":{"s":{"kind":"crm","topics":["x"],"retri":{}}}}"#, "$.sinks.s.retri", "retry"),
        (#"{"version":1,"sources":{},"sinks":{"s":{"kind":"crm","topics":["x"],"retyr":{}}}}"#, "$.sinks.s.retyr", "retry"),
        (#"{"version":1,"sources":{},"kafak":{}}"#, "$.kafak", "kafka"),
    ])
    func didYouMean(text: String, path: String, suggestion: String) throws {
        let result = RoutesConfigLoader.parse(Array(text.utf8), environment: RoutesFixtures.environment)
        let problem = try #require(result.problems.first { $0.path == path }, "\(result.problems)")
        #expect(problem.message.hasSuffix("did you mean \"\(suggestion)\"?"), "\(problem.message)")
    }

    @Test(arguments: [
        ("kafka", "kafka", 0), ("kafak", "kafka", 1), ("retyr", "retry", 1), ("ab", "ba", 1), ("abc", "ca", 3),
        ("", "abc", 3), ("sources", "", 7), ("sinks", "sources", 5), ("provder", "provider", 1), ("kitten", "sitting", 3),
    ])
    func editDistance(a: String, b: String, expected: Int) {
        #expect(ConfigReader.editDistance(a, b) == expected)
        #expect(ConfigReader.editDistance(b, a) == expected)
    }

    @Test func noSuggestionForAFarOffKey() throws {
        let result = RoutesConfigLoader.parse(Array(#"{"version":1,"sources":{},"xyzzy":1}"#.utf8), environment: [:])
        let problem = try #require(result.problems.first { $0.path == "$.xyzzy" })
        #expect(problem.message == #"unknown key "xyzzy""#)
    }

    // MARK: Good files

    @Test(arguments: RoutesFixtures.files(in: "good"))
    func goodFileValidates(file: String) {
        let result = RoutesFixtures.load(file)
        #expect(result.problems.isEmpty, "\(result.problems)")
        #expect(result.config != nil)
    }

    @Test func theRepositoryRoutesFileValidates() throws {
        let environment = [
            "BITCAPITAL_WEBHOOK_SECRET", "BITPOWR_WEBHOOK_SECRET", "BITSO_WEBHOOK_TOKEN", "KOYWE_WEBHOOK_SECRET",
            "KOYWE_VALIDATION_TOKEN", "BITNOB_WEBHOOK_SECRET", "ACME_WEBHOOK_SECRET", "CRM_TOKEN", "BITSO_API_KEY", "BITSO_API_SECRET",
        ].reduce(into: [String: String]()) { $0[$1] = "dummy-\($1.lowercased())" }
        let result = RoutesConfigLoader.load(path: RoutesFixtures.repositoryRoutesFile, environment: environment)
        #expect(result.errors.isEmpty, "\(result.errors)")
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        let config = try #require(result.config)
        #expect(config.sourceNames == ["bitcapital", "bitpowr", "bitso", "koywe", "bitnob", "acme"])
        #expect(config.summary == "6 sources, 4 routes, 5 sinks")
        #expect(config.sources["bitnob"]?.secrets.first?.stringValue == "dummy-bitnob_webhook_secret")
    }

    @Test func theRepositoryRoutesFileNamesEveryVariableItNeeds() {
        let result = RoutesConfigLoader.load(path: RoutesFixtures.repositoryRoutesFile, environment: [:])
        #expect(result.config == nil)
        #expect(result.errors.count == 10)
        #expect(result.errors.allSatisfy { $0.message.contains("is not set") })
    }

    @Test func everyOptionIsRead() throws {
        let config = try #require(RoutesFixtures.load("good/every-option.json").config)
        #expect(config.kafka.brokers == "kafka-1:9092,kafka-2:9092")
        #expect(config.kafka.partitions == 12)
        #expect(config.kafka.replicationFactor == 3)
        #expect(config.kafka.autoCreate == false)
        #expect(config.kafka.producer == ["linger.ms": "5", "compression.type": "zstd"])
        #expect(config.kafka.consumer == ["session.timeout.ms": "10000"])
        #expect(config.kafka.ackTimeoutMs == 2500)
        #expect(config.limits.maxBodyBytes == 65536)
        #expect(config.limits.readTimeoutMs == 5000)
        #expect(config.limits.shutdownTimeoutMs == 0)
        #expect(config.spool.enabled)
        #expect(config.spool.path == "/var/lib/hookway/spool")
        #expect(config.spool.fsync == .batch)

        let bitcapital = try #require(config.sources["bitcapital"])
        #expect(bitcapital.secrets.map(\.stringValue) == ["env-secret-DO_NOT_PRINT", "file-secret-DO_NOT_PRINT"])  // newline trimmed
        #expect(bitcapital.secrets.map(\.reference) == ["env:HOOKWAY_TEST_SECRET", "file:../secrets/bitnob.secret"])
        #expect(bitcapital.options(as: BitCapitalOptions.self)?.signedPath == "/hooks/bitcapital")
        #expect(bitcapital.toleranceSeconds == 600)
        #expect(bitcapital.ackTimeoutMs == 1000)
        #expect(bitcapital.trustTraceContext)
        #expect(config.sources["bitso"]?.trustTraceContext == false)  // off unless asked

        let bitso = try #require(config.sources["bitso"])
        #expect(bitso.token?.stringValue == "crlf-secret-DO_NOT_PRINT")  // CRLF trimmed
        #expect(bitso.options(as: BitsoOptions.self)?.publicKeys["key-2024"]?.hasPrefix("-----BEGIN PUBLIC KEY-----") == true)

        let ip = try #require(config.sources["bitpowr-ip"])
        #expect(ip.allowFrom.map(\.description) == ["192.0.2.0/24", "2001:db8:0:0:0:0:0:0/32", "10.0.0.0/8", "203.0.113.7/32"])

        let koywe = try #require(config.sources["koywe"]?.options(as: KoyweOptions.self)?.validation)
        #expect(koywe.bearer?.stringValue == "env-token-DO_NOT_PRINT")
        #expect(koywe.allowEmails == ["alice@example.com", "*@trusted.example"])
        #expect(koywe.allows(" ALICE@example.com "))
        #expect(koywe.allows("bob@trusted.example"))
        #expect(!koywe.allows("@trusted.example"))
        #expect(!koywe.allows("bob@untrusted.example"))
        #expect(config.sources["koywe_list"]?.options(as: KoyweOptions.self)?.validation?.allowEmails == ["ops@example.com", "*@example.org"])

        let acme = try #require(config.sources["acme"])
        #expect(acme.provider == "standardwebhooks")
        let acmeOptions = try #require(acme.options(as: StandardWebhooksOptions.self))
        #expect(acmeOptions.eventField == "event_type")
        #expect(acmeOptions.fields["entityId"] == "data.id")
        #expect(acmeOptions.fields.count == 7)

        #expect(config.routes.map(\.name) == ["all", "every-operator", "string-forms", "sanitized"])
        #expect(config.routes[1].conditions.map(\.op) == [.eq, .ne, .in, .gt, .gte, .lt, .lte, .exists])
        #expect(config.routes[1].conditions[2].operand == .list(["BTC", "USDT", "1", "true"]))
        #expect(config.routes[2].topics.map(\.text) == ["payments.deposits"])

        let email = try #require(config.sinks["ops-email"])
        #expect(email.kind == .email)
        #expect(email.group == "ops-email-group")
        #expect(email.deadLetterTopic == "dlq.ops-email")
        #expect(email.maxInFlight == 4)
        var expectedRetry = RetryPolicy()
        expectedRetry.attempts = 3
        expectedRetry.backoffMs = 100
        expectedRetry.maxBackoffMs = 100
        #expect(email.retry == expectedRetry)
        #expect(email.rateLimit == SinkRateLimit(perSecond: 2.5, burst: 5))
        var expectedBreaker = CircuitBreakerSettings()
        expectedBreaker.consecutiveFailures = 3
        expectedBreaker.failureRatio = 0.25
        expectedBreaker.minimumCalls = 40
        expectedBreaker.windowMs = 30_000
        expectedBreaker.probeIntervalMs = 15_000
        #expect(email.circuitBreaker == expectedBreaker)
        let crm = try #require(config.sinks["crm"])
        #expect(crm.topics == ["types.bitcapital.user.ready"])
        #expect(crm.group == "hookway.sink.crm")
        #expect(crm.deadLetterTopic == "webhooks.dlq.crm")
        #expect(crm.retry == RetryPolicy())
        #expect(config.sinkNames == ["ops-email", "crm", "ledger"])
    }

    @Test func fileReferencesResolveAgainstTheRoutesFileDirectory() {
        let text = Array(#"{"version":1,"sources":{"b":{"provider":"bitnob","secrets":["file:secrets/bitnob.secret"]}}}"#.utf8)
        #expect(RoutesConfigLoader.parse(text, baseDirectory: RoutesFixtures.directory.path, environment: [:]).errors.isEmpty)
        let elsewhere = RoutesConfigLoader.parse(text, baseDirectory: "/nonexistent", environment: [:])
        #expect(elsewhere.errors.map(\.path) == ["$.sources.b.secrets[0]"])
        let absolute = Array(
            #"{"version":1,"sources":{"b":{"provider":"bitnob","secrets":["file:\#(RoutesFixtures.path("secrets/bitnob.secret"))"]}}}"#.utf8
        )
        #expect(RoutesConfigLoader.parse(absolute, baseDirectory: "/nonexistent", environment: [:]).errors.isEmpty)
    }

    @Test func aMissingFileIsOneProblem() {
        let result = RoutesConfigLoader.load(path: "/nonexistent/routes.json", environment: [:])
        #expect(result.config == nil)
        #expect(result.problems == [ConfigProblem("$", "cannot read /nonexistent/routes.json")])
    }

    @Test func problemDescriptionIsPathThenSentence() {
        #expect(
            ConfigProblem("$.sources.bitnob.secrets[0]", #"literal secret; use "env:NAME" or "file:PATH""#).description
                == #"$.sources.bitnob.secrets[0]: literal secret; use "env:NAME" or "file:PATH""#
        )
    }

    @Test(arguments: [
        ("env:NAME", SecretReference.environment("NAME") as SecretReference?),
        ("file:/run/secrets/x", .file("/run/secrets/x")),
        ("file:rel/x", .file("rel/x")),
        ("env:", nil), ("file:", nil), ("literal", nil), ("ENV:NAME", nil), ("", nil),
    ])
    func secretReferences(text: String, expected: SecretReference?) {
        #expect(SecretReference(text) == expected)
        if let expected { #expect(expected.text == text) }
    }
}
