import AsyncHTTPClient
import Foundation
import HookwayCore
import NIOCore

/// The local stand-in of the providers' REST APIs (`scripts/standin/provider_api.py`), started
/// on a free loopback port for a test: it serves seeded entities and verifies each provider's
/// documented authentication. Stop it with ``stop()``.
public final class ProviderAPIStandIn: Sendable {
    /// What the stand-in accepts from one provider's client, from `scripts/standin/test-credentials.json`
    /// (the file names the providers, so that no Swift source outside their folders does).
    public struct Account: Sendable {
        /// Credential name → value, as a source's `api.credentials` names them.
        public var credentials: [String: String]
        /// The path below the provider's prefix where its API's base URL ends (`/api/v1`).
        public var basePath: String
        /// Non-secret `api.settings` the stand-in expects (Koywe's organization and merchant).
        public var settings: [String: String]
    }

    /// The accounts by provider.
    public let accounts: [String: Account]
    public let port: Int
    public let logPath: String
    private let pid: Int32
    private let client = HTTPClient(eventLoopGroupProvider: .singleton)

    /// The credentials the stand-in accepts from `provider`'s client.
    public func credentials(_ provider: String) -> [String: String] { accounts[provider]?.credentials ?? [:] }

    /// The base URL of `provider`'s API on the stand-in (what a source's `api.baseUrl` is set to).
    public func baseURL(_ provider: String) -> String {
        "http://127.0.0.1:\(port)/\(provider)\(accounts[provider]?.basePath ?? "")"
    }

    /// The `api` entry of a source of `provider` against the stand-in, with credentials as
    /// `env:` references (``environment``) and `extra` keys merged in.
    public func apiJSON(_ provider: String, extra: String = "") -> String {
        let account = accounts[provider] ?? Account(credentials: [:], basePath: "", settings: [:])
        let credentials = account.credentials.keys.sorted().map { "\"\($0)\": \"env:\(Self.variable(provider, $0))\"" }.joined(separator: ", ")
        var settings = ""
        if !account.settings.isEmpty {
            settings =
                #", "settings": {"# + account.settings.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
                + "}"
        }
        return #"{"baseUrl": "\#(baseURL(provider))", "credentials": {\#(credentials)}\#(settings)\#(extra.isEmpty ? "" : ", " + extra)}"#
    }

    /// The environment the `env:` references of ``apiJSON(_:extra:)`` read.
    public var environment: [String: String] {
        var out: [String: String] = [:]
        for (provider, account) in accounts {
            for (name, value) in account.credentials { out[Self.variable(provider, name)] = value }
        }
        return out
    }

    static func variable(_ provider: String, _ name: String) -> String { "STANDIN_\(provider.uppercased())_\(name.uppercased())" }

    static func loadAccounts(_ path: String) throws -> [String: Account] {
        guard case .object(let members) = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) else {
            throw StandInError(message: "\(path) is not a JSON object")
        }
        func strings(_ value: JSONValue?) -> [String: String] {
            guard case .object(let members)? = value else { return [:] }
            return Dictionary(members.compactMap { m in m.value.stringValue.map { (m.key, $0) } }, uniquingKeysWith: { a, _ in a })
        }
        return Dictionary(
            members.map { m in
                (
                    m.key,
                    Account(
                        credentials: strings(m.value["credentials"]),
                        basePath: m.value["basePath"]?.stringValue ?? "",
                        settings: strings(m.value["settings"])
                    )
                )
            },
            uniquingKeysWith: { a, _ in a }
        )
    }

    private init(accounts: [String: Account], port: Int, logPath: String, pid: Int32) {
        self.accounts = accounts
        self.port = port
        self.logPath = logPath
        self.pid = pid
    }

    /// Starts the stand-in and returns once it accepts connections.
    public static func start(filePath: String = #filePath) async throws -> ProviderAPIStandIn {
        let script = try locateScript(filePath: filePath)
        let accounts = try loadAccounts(URL(fileURLWithPath: script).deletingLastPathComponent().appendingPathComponent("test-credentials.json").path)
        let port = try TansuBroker.unusedPort()
        let directory = NSTemporaryDirectory() + "hookway-standin-\(port)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let credentialsPath = directory + "/credentials.json"
        // The stand-in's own file: each provider's credentials and settings in one object.
        let json = JSONValue.object(
            accounts.sorted { $0.key < $1.key }.map { provider, account in
                let values = account.credentials.merging(account.settings) { own, _ in own }
                return JSONMember(provider, .object(values.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) }))
            }
        )
        try Data(JSONWriter.encode(json)).write(to: URL(fileURLWithPath: credentialsPath))
        let logPath = directory + "/standin.log"
        let pid = try ChildProcess.spawn(
            "/usr/bin/env",
            ["python3", script, "--port", String(port), "--credentials", credentialsPath],
            logPath: logPath
        )
        let standIn = ProviderAPIStandIn(accounts: accounts, port: port, logPath: logPath, pid: pid)
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
        try await control("tokens", #"{"tokenTtlSeconds": \#(seconds)}"#)
    }

    /// Every Koywe token issued so far stops verifying (a revocation or a key rotation).
    public func revokeKoyweTokens() async throws {
        try await control("tokens", #"{"revoke": true}"#)
    }

    /// Stores a webhook `provider` sent (or failed to send) `createdAgoMs` ago: its replay API
    /// (Bitso's retry, Koywe's replay) finds it and POSTs `body` with `headers` to `url` again.
    public func webhook(
        _ provider: String,
        id: String,
        event: String,
        delivered: Bool,
        createdAgoMs: Int = 0,
        url: String,
        headers: [String: String],
        body: String
    ) async throws {
        let request = JSONValue.object([
            JSONMember("url", .string(url)),
            JSONMember("headers", .object(headers.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) })),
            JSONMember("body", .string(body)),
        ])
        let entry = JSONValue.object([
            JSONMember("provider", .string(provider)), JSONMember("id", .string(id)), JSONMember("event", .string(event)),
            JSONMember("delivered", .bool(delivered)), JSONMember("createdAgoMs", .number(String(createdAgoMs))), JSONMember("request", request),
        ])
        try await control("webhooks", String(decoding: JSONWriter.encode(entry), as: UTF8.self))
    }

    /// A stored webhook and the statuses its deliveries got so far.
    public struct StoredWebhook: Sendable, Hashable {
        public var id: String
        public var delivered: Bool
        public var attempts: [Int]
    }

    /// The stored webhooks of every provider, in the order they were stored.
    public func webhooks() async throws -> [StoredWebhook] {
        guard case .array(let items) = try JSONParser.parse(try await call("GET", "webhooks", nil)) else { return [] }
        return items.map { item in
            var attempts: [Int] = []
            if case .array(let list)? = item["attempts"] { attempts = list.compactMap { $0["status"]?.numberLiteral.flatMap(Int.init) } }
            var delivered = false
            if case .bool(let flag)? = item["delivered"] { delivered = flag }
            return StoredWebhook(id: item["id"]?.stringValue ?? "", delivered: delivered, attempts: attempts)
        }
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
