import Foundation
import HookwayCore
import HookwayTesting
import Testing

/// Issue 15 §7: `allowFrom` behind a proxy. The proxy is a real, non-loopback peer — a network
/// namespace this test creates, joined by a veth pair — so the ingress sees it as the TCP peer
/// exactly as it would see a load balancer.
@Suite(.serialized, .enabled(if: NetworkNamespacePeer.isAvailable, "needs root and iproute2 to create a network namespace"))
struct TrustedProxyTests {
    static let client = "203.0.113.7"

    static func routes(topic: String, proxyAddress: String, proxyProtocol: Bool) -> String {
        """
        {
          "version": 1,
          "kafka": { "topics": { "partitions": 1, "replicationFactor": 1 }, "unroutedTopic": "\(topic).unrouted" },
          "limits": { "trustedProxies": ["\(proxyAddress)/32"], "proxyProtocol": \(proxyProtocol), "headerTimeoutMs": 3000 },
          "sources": {
            "bitso": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN", "allowFrom": ["\(client)/32"] }
          },
          "routes": [ { "name": "all", "match": {}, "to": ["\(topic)"] } ]
        }
        """
    }

    static let body = #"{"event":"funding","payload":{"fid":"f-proxy-1","status":"complete","amount":"100.00","currency":"mxn"}}"#

    static func request(extraHeaders: [String] = []) -> [UInt8] {
        var head = "POST /webhooks/bitso/t0k3n HTTP/1.1\r\nHost: hookway\r\nContent-Type: application/json\r\n"
        for h in extraHeaders { head += h + "\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + Array(body.utf8)
    }

    static func status(_ answer: [UInt8]) -> Int? {
        let text = String(decoding: answer.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 ") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    static func loopback(_ harness: IngressHarness, headers: [(name: String, value: String)]) async throws -> Int {
        try await harness.send("/webhooks/bitso/t0k3n", headers: headers + [("Content-Type", "application/json")], body: Array(body.utf8)).status
    }

    @Test func forwardedForIsBelievedFromTheTrustedProxyOnly() async throws {
        let proxy = try NetworkNamespacePeer()
        defer { proxy.remove() }
        let harness = try await IngressHarness.start(
            routes: Self.routes(topic: "edge-xff-\(UUID().uuidString.prefix(8))", proxyAddress: proxy.peerAddress, proxyProtocol: false),
            host: "0.0.0.0"
        )
        do {
            let port = harness.port
            let host = proxy.hostAddress
            let viaProxy = try await RawHTTPClient.onThread { () throws -> [Int?] in
                [
                    Self.status(
                        try proxy.exchange(
                            host: host,
                            port: port,
                            bytes: Self.request(extraHeaders: ["X-Forwarded-For: 198.51.100.1, \(Self.client)"])
                        )
                    ),
                    // The rightmost untrusted entry is the client; a forged leftmost one proves nothing.
                    Self.status(
                        try proxy.exchange(
                            host: host,
                            port: port,
                            bytes: Self.request(extraHeaders: ["X-Forwarded-For: \(Self.client), 198.51.100.1"])
                        )
                    ),
                    Self.status(try proxy.exchange(host: host, port: port, bytes: Self.request())),
                ]
            }
            #expect(viaProxy == [200, 403, 403])
            // From a peer that is not a trusted proxy, the header is ignored.
            #expect(try await Self.loopback(harness, headers: [("X-Forwarded-For", Self.client)]) == 403)
            // The internal header that carries a PROXY-protocol address cannot be sent from outside.
            #expect(try await Self.loopback(harness, headers: [("hookway-internal-proxied-client", Self.client)]) == 403)
        }
        await harness.stop()
    }

    @Test func proxyProtocolHeadersFromTheTrustedProxyNameTheClient() async throws {
        let proxy = try NetworkNamespacePeer()
        defer { proxy.remove() }
        let harness = try await IngressHarness.start(
            routes: Self.routes(topic: "edge-pp-\(UUID().uuidString.prefix(8))", proxyAddress: proxy.peerAddress, proxyProtocol: true),
            host: "0.0.0.0"
        )
        do {
            let port = harness.port
            let host = proxy.hostAddress
            let v1 = Array("PROXY TCP4 \(Self.client) \(host) 40000 \(port)\r\n".utf8)
            let payload: [UInt8] = [203, 0, 113, 7] + IPAddress(host)!.bytes + [0x9C, 0x40, UInt8(port >> 8), UInt8(port & 0xFF)]
            let v2: [UInt8] =
                [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, UInt8(payload.count)] + payload
            let other = Array("PROXY TCP4 198.51.100.1 \(host) 40000 \(port)\r\n".utf8)
            let answers = try await RawHTTPClient.onThread { () throws -> [Int?] in
                [
                    Self.status(try proxy.exchange(host: host, port: port, bytes: v1 + Self.request())),
                    Self.status(try proxy.exchange(host: host, port: port, bytes: v2 + Self.request())),
                    Self.status(try proxy.exchange(host: host, port: port, bytes: other + Self.request())),
                    // A trusted proxy that sends no PROXY header: the connection is closed unanswered.
                    Self.status(try proxy.exchange(host: host, port: port, bytes: Self.request(), timeout: 5)),
                ]
            }
            #expect(answers == [200, 200, 403, nil])
            // From a peer that is not a trusted proxy, nothing is read as a PROXY header.
            #expect(try await Self.loopback(harness, headers: []) == 403)
        }
        await harness.stop()
    }
}
