import Crypto
import Foundation
import HookwayCore

/// One file of `Tests/Fixtures/bad-inputs/`: a request that a sender (or an attacker) might
/// send, and the exact answer the ingress must give.
///
/// ```json
/// {"name": "...", "source": "bitnob", "path": "/webhooks/bitnob", "method": "POST",
///  "headers": {"X-Bitnob-Timestamp": "${now-3600}"}, "body": "..." | "bodyBase64": "...",
///  "sign": "bitnob-sha256", "expect": {"status": 401, "code": "stale_timestamp"}}
/// ```
///
/// Optional members:
/// - `bodyRepeat` `{prefix, unit, count, suffix}`: a generated body (deep nesting, over the cap).
/// - `headerRepeat` `{name, unit, count}`: a generated header (over the header limit).
/// - `sign`: compute a signature at test time (see ``BadInputSigner``), with `signSecret` (another
///   secret), `signBody` (sign other bytes than those sent), `signPath` (Bit Capital: sign another
///   target), `signUppercase` (upper-case hex).
/// - `transport`: `client` (AsyncHTTPClient, default), `raw` (raw socket, Content-Length),
///   `chunked` (raw socket, chunked body), `slow` / `slow-chunked` (raw socket, send
///   `slowSendBytes` of the body, then stall).
/// - `expect`: `status`, `code` (the error code; absent = no error body), `body` (exact answer
///   body, trimmed), `eventType` (the answer's `type`), `amount` / `amountAbsent` (`data.amount`
///   of the normalized event).
///
/// Header values and the path may use `${now}`, `${now±N}` (seconds), `${now_ms}`,
/// `${now_ms±N}` (milliseconds) and `${uuid}`, resolved when the case is sent.
struct BadInputCase: Sendable {
    var name: String
    var source: String
    var path: String
    var method: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var sign: String?
    var signSecret: String?
    var signBody: [UInt8]?
    var signPath: String?
    var signUppercase: Bool
    var headerRepeat: (name: String, value: String)?
    var transport: String
    var slowSendBytes: Int
    var expectStatus: Int
    var expectCode: String?
    var expectBody: String?
    var expectEventType: String?
    var expectAmount: String?
    var expectAmountAbsent: Bool

    static let directory: String = {
        // Tests/HookwayIngressTests/BadInputs/BadInputCase.swift → Tests/Fixtures/bad-inputs
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/bad-inputs").path
    }()

    /// The case files' names (without `.json`), sorted.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }()

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ name: String) throws -> BadInputCase {
        let path = directory + "/" + name + ".json"
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(description: "cannot read \(path)") }
        let root = try JSONParser.parse(Array(data))
        func string(_ key: String) -> String? { root[key]?.stringValue }
        func int(_ v: JSONValue?) -> Int? { v?.numberLiteral.flatMap { Int($0) } }
        guard let source = string("source"), let path = string("path"), let expect = root["expect"],
            let status = int(expect["status"])
        else { throw LoadError(description: "\(name): needs source, path, expect.status") }
        var headers: [(name: String, value: String)] = []
        for m in root["headers"]?.members ?? [] {
            guard let v = m.value.stringValue else { throw LoadError(description: "\(name): header \(m.key) is not a string") }
            headers.append((m.key, v))
        }
        var body: [UInt8]
        if let b64 = string("bodyBase64") {
            guard let d = Data(base64Encoded: b64) else { throw LoadError(description: "\(name): bodyBase64 is not base64") }
            body = Array(d)
        } else {
            body = Array((string("body") ?? "").utf8)
        }
        if let r = root["bodyRepeat"] {
            let unit = Array((r["unit"]?.stringValue ?? "").utf8)
            let count = int(r["count"]) ?? 0
            body = Array((r["prefix"]?.stringValue ?? "").utf8)
            body.reserveCapacity(unit.count * count + 64)
            for _ in 0..<count { body += unit }
            body += Array((r["suffix"]?.stringValue ?? "").utf8)
        }
        var headerRepeat: (String, String)?
        if let r = root["headerRepeat"], let n = r["name"]?.stringValue, let unit = r["unit"]?.stringValue {
            headerRepeat = (n, String(repeating: unit, count: int(r["count"]) ?? 0))
        }
        return BadInputCase(
            name: string("name") ?? name,
            source: source,
            path: path,
            method: string("method") ?? "POST",
            headers: headers,
            body: body,
            sign: string("sign"),
            signSecret: string("signSecret"),
            signBody: string("signBody").map { Array($0.utf8) },
            signPath: string("signPath"),
            signUppercase: root["signUppercase"] == .bool(true),
            headerRepeat: headerRepeat,
            transport: string("transport") ?? "client",
            slowSendBytes: int(root["slowSendBytes"]) ?? 10,
            expectStatus: status,
            expectCode: expect["code"]?.stringValue,
            expectBody: expect["body"]?.stringValue,
            expectEventType: expect["eventType"]?.stringValue,
            expectAmount: expect["amount"]?.stringValue,
            expectAmountAbsent: expect["amountAbsent"] == .bool(true)
        )
    }

    /// Resolves `${now…}` and `${uuid}` placeholders.
    static func resolve(_ text: String, now: Date) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let token = String(rest[open.upperBound..<close])
            out += expand(token, now: now)
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    private static func expand(_ token: String, now: Date) -> String {
        if token == "uuid" { return UUID().uuidString.lowercased() }
        let seconds = Int64(now.timeIntervalSince1970)
        let millis = Int64(now.timeIntervalSince1970 * 1000)
        for (prefix, base) in [("now_ms", millis), ("now", seconds)] where token.hasPrefix(prefix) {
            let offset = token.dropFirst(prefix.count)
            if offset.isEmpty { return String(base) }
            if let n = Int64(offset.hasPrefix("+") ? offset.dropFirst() : offset) { return String(base + n) }
        }
        return "${\(token)}"
    }
}

/// A case made concrete: placeholders resolved and signatures computed.
struct PreparedRequest: Sendable {
    var path: String
    var method: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The URL token segment, as the ingress would see it.
    var urlToken: String? {
        let segments = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/", omittingEmptySubsequences: false)
        return segments.count == 4 ? String(segments[3]) : nil
    }
}
