import AsyncHTTPClient
import Foundation
import HookwayCore
import NIOCore

/// The local stand-in of the providers' REST APIs (`scripts/standin/provider_api.py`), started
/// on a free loopback port for a test: it serves seeded entities and verifies each provider's
/// documented authentication. Stop it with ``stop()``.
public final class ProviderAPIStandIn: Sendable {
    /// The credentials the stand-in accepts, by provider, and as `env:` values for routes.json.
    public static let credentials: [String: [String: String]] = [
        "bitso": ["key": "standin-bitso-key", "secret": "standin-bitso-secret"],
        "bitnob": ["clientId": "standin-bitnob-client", "clientSecret": "standin-bitnob-secret"],
        "bitpowr": ["publicKey": "standin-bitpowr-public", "secretKey": "standin-bitpowr-secret"],
        "koywe": ["apiKey": "standin-koywe-key", "secret": "standin-koywe-secret", "organizationId": "org-standin", "merchantId": "mer-standin"],
        "bitcapital": ["clientId": "standin-bitcapital-client", "clientSecret": "standin-bitcapital-secret"],
    ]

    public let port: Int
    public let logPath: String
    private let pid: Int32
    private let client = HTTPClient(eventLoopGroupProvider: .singleton)

    /// The base URL of `provider`'s API on the stand-in (what a source's `api.baseUrl` is set to).
    public func baseURL(_ provider: String) -> String {
        let suffix = ["bitpowr": "/api/v1", "koywe": "/api/v1"][provider] ?? ""
        return "http://127.0.0.1:\(port)/\(provider)\(suffix)"
    }

