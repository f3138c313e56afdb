import Foundation
import HookwayTesting
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the real `hookway` binary with trace-level JSON logs against a real broker, sends it
/// valid and invalid deliveries for every source, runs `routes check` and `simulate`, and fails
/// if any configured secret (raw, base64 or hex, as providers transmit them) appears anywhere in
/// what the processes print. Also: every log line is a JSON object with `ts`, `level`, `msg`.
///
/// Needs `.build/debug/hookway` (`swift build --build-tests` builds it).
@Suite(.timeLimit(.minutes(5)))
struct SecretsInLogsTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var binary: String { repoRoot.appendingPathComponent(".build/debug/hookway").path }

    /// Distinctive values, different on every run.
    struct Secrets {
        let run = String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
        var bitcapital: String { "BcSecretZq\(run)" }
        var bitpowr: String { "BpSecretZq\(run)" }
        var bitsoToken: String { "BsTokenZq\(run)" }
        var koywe: String { "KySecretZq\(run)" }
        var koyweBearer: String { "KyBearerZq\(run)" }
        var bitnob: String { "BnSecretZq\(run)" }
        /// Standard Webhooks: `whsec_` + base64 of the key bytes (the key itself is distinctive too).
        var acmeKey: [UInt8] { Array("AcKeyZq\(run)!!".utf8) }
        var acme: String { "whsec_" + Data(acmeKey).base64EncodedString() }

        var environment: [String: String] {
            [
                "SIL_BITCAPITAL_SECRET": bitcapital, "SIL_BITPOWR_SECRET": bitpowr, "SIL_BITSO_TOKEN": bitsoToken,
                "SIL_KOYWE_SECRET": koywe, "SIL_KOYWE_BEARER": koyweBearer, "SIL_BITNOB_SECRET": bitnob, "SIL_ACME_SECRET": acme,
            ]
        }

        /// Every form in which a secret could leak: as configured, base64 (Bitpowr's header,
        /// Standard Webhooks' key), hex of the bytes, and the Standard Webhooks key material.
        var forbidden: [(what: String, text: String)] {
            var out: [(String, String)] = []
            for (name, value) in environment {
                let bytes = Array(value.utf8)
                out.append((name, value))
                out.append((name + " base64", Data(bytes).base64EncodedString()))
                out.append((name + " base64 (unpadded)", Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: "")))
                out.append((name + " hex", bytes.map { String(format: "%02x", $0) }.joined()))
                out.append((name + " HEX", bytes.map { String(format: "%02X", $0) }.joined()))
            }
            out.append(("acme key bytes", String(decoding: acmeKey, as: UTF8.self)))
            out.append(("acme key base64", Data(acmeKey).base64EncodedString()))
            out.append(("acme key hex", acmeKey.map { String(format: "%02x", $0) }.joined()))
            return out
        }
    }

    static func routes(topic: String) -> String {
        """
        {
          "version": 1,
          "kafka": { "topics": { "partitions": 1, "replicationFactor": 1, "autoCreate": true },
                     "unroutedTopic": "\(topic).unrouted", "ackTimeoutMs": 5000 },
          "limits": { "maxBodyBytes": 65536, "readTimeoutMs": 2000 },
          "sources": {
            "bitcapital": { "provider": "bitcapital", "secrets": ["env:SIL_BITCAPITAL_SECRET"] },
            "bitpowr": { "provider": "bitpowr", "secrets": ["env:SIL_BITPOWR_SECRET"] },
            "bitso": { "provider": "bitso", "token": "env:SIL_BITSO_TOKEN" },
            "koywe": { "provider": "koywe", "secrets": ["env:SIL_KOYWE_SECRET"],
                       "validation": { "bearer": "env:SIL_KOYWE_BEARER", "allowEmails": ["*@example.com"] } },
            "bitnob": { "provider": "bitnob", "secrets": ["env:SIL_BITNOB_SECRET"] },
            "acme": { "provider": "standardwebhooks", "secrets": ["env:SIL_ACME_SECRET"] }
          },
          "routes": [ { "name": "all", "match": {}, "to": ["\(topic)"] } ]
        }
        """
    }

    struct Output {
        var label: String
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `hookway ARGS` to completion, capturing both streams (through files: no pipe deadlock).
    static func run(_ arguments: [String], environment: [String: String], in dir: String) throws -> Output {
        let id = UUID().uuidString
        let out = dir + "/\(id).out"
        let err = dir + "/\(id).err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        process.waitUntilExit()
        return Output(
            label: "hookway " + arguments.joined(separator: " "),
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        )
    }

    static func post(port: Int, path: String, headers: [String: String], body: String) async -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = Data(body.utf8)
        return await send(request)
    }

    static func send(_ request: URLRequest) async -> Int {
        await withCheckedContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, _ in
                continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode ?? 0)
            }.resume()
        }
    }

    @Test func noConfiguredSecretAppearsInAnyOutput() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build hookway first: swift build --build-tests")
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else { return }
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let secrets = Secrets()
        let dir = NSTemporaryDirectory() + "hookway-secrets-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = dir + "/routes.json"
        try Self.routes(topic: "sil-\(secrets.run)").write(toFile: config, atomically: true, encoding: .utf8)

        var env = ProcessInfo.processInfo.environment
        env.merge(secrets.environment) { $1 }
        env["HOOKWAY_LOG_LEVEL"] = "trace"
        env["HOOKWAY_LOG_FORMAT"] = "json"
        env["HOOKWAY_CONFIG"] = config
        env["HOOKWAY_BROKERS"] = broker.bootstrapServers

        // hookway serve, in the background.
        let port = try TansuBroker.unusedPort()
        let serveOut = dir + "/serve.out"
        let serveErr = dir + "/serve.err"
        _ = FileManager.default.createFile(atPath: serveOut, contents: nil)
        _ = FileManager.default.createFile(atPath: serveErr, contents: nil)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: Self.binary)
        serve.arguments = ["serve", "--config", config, "--host", "127.0.0.1", "--port", "\(port)", "--brokers", broker.bootstrapServers]
        serve.environment = env
        serve.standardOutput = FileHandle(forWritingAtPath: serveOut)
        serve.standardError = FileHandle(forWritingAtPath: serveErr)
        try serve.run()
        defer { if serve.isRunning { serve.terminate() } }

        var healthy = false
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, serve.isRunning {
            var health = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/healthz")!)
            health.timeoutInterval = 2
            if await Self.send(health) == 200 {
                healthy = true
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(healthy, "hookway serve did not come up: \((try? String(contentsOfFile: serveErr, encoding: .utf8)) ?? "")")

        var outputs: [Output] = []
        let url = "http://127.0.0.1:\(port)"

        // simulate: a correctly signed and a tampered delivery of one event per source.
        let list = try Self.run(["simulate", "--list", "--config", config], environment: env, in: dir)
        outputs.append(list)
        var firstEvent: [String: String] = [:]
        for line in list.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, firstEvent[String(parts[0])] == nil { firstEvent[String(parts[0])] = String(parts[1]) }
        }
        #expect(Set(firstEvent.keys) == ["bitcapital", "bitpowr", "bitso", "koywe", "bitnob", "acme"])
        for (source, event) in firstEvent.sorted(by: { $0.key < $1.key }) {
            let ok = try Self.run(["simulate", source, event, "--config", config, "--url", url], environment: env, in: dir)
            #expect(ok.status == 0, "\(ok.label): \(ok.stdout) \(ok.stderr)")
            let bad = try Self.run(["simulate", source, event, "--config", config, "--url", url, "--tamper"], environment: env, in: dir)
            #expect(bad.status == 1 && bad.stdout.hasPrefix("401"), "\(bad.label): \(bad.stdout) \(bad.stderr)")
            outputs += [ok, bad]
        }

        // Hand-made deliveries: secrets presented right and wrong, tokens right and wrong.
        let bitpowrBody = #"{"event":"transaction.deposit.success","data":{"uid":"sil-1","status":"success","amount":"1.5"}}"#
        let bitsoBody = #"{"event":"funding","payload":{"fid":"sil-1","status":"complete","amount":"100.00","currency":"mxn"}}"#
        let bitpowrB64 = Data(secrets.bitpowr.utf8).base64EncodedString()
        let sent: [(String, [String: String], String, Int)] = [
            ("/webhooks/bitpowr", ["x-webhook-secret": bitpowrB64], bitpowrBody, 200),
            ("/webhooks/bitpowr", ["x-webhook-secret": secrets.bitpowr], bitpowrBody, 200),
            ("/webhooks/bitpowr", ["x-webhook-secret": bitpowrB64 + "x"], bitpowrBody, 401),
            ("/webhooks/bitpowr", ["x-webhook-secret": bitpowrB64], "not json", 400),
            ("/webhooks/bitso/\(secrets.bitsoToken)", [:], bitsoBody, 200),
            ("/webhooks/bitso/\(secrets.bitsoToken)", [:], "not json", 400),
            ("/webhooks/bitso/\(secrets.bitsoToken)x", [:], bitsoBody, 401),
            ("/webhooks/bitso", [:], bitsoBody, 401),
            ("/webhooks/bitnob/\(secrets.bitsoToken)", [:], bitsoBody, 401),
            ("/webhooks/koywe", ["Authorization": "Bearer \(secrets.koyweBearer)"], #"{"email":"ana@example.com"}"#, 200),
            ("/webhooks/koywe", ["Authorization": "Bearer \(secrets.koyweBearer)x"], #"{"email":"ana@example.com"}"#, 401),
            ("/webhooks/koywe", ["Authorization": "Bearer \(secrets.koywe)"], #"{"email":"ana@example.com"}"#, 401),
            ("/webhooks/koywe", ["Koywe-Signature": String(repeating: "ab", count: 32)], #"{"eventName":"crypto_delivered"}"#, 401),
            ("/webhooks/bitnob", ["x-bitnob-signature": String(repeating: "cd", count: 64)], bitpowrBody, 401),
            ("/webhooks/bitnob", ["x-bitnob-signature": secrets.bitnob], bitpowrBody, 401),
            ("/webhooks/bitcapital", ["X-Request-Signature": String(repeating: "ef", count: 32), "X-Request-Timestamp": "1700000000"], "{}", 401),
            ("/webhooks/acme", ["webhook-id": "m1", "webhook-timestamp": "1700000000", "webhook-signature": "v1,\(secrets.acme)"], "{}", 401),
        ]
        for (path, headers, body, expected) in sent {
            let status = await Self.post(port: port, path: path, headers: headers, body: body)
            #expect(status == expected, "POST \(path): \(status)")
        }

        // routes check on broken files: one referencing the real secrets with another error,
        // one with a secret pasted literally.
        let broken = dir + "/broken.json"
        try Self.routes(topic: "sil").replacingOccurrences(
            of: #""routes": ["#,
            with: #""routes": [ { "name": "bad", "match": { "type": "[" }, "to": [] },"#
        )
        .write(toFile: broken, atomically: true, encoding: .utf8)
        let literal = dir + "/literal.json"
        try Self.routes(topic: "sil").replacingOccurrences(of: "env:SIL_BITNOB_SECRET", with: secrets.bitnob)
            .replacingOccurrences(of: "env:SIL_BITSO_TOKEN", with: secrets.bitsoToken)
            .write(toFile: literal, atomically: true, encoding: .utf8)
        for file in [broken, literal] {
            let check = try Self.run(["routes", "check", "--config", file], environment: env, in: dir)
            #expect(check.status == 1, "\(check.label): \(check.stdout)")
            outputs.append(check)
        }
        let good = try Self.run(["routes", "check", "--config", config], environment: env, in: dir)
        #expect(good.status == 0, "\(good.label): \(good.stdout) \(good.stderr)")
        outputs.append(good)

        serve.interrupt()
        let stopDeadline = Date().addingTimeInterval(20)
        while serve.isRunning, Date() < stopDeadline { try await Task.sleep(for: .milliseconds(100)) }
        outputs.append(
            Output(
                label: "hookway serve",
                status: serve.isRunning ? -1 : serve.terminationStatus,
                stdout: (try? String(contentsOfFile: serveOut, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOfFile: serveErr, encoding: .utf8)) ?? ""
            )
        )

        // 1. No secret, in any form, anywhere.
        for output in outputs {
            for stream in [output.stdout, output.stderr] {
                for (what, text) in secrets.forbidden where stream.contains(text) {
                    let line = stream.split(separator: "\n").first { $0.contains(text) } ?? ""
                    Issue.record("\(output.label) printed \(what): \(line.prefix(400))")
                }
            }
        }

        // 2. The serve log is JSON lines with ts, level, msg; it logged the deliveries.
        let serveLog = outputs.last!
        let lines = serveLog.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count >= 20, "serve logged only \(lines.count) lines")
        var levels: Set<String> = []
        for line in lines {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                object["ts"] is String, let level = object["level"] as? String, object["msg"] is String
            else {
                Issue.record("serve log line is not JSON with ts, level, msg: \(line.prefix(300))")
                continue
            }
            levels.insert(level)
        }
        #expect(serveLog.stderr.contains("webhook rejected") && serveLog.stderr.contains("\"msg\":\"webhook\""))
        for line in serveLog.stdout.split(separator: "\n") {
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(object?["ts"] is String && object?["level"] is String && object?["msg"] is String, "serve stdout: \(line.prefix(300))")
        }
    }
}
