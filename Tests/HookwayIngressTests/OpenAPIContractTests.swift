import Foundation
import HookwayKafka
import HookwayTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every status and error code `docs/openapi.yaml` documents is reachable on a running server.
@Suite(.timeLimit(.minutes(3)))
struct OpenAPIContractTests {
    static let spec: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("docs/openapi.yaml"), encoding: .utf8)) ?? ""
    }()

    static var documentedStatuses: Set<Int> {
        Set(spec.matches(of: /"(\d{3})":/).compactMap { Int($0.1) })
    }

    static var documentedCodes: Set<String> {
        var codes = Set<String>()
        for match in spec.matches(of: /code: ([a-z_ |]+)/) {
            for code in match.1.split(separator: "|") { codes.insert(code.trimmingCharacters(in: .whitespaces)) }
        }
        return codes
    }

    @Test func everyDocumentedStatusAndCodeIsReachable() async throws {
        #expect(Self.documentedStatuses.count >= 9)
        #expect(Self.documentedCodes.count >= 11)
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let topic = "t-\(UUID().uuidString.lowercased())"
        let extra = #", "private": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN", "allowFrom": ["10.0.0.0/8"] }"#
        let ingress = try await IngressHarness.start(
            routes: IngressHarness.routes(topic: topic, extraSources: extra, ackTimeoutMs: 1000, maxBodyBytes: 4096),
            broker: broker
        )
        try await withTeardown({ await ingress.stop() }) {
            var seenStatuses = Set<Int>()
            var seenCodes = Set<String>()
            func record(_ a: IngressHarness.Answer) {
                seenStatuses.insert(a.status)
                if let code = a.errorCode { seenCodes.insert(code) }
            }
            let good = Bodies.bitnob()
            record(try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(good))], body: good))
            let notJSON = Array("nope".utf8)
            record(try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(notJSON))], body: notJSON))
            record(try await ingress.send("/webhooks/bitnob", body: good))
            record(try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(good, secret: "x"))], body: good))
            record(try await ingress.send("/webhooks/bitso/wrong", body: Array(#"{"event":"funding","payload":{}}"#.utf8)))
            let stale = "\(Int(Date().timeIntervalSince1970) - 3600)"
            let bc = Array(#"{"id":"u","entity":"user","status":"ready"}"#.utf8)
            record(
                try await ingress.send(
                    "/webhooks/bitcapital",
                    headers: [
                        ("X-Request-Timestamp", stale),
                        ("X-Request-Signature", Sign.bitcapital(target: "/webhooks/bitcapital", timestamp: stale, body: bc)),
                    ],
                    body: bc
                )
            )
            record(try await ingress.send("/webhooks/private/t0k3n", body: Array(#"{"event":"funding","payload":{}}"#.utf8)))
            record(try await ingress.send("/webhooks/nowhere", body: good))
            record(try await ingress.send("/webhooks/bitnob", method: .GET))
            record(try await ingress.send("/webhooks/bitnob", body: Array(repeating: 0x20, count: 5000)))
            for path in ["/healthz", "/readyz", "/metrics"] { record(try await ingress.send(path, method: .GET)) }
            record(try await Self.slowBody(port: ingress.port))
            record(try await Self.oversizedHeaders(port: ingress.port))
            broker.kill()
            let lost = Bodies.bitnob()
            record(try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(lost))], body: lost))
            // 500 publish_rejected: a cluster that refuses the topic for good (librdkafka's mock).
            let cluster = try KafkaMockCluster(brokers: 1)
            cluster.createTopic(topic, partitions: 1, replicationFactor: 1)
            cluster.createTopic("\(topic).bitnob", partitions: 1, replicationFactor: 1)
            // The mock has no CreateTopics: the topics exist already.
            let refusingRoutes = IngressHarness.routes(topic: topic, ackTimeoutMs: 3000).replacingOccurrences(
                of: #""autoCreate": true"#,
                with: #""autoCreate": false"#
            )
            let refusing = try await IngressHarness.start(routes: refusingRoutes, brokers: cluster.bootstrapServers)
            cluster.pushRequestErrors(apiKey: 0, errors: [29, 29, 29, 29])
            let refused = Bodies.bitnob()
            let refusal = try await refusing.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(refused))], body: refused)
            #expect(refusal.status == 500, "\(refusal.status) \(refusal.body)")
            record(refusal)
            await refusing.stop()
            withExtendedLifetime(cluster) {}  // the mock must outlive the ingress that uses it
            #expect(
                Self.documentedStatuses.subtracting(seenStatuses).isEmpty,
                "unreached statuses: \(Self.documentedStatuses.subtracting(seenStatuses))"
            )
            #expect(Self.documentedCodes.subtracting(seenCodes).isEmpty, "unreached codes: \(Self.documentedCodes.subtracting(seenCodes))")
            #expect(
                seenStatuses.subtracting(Self.documentedStatuses).isEmpty,
                "undocumented statuses: \(seenStatuses.subtracting(Self.documentedStatuses))"
            )
            #expect(seenCodes.subtracting(Self.documentedCodes).isEmpty, "undocumented codes: \(seenCodes.subtracting(Self.documentedCodes))")
        }
    }

    /// A 100 KB header, over the HTTP decoder's 80 KiB: 431 `headers_too_large`.
    static func oversizedHeaders(port: Int) async throws -> IngressHarness.Answer {
        let answer = try await RawHTTPClient.onThread {
            try RawHTTPClient.send(
                port: port,
                method: "POST",
                path: "/webhooks/bitnob",
                headers: [("x-padding", String(repeating: "a", count: 100_000))],
                body: Array("{}".utf8),
                mode: .whole,
                timeout: 30
            )
        }
        return IngressHarness.Answer(status: answer.status, headers: answer.headers, body: answer.body)
    }

    /// Declares 100 bytes, sends 10, waits: the server must answer 408 `request_timeout`.
    static func slowBody(port: Int) async throws -> IngressHarness.Answer {
        let answer = try await RawHTTPClient.onThread {
            try RawHTTPClient.send(
                port: port,
                method: "POST",
                path: "/webhooks/bitnob",
                headers: [("x-bitnob-signature", "00")],
                body: Array(repeating: UInt8(ascii: " "), count: 100),
                mode: .stall(sendBytes: 10),
                timeout: 30
            )
        }
        return IngressHarness.Answer(status: answer.status, headers: answer.headers, body: answer.body)
    }
}
