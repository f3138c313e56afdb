import AsyncHTTPClient
import Foundation
import HookwayCore
import HookwayIngress
import HookwayKafka
import HookwayRuntime
import HookwayTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import ServiceLifecycle

/// Runs a real `hookway serve` (in process) against a real Tansu broker, with a routes file on
/// disk so hot reload can be exercised.
final class IngressHarness: Sendable {
    let bootstrapServers: String
    let configPath: String
    let port: Int
    let server: IngressServer
    let group: ServiceGroup
    let runTask: Task<Void, any Error>
    /// One client for every test in the process: a large pool, because suites run in parallel
    /// and some cases hold a connection for seconds (slow bodies, outages).
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// The development secrets the test routes refer to.
    static let environment: [String: String] = [
        "BITCAPITAL_WEBHOOK_SECRET": "bc_test_secret",
        "BITPOWR_WEBHOOK_SECRET": "bitpowr-secret-123",
        "BITSO_WEBHOOK_TOKEN": "t0k3n",
        "KOYWE_WEBHOOK_SECRET": "koywe_test_secret",
        "KOYWE_VALIDATION_TOKEN": "validation-token",
        "BITNOB_WEBHOOK_SECRET": "bitnob_test_secret",
        "ACME_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ]

    /// Routes every source of the repository's kinds to `topic` (plus `{provider}` fan-out).
    static func routes(topic: String, extraSources: String = "", ackTimeoutMs: Int = 10000, maxBodyBytes: Int = 65536) -> String {
        """
        {
          "version": 1,
          "kafka": { "topics": { "partitions": 1, "replicationFactor": 1, "autoCreate": true },
                     "unroutedTopic": "\(topic).unrouted", "ackTimeoutMs": \(ackTimeoutMs) },
          "limits": { "maxBodyBytes": \(maxBodyBytes), "readTimeoutMs": 2000 },
          "sources": {
            "bitcapital": { "provider": "bitcapital", "secrets": ["env:BITCAPITAL_WEBHOOK_SECRET"] },
            "bitpowr": { "provider": "bitpowr", "secrets": ["env:BITPOWR_WEBHOOK_SECRET"] },
            "bitso": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN" },
            "koywe": { "provider": "koywe", "secrets": ["env:KOYWE_WEBHOOK_SECRET"],
                       "validation": { "bearer": "env:KOYWE_VALIDATION_TOKEN", "allowEmails": ["*@example.com"] } },
            "bitnob": { "provider": "bitnob", "secrets": ["env:BITNOB_WEBHOOK_SECRET"] },
            "acme": { "provider": "standardwebhooks", "secrets": ["env:ACME_WEBHOOK_SECRET"] }\(extraSources)
          },
          "routes": [
            { "name": "all", "match": {}, "to": ["\(topic)"] },
            { "name": "per-provider", "match": { "source": "bitnob" }, "to": ["\(topic).{provider}"] }
          ]
        }
        """
    }

    static func start(routes: String, broker: TansuBroker? = nil, brokers: String? = nil, host: String = "127.0.0.1") async throws -> IngressHarness {
        let bootstrap: String
        if let brokers {
            bootstrap = brokers
        } else if let broker {
            bootstrap = broker.bootstrapServers
        } else {
            bootstrap = try await TansuBroker.shared().bootstrapServers
        }
        let dir = NSTemporaryDirectory() + "hookway-ingress-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/routes.json"
        try routes.write(toFile: path, atomically: true, encoding: .utf8)
        for (k, v) in environment { setenv(k, v, 1) }
        let result = RoutesConfigLoader.load(path: path)
        guard let config = result.config else { throw HarnessError(message: "routes invalid: \(result.problems)") }
        var logger = Logger(label: "test.ingress")
        logger.logLevel = .warning
        let server = try IngressServer(
            config: config,
            options: .init(configPath: path, host: host, port: 0, brokers: bootstrap),
            metrics: MetricsEndpoint.shared.render,
            logger: logger
        )
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        var services = server.makeServices { port in portContinuation.yield(port) }
        services.insert(ConfigWatcher(path: path, watching: config.referencedFiles, logger: logger) { server.apply($0) }, at: 0)
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        let task = Task { try await group.run() }
        var port = 0
        for await p in portStream {
            port = p
            break
        }
        server.publisher.markBrokerAnswered()
        return IngressHarness(bootstrapServers: bootstrap, configPath: path, port: port, server: server, group: group, runTask: task)
    }

    private init(bootstrapServers: String, configPath: String, port: Int, server: IngressServer, group: ServiceGroup, runTask: Task<Void, any Error>)
    {
        self.bootstrapServers = bootstrapServers
        self.configPath = configPath
        self.port = port
        self.server = server
        self.group = group
        self.runTask = runTask
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await runTask.value
    }

    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: String
        var json: JSONValue? { try? JSONParser.parse(Array(body.utf8)) }
        var errorCode: String? { json?.value(atPath: "error.code")?.stringValue }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    func send(
        _ path: String,
        method: HTTPMethod = .POST,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        host: String = "127.0.0.1"
    ) async throws -> Answer {
        try await IngressClient(port: port).send(path, method: method, headers: headers, body: body, host: host)
    }

    func consume(
        _ topics: [String],
        count: Int,
        timeout: Duration = .seconds(30),
        linger: Duration = .zero,
        until: (@Sendable ([KafkaMessage]) -> Bool)? = nil
    ) async throws -> [KafkaMessage] {
        try await KafkaReader(bootstrapServers: bootstrapServers).consume(topics, count: count, timeout: timeout, linger: linger, until: until)
    }

    static func reader(broker: TansuBroker) async throws -> KafkaReader { KafkaReader(bootstrapServers: broker.bootstrapServers) }
}

/// An HTTP client for an ingress on a loopback port.
struct IngressClient: Sendable {
    let port: Int

