import Foundation
import HookwayCore
import HookwayKafka
import HookwayTesting
import Testing

@testable import HookwayIngress

/// Issue 16's rows of the fault matrix: faults beyond the broker. Each row sends signed
/// webhooks at a steady rate, injects the fault, and afterwards looks for every 200 in Kafka;
/// "lost" counts acknowledged events found neither in Kafka nor (for disk corruption) in the
/// spool's quarantine.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct DurabilityFaultTests {
    static func routes(topic: String, spoolPath: String, ackTimeoutMs: Int = 1000, maxBodyBytes: Int = 65536, autoCreate: Bool = true) -> String {
        var text = IngressHarness.routes(topic: topic, ackTimeoutMs: ackTimeoutMs, maxBodyBytes: maxBodyBytes)
            .replacingOccurrences(of: #""limits":"#, with: #""spool": { "path": "\#(spoolPath)", "maxBytes": 67108864 }, "limits":"#)
        if !autoCreate { text = text.replacingOccurrences(of: #""autoCreate": true"#, with: #""autoCreate": false"#) }
        return text
    }

    static func row(_ fault: String, _ load: LoadGenerator, found: Int, lost: Int, note: String = "") {
        FaultMatrixTests.row(fault, load, found: found, lost: lost, note: note)
    }

    static func temporaryDirectory(_ tag: String) throws -> String {
        let dir = NSTemporaryDirectory() + "hookway-\(tag)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func found(_ acknowledged: Set<String>, topic: String, reader: KafkaReader, timeout: Duration = .seconds(90)) async throws -> Set<String> {
        guard !acknowledged.isEmpty else { return [] }
        let messages = try await reader.consume([topic], count: acknowledged.count, timeout: timeout) {
            acknowledged.isSubset(of: FaultMatrixTests.foundIDs($0))
        }
        return FaultMatrixTests.foundIDs(messages)
    }

    /// Stops the load and looks for every acknowledged event in Kafka.
    static func settle(
        _ load: LoadGenerator,
        _ running: Task<Void, Never>,
        topic: String,
        broker: TansuBroker
    ) async throws -> (acknowledged: Set<String>, found: Set<String>, lost: Set<String>) {
        load.stop()
        await running.value
        let acknowledged = Set(load.acknowledgedIDs)
        let found = try await Self.found(acknowledged, topic: topic, reader: KafkaReader(bootstrapServers: broker.bootstrapServers))
        return (acknowledged, found, acknowledged.subtracting(found))
    }

    /// A Bitnob body whose CloudEvent cannot fit Kafka's `message.max.bytes`: the entity id is
    /// repeated in the event id, subject, key and headers (issue 16's poison record).
    static func poisonBody() -> [UInt8] {
        let id = String(repeating: "p", count: 150_000)
        return Array(
            #"{"event":"payout.transfer.success","data":{"id":"\#(id)","amount":"1.00","status":"success","pad":"\#(String(repeating: "x", count: 700_000))"}}"#
                .utf8
        )
    }

    /// A `hookway serve` process on its own spool and topic with load aimed at it.
    struct ServedIngress {
        let dir: String
        let topic: String
        let port: Int
        let load: LoadGenerator
        let server: ServeProcess

        static func start(
            _ tag: String,
            broker: TansuBroker,
            environment: [String: String] = [:],
            setUp: (String) throws -> [String: String] = { _ in [:] }
        ) throws -> ServedIngress {
            let dir = try DurabilityFaultTests.temporaryDirectory(tag)
            let topic = "t-\(UUID().uuidString.lowercased())"
            try DurabilityFaultTests.routes(topic: topic, spoolPath: dir + "/spool").write(
                toFile: dir + "/routes.json",
                atomically: true,
                encoding: .utf8
            )
            let port = try TansuBroker.unusedPort()
            let extra = try setUp(dir).merging(environment) { a, _ in a }
            let server = try ServeProcess.start(
                config: dir + "/routes.json",
                port: port,
                brokers: broker.bootstrapServers,
                log: dir + "/serve.log",
                environment: extra
            )
            let client = IngressClient(port: port)
            let load = LoadGenerator { body, signature in
                try await client.send("/webhooks/bitnob", headers: [("x-bitnob-signature", signature)], body: body)
            }
            return ServedIngress(dir: dir, topic: topic, port: port, load: load, server: server)
        }

        /// The same ingress started again on its spool (after a kill).
        func restarted(broker: TansuBroker, log: String) throws -> ServeProcess {
            try ServeProcess.start(config: dir + "/routes.json", port: port, brokers: broker.bootstrapServers, log: dir + "/" + log)
        }
    }

    // MARK: (e) spool disk full

    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
    func spoolDiskFull() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let dir = try Self.temporaryDirectory("full")
        #expect(try ShellCommand.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]).status == 0)
        defer { _ = try? ShellCommand.run("/bin/umount", ["-l", dir]) }
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: Self.routes(topic: topic, spoolPath: dir + "/spool"), broker: broker)
        let padding = String(repeating: "x", count: 20_000)
        let load = LoadGenerator(body: {
            Array(
                #"{"event":"payout.transfer.success","data":{"id":"\#(UUID().uuidString)","amount":"1.00","status":"success","pad":"\#(padding)"}}"#
                    .utf8
            )
        }) { body, signature in try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", signature)], body: body) }
        let running = load.start()
        try await load.waitFor(10, spooled: false)
        broker.pause()
        // ~40 KB events spool until the 2 MB disk is full and the spool answers 503.
        try await load.waitFor(20, status: 503)
        broker.resume()
        let resumed = ContinuousClock.now
        try await load.waitFor(10, spooled: false, since: resumed)
        let (acknowledged, found, lost) = try await Self.settle(load, running, topic: topic, broker: broker)
        Self.row("(e) spool on a full 2 MB disk", load, found: acknowledged.intersection(found).count, lost: lost.count)
        await ingress.stop()
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
        #expect(load.summary.unavailable > 0, "a full disk is answered 503")
        #expect(load.summary.spooled > 0)
    }

    // MARK: (f) fsync EIO

    static func buildFsyncShim(in dir: String) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/faults/fsync-eio.c").path
        let output = dir + "/fsync-eio.so"
        let result = try ShellCommand.run("/usr/bin/cc", ["-shared", "-fPIC", "-o", output, source, "-ldl"])
        guard result.status == 0 else { throw HarnessError(message: "cc: \(result.output)") }
        return output
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "needs a C compiler for the LD_PRELOAD shim"))
    func fsyncFailsWithEIO() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let ingress = try ServedIngress.start("eio", broker: broker) { dir in
            ["LD_PRELOAD": try Self.buildFsyncShim(in: dir), "HOOKWAY_FAIL_FSYNC_FLAG": dir + "/fail-fsync"]
        }
        let (flag, topic, load, server) = (ingress.dir + "/fail-fsync", ingress.topic, ingress.load, ingress.server)
        let client = IngressClient(port: ingress.port)
        defer { server.kill() }
        let running = load.start()
        try await load.waitFor(20, spooled: false)
        broker.pause()
        try await load.waitFor(20, spooled: true)  // spooled, fsync'ed: 200
        _ = FileManager.default.createFile(atPath: flag, contents: nil)
        let failingFrom = ContinuousClock.now
        try await load.waitFor(30, status: 503, since: failingFrom)
        let readyWhileFailing = try await client.send("/readyz", method: .GET)
        try FileManager.default.removeItem(atPath: flag)
        let failingUntil = ContinuousClock.now
        // fsync works again: spooled 200s resume.
        try await load.waitFor(10, spooled: true, since: failingUntil + .seconds(1))
        let recovered = ContinuousClock.now
        broker.resume()
        try await load.waitFor(10, spooled: false, since: recovered)
        let (acknowledged, found, lost) = try await Self.settle(load, running, topic: topic, broker: broker)
        // Requests answered while fsync failed (after the first in-flight ones settled).
        let during = load.outcomes(between: failingFrom + .milliseconds(500), and: failingUntil)
        let after = load.outcomes(between: failingUntil + .seconds(1), and: recovered)
        Self.row(
            "(f) fsync EIO (LD_PRELOAD shim) until 30 answers were 503",
            load,
            found: acknowledged.intersection(found).count,
            lost: lost.count,
            note: "(while failing: \(during.filter { $0.status == 200 }.count) × 200, \(during.filter { $0.status == 503 }.count) × 503)"
        )
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
        #expect(!during.isEmpty && during.allSatisfy { $0.status == 503 }, "no 200 while fsync fails: \(during.map(\.status))")
        // /readyz names the failing spool; it is 503 once Kafka has not answered for its window too.
        #expect(readyWhileFailing.body.contains(#""spool":"unhealthy""#), "\(readyWhileFailing.body)")
        #expect((readyWhileFailing.status == 503) == readyWhileFailing.body.contains(#""kafka":"unreachable""#), "\(readyWhileFailing.body)")
        #expect(after.contains { $0.status == 200 && $0.spooled }, "the spool recovers once a sync succeeds")
    }

    // MARK: (g) spool directory read-only

    @Test(.enabled(if: getuid() == 0, "needs root to mount a read-only tmpfs"))
    func spoolDirectoryReadOnlyRefusesToStart() async throws {
        let broker = try await TansuBroker.shared()
        let dir = try Self.temporaryDirectory("ro")
        try FileManager.default.createDirectory(atPath: dir + "/spool", withIntermediateDirectories: true)
        #expect(try ShellCommand.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", dir + "/spool"]).status == 0)
        defer { _ = try? ShellCommand.run("/bin/umount", ["-l", dir + "/spool"]) }
        try Self.routes(topic: "t-ro", spoolPath: dir + "/spool").write(toFile: dir + "/routes.json", atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in IngressHarness.environment { env[k] = v }
        let result = try ShellCommand.run(
            ServeProcess.binary,
            [
                "serve", "--config", dir + "/routes.json", "--port", String(try TansuBroker.unusedPort()), "--brokers", broker.bootstrapServers,
            ]
        )
        Self.printRow("(g) spool directory read-only", "serve exits \(result.status) at start, nothing answered 200")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.output.contains(dir + "/spool"), "the message names the path: \(result.output)")
    }

    static func printRow(_ fault: String, _ text: String) { print("fault-matrix | \(fault) | \(text)") }

    // MARK: (h) a segment corrupted after an ingress SIGKILL

    @Test func segmentCorruptedAfterIngressCrash() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let ingress = try ServedIngress.start("corrupt", broker: broker)
        let (dir, topic, load) = (ingress.dir, ingress.topic, ingress.load)
        var server = ingress.server
        let running = load.start()
        try await load.waitFor(10)
        broker.pause()
        try await load.waitFor(40, spooled: true)
        server.kill()
        load.stop()
        await running.value
        // Flip a byte inside one spooled record: the disk lied.
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir + "/spool").filter { $0.hasSuffix(".seg") }.sorted()
        var corruptedID: String?
        for name in segments {
            let path = dir + "/spool/" + name
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let records = SpoolRecord.scan(bytes).records
            guard records.count > 3 else { continue }
            let victim = records[records.count / 2]
            corruptedID = try? Event.decode(victim.record.value).id
            bytes[victim.range.lowerBound + 40] ^= 0x5A
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            break
        }
        let victim = try #require(corruptedID)
        broker.resume()
        server = try ingress.restarted(broker: broker, log: "serve2.log")
        defer { server.kill() }
        let acknowledged = Set(load.acknowledgedIDs)
        let expected = acknowledged.subtracting([victim])
        let found = try await Self.found(expected, topic: topic, reader: KafkaReader(bootstrapServers: broker.bootstrapServers))
        let quarantine = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/spool/quarantine")) ?? []
        let quarantinedVictim = quarantine.contains { $0.hasSuffix(".corrupt") } && acknowledged.contains(victim) ? 1 : 0
        let lost = acknowledged.subtracting(found).subtracting(quarantinedVictim == 1 ? [victim] : [])
        Self.row(
            "(h) segment corrupted after ingress SIGKILL",
            load,
            found: acknowledged.intersection(found).count,
            lost: lost.count,
            note: "(1 record corrupted on disk: its bytes are in the quarantine)"
        )
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
        #expect(quarantine.contains { $0.hasSuffix(".corrupt") }, "\(quarantine)")
        #expect(!found.contains(victim))
    }

    // MARK: (i) the poison record: normal operation and during an outage

    @Test func poisonRecordNeitherGets200NorBlocks() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(
            routes: Self.routes(topic: topic, spoolPath: NSTemporaryDirectory() + "spool-\(UUID().uuidString)", maxBodyBytes: 1_048_576),
            broker: broker
        )
        let load = LoadGenerator { body, signature in
            try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", signature)], body: body)
        }
        let running = load.start()
        let poison = Self.poisonBody()
        var poisonAnswers: [Int] = []
        try await load.waitFor(10, spooled: false)
        poisonAnswers.append(try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(poison))], body: poison).status)
        broker.pause()
        try await load.waitFor(10, spooled: true)
        let during = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(poison))], body: poison)
        poisonAnswers.append(during.status)
        try await load.waitFor(30, spooled: true)
        broker.resume()
        try await load.waitFor(10, spooled: false, since: .now)
        let (acknowledged, found, lost) = try await Self.settle(load, running, topic: topic, broker: broker)
        Self.row(
            "(i) poison record (CloudEvent over message.max.bytes), normal + outage",
            load,
            found: acknowledged.intersection(found).count,
            lost: lost.count,
            note: "(poison answered \(poisonAnswers.map(String.init).joined(separator: ", ")))"
        )
        let stats = await ingress.server.spool?.stats
        await ingress.stop()
        #expect(poisonAnswers == [413, 413])
        #expect(during.errorCode == "payload_too_large" && during.body.contains("message.max.bytes"), "\(during.body)")
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
        #expect(load.summary.spooled > 0)
        #expect(stats?.events == 0, "the spool drained: nothing is stuck behind the poison")
    }

    // MARK: permanent topic errors while draining (mock cluster)

    @Test func permanentErrorWhileDrainingQuarantinesOneRecord() async throws {
        let cluster = try KafkaMockCluster(brokers: 3)
        cluster.setGroupInitialRebalanceDelay(.zero)
        let topic = "t-\(UUID().uuidString.lowercased())"
        cluster.createTopic(topic, partitions: 1, replicationFactor: 3)
        cluster.createTopic("\(topic).bitnob", partitions: 1, replicationFactor: 3)
        let spoolPath = NSTemporaryDirectory() + "spool-\(UUID().uuidString)"
        let ingress = try await IngressHarness.start(
            routes: Self.routes(topic: topic, spoolPath: spoolPath, ackTimeoutMs: 1500, autoCreate: false),
            brokers: cluster.bootstrapServers
        )
        let load = LoadGenerator { body, signature in
            try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", signature)], body: body)
        }
        for id in Int32(1)...3 { cluster.setBrokerDown(id) }
        let running = load.start()
        try await load.waitFor(60, spooled: true)
        load.stop()
        await running.value
        // The first produce after the outage is refused for good (INVALID_RECORD); the drain must go on.
        cluster.pushRequestErrors(apiKey: 0, errors: [87])
        for id in Int32(1)...3 { cluster.setBrokerUp(id) }
        let acknowledged = Set(load.acknowledgedIDs)
        let reader = KafkaReader(bootstrapServers: cluster.bootstrapServers)
        let messages = try await reader.consume([topic], count: max(0, acknowledged.count - 1), timeout: .seconds(60))
        let found = FaultMatrixTests.foundIDs(messages)
        var quarantined: [String] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while quarantined.isEmpty, ContinuousClock.now < deadline {
            quarantined = ((try? FileManager.default.contentsOfDirectory(atPath: spoolPath + "/quarantine")) ?? []).filter {
                $0.hasSuffix(".rejected")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let rejectedIDs = Set(
            quarantined.compactMap { name -> String? in
                let bytes = (try? Data(contentsOf: URL(fileURLWithPath: spoolPath + "/quarantine/" + name))).map(Array.init) ?? []
                return SpoolRecord.decodeAll(bytes).records.first.flatMap { try? Event.decode($0.record.value).id }
            }
        )
        let lost = acknowledged.subtracting(found).subtracting(rejectedIDs)
        Self.row(
            "(j) mock cluster: INVALID_RECORD while draining",
            load,
            found: acknowledged.intersection(found).count,
            lost: lost.count,
            note: "(\(rejectedIDs.count) refused for good: quarantined with its bytes, the rest drained)"
        )
        await ingress.stop()
        // ARC may free the mock cluster after its last use; it must outlive every client of it.
        withExtendedLifetime(cluster) {}
        #expect(load.summary.spooled > 0)
        #expect(rejectedIDs.count == 1)
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
    }

    // MARK: a fatal idempotence error

    @Test func fatalIdempotenceErrorReplacesTheProducer() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(
            routes: Self.routes(topic: topic, spoolPath: NSTemporaryDirectory() + "spool-\(UUID().uuidString)"),
            broker: broker
        )
        let load = LoadGenerator { body, signature in
            try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", signature)], body: body)
        }
        let running = load.start()
        try await load.waitFor(20)
        let before = ingress.server.publisher.producer
        before.injectFatalError(reason: "injected: out of order sequence number")
        let injected = ContinuousClock.now
        try await load.waitUntil("the producer to be replaced") { _ in ingress.server.publisher.producer !== before }
        try await load.waitFor(50, since: injected)
        load.stop()
        await running.value
        let replaced = ingress.server.publisher.producer !== before
        let acknowledged = Set(load.acknowledgedIDs)
        let found = try await Self.found(acknowledged, topic: topic, reader: KafkaReader(bootstrapServers: broker.bootstrapServers))
        let lost = acknowledged.subtracting(found)
        Self.row(
            "(k) fatal idempotence error (rd_kafka_test_fatal_error)",
            load,
            found: acknowledged.intersection(found).count,
            lost: lost.count,
            note: "(producer replaced: \(replaced))"
        )
        await ingress.stop()
        #expect(replaced)
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
        #expect(load.summary.failed == 0)
    }

    // MARK: SIGTERM under load

    @Test func sigtermUnderLoad() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let ingress = try ServedIngress.start("term", broker: broker)
        let (topic, load, server) = (ingress.topic, ingress.load, ingress.server)
        defer { server.kill() }  // a no-op after the SIGTERM; never an orphan if the test fails first
        let running = load.start(interval: .milliseconds(10))
        try await load.waitFor(100)
        let stopping = server.terminate()
        let (acknowledged, found, lost) = try await Self.settle(load, running, topic: topic, broker: broker)
        Self.row(
            "(l) SIGTERM under load (~100/s)",
            load,
            found: acknowledged.intersection(found).count,
            lost: lost.count,
            note: "(stopped in \(stopping); exit \(server.process.terminationStatus))"
        )
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
        #expect(stopping < .seconds(16), "within limits.shutdownTimeoutMs")
        #expect(server.process.terminationStatus == 0)
    }
}