    /// The `api` entry of a source of `provider` against the stand-in, with credentials as
    /// `env:` references (``environment``) and `extra` keys merged in.
    public func apiJSON(_ provider: String, extra: String = "") -> String {
        let secretNames = Self.credentials[provider, default: [:]].keys.filter { $0 != "organizationId" && $0 != "merchantId" }.sorted()
        let credentials = secretNames.map { "\"\($0)\": \"env:STANDIN_\(provider.uppercased())_\($0.uppercased())\"" }.joined(separator: ", ")
        var settings = ""
        if provider == "koywe" { settings = #", "settings": {"organizationId": "org-standin", "merchantId": "mer-standin"}"# }
        return #"{"baseUrl": "\#(baseURL(provider))", "credentials": {\#(credentials)}\#(settings)\#(extra.isEmpty ? "" : ", " + extra)}"#
    }

    /// The environment the `env:` references of ``apiJSON(_:extra:)`` read.
    public static var environment: [String: String] {
        var out: [String: String] = [:]
        for (provider, values) in credentials {
            for (name, value) in values { out["STANDIN_\(provider.uppercased())_\(name.uppercased())"] = value }
        }
        return out
    }

    private init(port: Int, logPath: String, pid: Int32) {
        self.port = port
        self.logPath = logPath
        self.pid = pid
    }

    /// Starts the stand-in and returns once it accepts connections.
    public static func start(filePath: String = #filePath) async throws -> ProviderAPIStandIn {
        let script = try locateScript(filePath: filePath)
        let port = try TansuBroker.unusedPort()
        let directory = NSTemporaryDirectory() + "hookway-standin-\(port)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let credentialsPath = directory + "/credentials.json"
        let json = JSONValue.object(
            credentials.sorted { $0.key < $1.key }.map { provider, values in
                JSONMember(provider, .object(values.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) }))
            }
        )
        try Data(JSONWriter.encode(json)).write(to: URL(fileURLWithPath: credentialsPath))
        let logPath = directory + "/standin.log"
        let pid = try ChildProcess.spawn(
            "/usr/bin/env",
            ["python3", script, "--port", String(port), "--credentials", credentialsPath],
            logPath: logPath
        )
        let standIn = ProviderAPIStandIn(port: port, logPath: logPath, pid: pid)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if TansuBroker.acceptsConnections(port: port) { return standIn }
            if ChildProcess.waitForExit(pid, timeout: .zero) { throw StandInError(message: "the stand-in exited; see \(logPath)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        await standIn.stop()
        throw StandInError(message: "the stand-in did not listen on \(port) within 20 s; see \(logPath)")
    }

    /// Stops the process and the control client.
    public func stop() async {
        ChildProcess.signal(pid, SIGTERM)
        if !ChildProcess.waitForExit(pid, timeout: .seconds(2)) {
            ChildProcess.signal(pid, SIGKILL)
            _ = ChildProcess.waitForExit(pid, timeout: .seconds(2))
        }
        try? await client.shutdown()  // only fails when already shut down
    }

    /// Seeds (or replaces) an entity as `provider`'s API will serve it; `visibleAfterMs` keeps
    /// it a 404 for that long (an eventually consistent provider).
    public func seed(_ provider: String, kind: String, record: String, visibleAfterMs: Int = 0) async throws {
        try await control(
            "entities",
            #"{"provider": "\#(provider)", "kind": "\#(kind)", "record": \#(record), "visibleAfterMs": \#(visibleAfterMs)}"#
        )
    }

    /// Removes an entity.
    public func delete(_ provider: String, kind: String, id: String) async throws {
        try await control("delete", #"{"provider": "\#(provider)", "kind": "\#(kind)", "id": "\#(id)"}"#)
    }

    /// The next requests to `provider` get these answers (status, optional headers), in order.
    public func inject(_ provider: String, _ responses: [(status: Int, headers: [String: String])]) async throws {
        let items = responses.map { response in
            let headers = response.headers.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
            return #"{"status": \#(response.status), "headers": {\#(headers)}}"#
        }
        try await control("faults", #"{"provider": "\#(provider)", "responses": [\#(items.joined(separator: ", "))]}"#)
    }

    /// Koywe's sign-in tokens from now on expire after `seconds`.
    public func setKoyweTokenLifetime(seconds: Int) async throws {
        try await control("koywe", #"{"tokenTtlSeconds": \#(seconds)}"#)
    }

    /// Every Koywe token issued so far stops verifying (a revocation or a key rotation).
    public func revokeKoyweTokens() async throws {
        try await control("koywe", #"{"revoke": true}"#)
    }

    /// One request the stand-in answered.
    public struct Answered: Sendable, Hashable {
        public var provider: String
        public var method: String
        public var path: String
        public var status: Int
        /// `ok`, `not found`, `injected 429`, or why it refused (`bitso: reused nonce`).
        public var reason: String
    }

    /// Every request answered so far, in order.
    public func requests() async throws -> [Answered] {
        let body = try await call("GET", "requests", nil)
        guard case .array(let items) = try JSONParser.parse(body) else { return [] }
        return items.map {
            Answered(
                provider: $0["provider"]?.stringValue ?? "",
                method: $0["method"]?.stringValue ?? "",
                path: $0["path"]?.stringValue ?? "",
                status: $0["status"]?.numberLiteral.flatMap(Int.init) ?? 0,
                reason: $0["reason"]?.stringValue ?? ""
            )
        }
    }

    /// Sends a raw request to the stand-in as a client would (to show what it refuses).
    public func send(_ method: String, _ path: String, headers: [(String, String)]) async throws -> Int {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    private func control(_ what: String, _ body: String) async throws {
        _ = try await call("POST", what, body)
    }

    private func call(_ method: String, _ what: String, _ body: String?) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/_standin/\(what)")
        request.method = .init(rawValue: method)
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        var buffer = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else { throw StandInError(message: "stand-in /_standin/\(what): HTTP \(response.status.code)") }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    static func locateScript(filePath: String) throws -> String {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("scripts/standin/provider_api.py").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw StandInError(message: "scripts/standin/provider_api.py not found")
    }

    public struct StandInError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }
}
