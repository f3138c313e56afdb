import AsyncHTTPClient
import Foundation
import HookwayCore

/// The tests' OTLP/HTTP trace receiver (scripts/otlp-receiver.py, on the official
/// `opentelemetry-proto` definitions) on a free loopback port: what Hookway's exporter really
/// sent, decoded, as ``ReceivedSpan``s.
public final class OTLPReceiver: Sendable {
    public let port: Int
    let pid: Int32
    let logPath: String
    private let client = HTTPClient(eventLoopGroupProvider: .singleton)

    /// `OTEL_EXPORTER_OTLP_ENDPOINT` for a process that should export here.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// The variables that turn a Hookway process's tracing on towards this receiver, with
    /// batches sent every 100 ms (the default 5 s would only slow the tests down).
    public func environment(service: String? = nil) -> [String: String] {
        var env = ["OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "100"]
        if let service { env["OTEL_SERVICE_NAME"] = service }
        return env
    }

    private init(port: Int, pid: Int32, logPath: String) {
        self.port = port
        self.pid = pid
        self.logPath = logPath
    }

    /// Starts the receiver and returns once it accepts connections.
    public static func start(filePath: String = #filePath) async throws -> OTLPReceiver {
        let root = try repositoryRoot(filePath: filePath)
        let port = try TansuBroker.unusedPort()
        let logPath = NSTemporaryDirectory() + "hookway-otlp-\(port).log"
        let pid = try ChildProcess.spawn(
            root + "/.tools/venv/bin/python",
            [root + "/scripts/otlp-receiver.py", "--port", String(port)],
            logPath: logPath
        )
        let receiver = OTLPReceiver(port: port, pid: pid, logPath: logPath)
        do {
            try await eventually("the OTLP receiver to listen on \(port) (log: \(logPath))", timeout: .seconds(20)) {
                if ChildProcess.waitForExit(pid, timeout: .zero) { throw ReceiverError(message: "the OTLP receiver exited; see \(logPath)") }
                return TansuBroker.acceptsConnections(port: port)
            }
        } catch {
            await receiver.stop()
            throw error
        }
        return receiver
    }

    /// Every span received so far.
    public func spans() async throws -> [ReceivedSpan] {
        items(try await get("/spans")).compactMap(ReceivedSpan.init)
    }

    /// Exports the receiver could not decode (there should be none).
    public func errors() async throws -> [String] {
        items(try await get("/errors")).compactMap(\.stringValue)
    }

    /// Waits until the spans received satisfy `condition` and returns them.
    public func waitForSpans(
        _ what: String,
        timeout: Duration = .seconds(60),
        until condition: @escaping ([ReceivedSpan]) -> Bool
    ) async throws -> [ReceivedSpan] {
        var spans: [ReceivedSpan] = []
        try await eventually(what, timeout: timeout, interval: .milliseconds(200)) {
            spans = try await self.spans()
            return condition(spans)
        }
        return spans
    }

    /// Stops the process and the client.
    public func stop() async {
        _ = ChildProcess.signal(pid, SIGTERM)
        if !ChildProcess.waitForExit(pid, timeout: .seconds(2)) {
            _ = ChildProcess.signal(pid, SIGKILL)
            _ = ChildProcess.waitForExit(pid, timeout: .seconds(2))
        }
        try? await client.shutdown()  // only fails when already shut down
    }

    private func get(_ path: String) async throws -> JSONValue {
        let response = try await client.execute(HTTPClientRequest(url: endpoint + path), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { throw ReceiverError(message: "GET \(path): HTTP \(response.status.code)") }
        return try JSONParser.parse(Array(body.readableBytesView))
    }

    static func repositoryRoot(filePath: String) throws -> String {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("scripts/otlp-receiver.py").path) { return directory.path }
            directory.deleteLastPathComponent()
        }
        throw ReceiverError(message: "scripts/otlp-receiver.py not found above \(filePath)")
    }

    public struct ReceiverError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

/// One span as the receiver decoded it.
public struct ReceivedSpan: Sendable, CustomStringConvertible {
    public var service: String
    public var traceID: String
    public var spanID: String
    /// Empty for a root span.
    public var parentSpanID: String
    public var name: String
    /// `server`, `client`, `producer`, `consumer`, `internal`.
    public var kind: String
    /// `unset`, `ok`, `error`.
    public var status: String
    public var attributes: [String: String]
    public var links: [(traceID: String, spanID: String)]
    public var events: [String]

    init?(_ value: JSONValue) {
        guard let traceID = value["traceId"]?.stringValue, let spanID = value["spanId"]?.stringValue,
            let name = value["name"]?.stringValue
        else { return nil }
        self.traceID = traceID
        self.spanID = spanID
        self.name = name
        service = value["service"]?.stringValue ?? ""
        parentSpanID = value["parentSpanId"]?.stringValue ?? ""
        kind = value["kind"]?.stringValue ?? ""
        status = value["status"]?.stringValue ?? ""
        var attributes: [String: String] = [:]
        if case .object(let members)? = value["attributes"] {
            for member in members { attributes[member.key] = member.value.stringValue }
        }
        self.attributes = attributes
        links = items(value["links"]).compactMap { link in
            guard let trace = link["traceId"]?.stringValue, let span = link["spanId"]?.stringValue else { return nil }
            return (trace, span)
        }
        events = items(value["events"]).compactMap { $0["name"]?.stringValue }
    }

    public var description: String {
        "\(service) \(kind) \"\(name)\" \(traceID)/\(spanID) parent=\(parentSpanID.isEmpty ? "-" : parentSpanID) \(attributes)"
    }
}

/// A JSON array's items (none for anything else).
private func items(_ value: JSONValue?) -> [JSONValue] {
    if case .array(let items)? = value { return items }
    return []
}