    func send(
        _ path: String,
        method: HTTPMethod = .POST,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        host: String = "127.0.0.1"
    ) async throws -> IngressHarness.Answer {
        var request = HTTPClientRequest(url: "http://\(host):\(port)\(path)")
        request.method = method
        for h in headers { request.headers.add(name: h.name, value: h.value) }
        if method == .POST || !body.isEmpty { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await IngressHarness.client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return IngressHarness.Answer(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: String(buffer: bytes)
        )
    }
}

/// Reads topics back for assertions.
struct KafkaReader: Sendable {
    let bootstrapServers: String

    /// Reads messages from `topics` (from the beginning) until `count` arrived (or `timeout`),
    /// then keeps listening for `linger` to catch any that should not be there.
    func consume(
        _ topics: [String],
        count: Int,
        timeout: Duration = .seconds(30),
        linger: Duration = .zero,
        until: (@Sendable ([KafkaMessage]) -> Bool)? = nil
    ) async throws -> [KafkaMessage] {
        var configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrapServers, groupID: "test-\(UUID().uuidString)", topics: topics)
        configuration.sessionTimeout = .seconds(6)
        // Tansu holds a fetch for the whole fetch.wait.max.ms even when data is ready.
        configuration.properties["fetch.wait.max.ms"] = "10"
        let consumer = try KafkaConsumer(configuration: configuration, logger: Logger(label: "test.consumer"))
        let box = NIOLockedValueBox<[KafkaMessage]>([])
        let reader = Task {
            for try await message in consumer { box.withLockedValue { $0.append(message) } }
        }
        let deadline = ContinuousClock.now + timeout
        while box.withLockedValue({ $0.count < count || !(until?($0) ?? true) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        if linger > .zero { try await Task.sleep(for: linger) }
        await consumer.close()
        reader.cancel()
        _ = try? await reader.value
        let messages = box.withLockedValue { $0 }
        guard messages.count >= count else { throw HarnessError(message: "got \(messages.count) of \(count) messages on \(topics) in \(timeout)") }
        return messages
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
