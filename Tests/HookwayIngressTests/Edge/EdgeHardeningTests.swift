import AsyncHTTPClient
import Crypto
import Foundation
import HookwayCore
import HookwayKafka
import HookwayTesting
import NIOCore
import Testing

/// Issue 15: each attack of the issue, against a real ingress and a real broker, answered
/// within its bound.
@Suite(.serialized) struct EdgeHardeningTests {
    static func routes(topic: String, limits: String = "", kafka: String = "", routes: String? = nil, extraSources: String = "") -> String {
        """
        {
          "version": 1,
          "kafka": { "topics": { "partitions": 1, "replicationFactor": 1, "autoCreate": true \(kafka) },
                     "unroutedTopic": "\(topic).unrouted", "ackTimeoutMs": 10000 },
          "limits": { "maxBodyBytes": 1048576, "readTimeoutMs": 5000 \(limits) },
          "sources": {
            "bitnob": { "provider": "bitnob", "secrets": ["env:BITNOB_WEBHOOK_SECRET"] },
            "koywe": { "provider": "koywe", "secrets": ["env:KOYWE_WEBHOOK_SECRET"] },
            "acme": { "provider": "standardwebhooks", "secrets": ["env:ACME_WEBHOOK_SECRET"] }\(extraSources)
          },
          "routes": \(routes ?? #"[ { "name": "all", "match": {}, "to": ["\#(topic)"] } ]"#)
        }
        """
    }

    static func metricsText(_ harness: IngressHarness) async throws -> String {
        try await harness.send("/metrics", method: .GET).body
    }

    // MARK: state growth

    @Test func unknownSourcesDoNotGrowTheMetrics() async throws {
        let harness = try await IngressHarness.start(routes: Self.routes(topic: "edge-metrics-\(UUID().uuidString.prefix(8))"))
        do {
            _ = try await harness.send("/webhooks/unknown-warmup")
            _ = try await harness.send("/webhooks/unknown-warmup", method: .GET)
            // The metrics are the process's, shared with suites running alongside: compare the
            // series of unknown sources, not the size of the whole text.
            func unknownSeries(_ text: String) -> Set<Substring> {
                Set(text.split(separator: "\n").filter { $0.contains("_unknown") }.map { $0.prefix { $0 != " " } })
            }
            let before = unknownSeries(try await Self.metricsText(harness))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<32 {
                    group.addTask {
                        for i in stride(from: worker, to: 10_000, by: 32) {
                            let name = "x\(i)-" + String(repeating: "n", count: 200)
                            _ = try await harness.send("/webhooks/\(name)", method: i % 2 == 0 ? .POST : .GET)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let after = try await Self.metricsText(harness)
            #expect(unknownSeries(after).subtracting(before).isEmpty, "new series: \(unknownSeries(after).subtracting(before))")
            #expect(after.contains(#"source="_unknown""#))
            #expect(!after.contains("nnnnnnnn"))
        }
        await harness.stop()
    }

    // MARK: connections

    @Test func slowAndIdleConnectionsAreClosed() async throws {
        let harness = try await IngressHarness.start(
            routes: Self.routes(
                topic: "edge-conn-\(UUID().uuidString.prefix(8))",
                limits: #", "headerTimeoutMs": 1000, "idleTimeoutMs": 1500, "maxRequestsPerConnection": 3"#
            )
        )
        do {
            let port = harness.port
            let outcome = try await RawHTTPClient.onThread { () throws -> (trickled: Int, silent: Int, idle: Int, healthy: Bool, thirdCloses: Bool) in
                let trickling = try (0..<20).map { _ in try RawConnection(port: port) }
                let silent = try (0..<20).map { _ in try RawConnection(port: port) }
                let idle = try (0..<5).map { _ in try RawConnection(port: port) }
                for c in idle {
                    _ = c.write(RawConnection.request())
                    guard c.readAnswer(timeout: 5)?.status == 200 else { throw RawHTTPClient.Failure(description: "no answer") }
                }
                // Slowloris: a byte of the head every 200 ms, never finishing it.
                let head = Array("POST /webhooks/bitnob HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8)
                for byte in head.prefix(12) {
                    for c in trickling { c.write([byte]) }
                    Thread.sleep(forTimeInterval: 0.2)
                }
                let trickledClosed = trickling.filter { $0.isClosedByServer(within: 2) }.count
                let silentClosed = silent.filter { $0.isClosedByServer(within: 1) }.count
                // A healthy keep-alive connection is answered, and closed after its third answer.
                let healthy = try RawConnection(port: port)
                var statuses: [Int] = []
                var thirdSaysClose = false
                for i in 1...3 {
                    _ = healthy.write(RawConnection.request())
                    guard let answer = healthy.readAnswer(timeout: 5) else { break }
                    statuses.append(answer.status)
                    if i == 3 { thirdSaysClose = answer.headers.contains { $0.0.lowercased() == "connection" && $0.1 == "close" } }
                }
                let idleClosed = idle.filter { $0.isClosedByServer(within: 3) }.count
                return (trickledClosed, silentClosed, idleClosed, statuses == [200, 200, 200], thirdSaysClose && healthy.isClosedByServer(within: 2))
            }
            #expect(outcome.trickled == 20, "slowloris connections closed by the head deadline")
            #expect(outcome.silent == 20, "connections that never send closed by the head deadline")
            #expect(outcome.idle == 5, "idle keep-alive connections closed by the idle timeout")
            #expect(outcome.healthy)
            #expect(outcome.thirdCloses, "the third answer says Connection: close and the connection closes")
            let metrics = try await Self.metricsText(harness)
            #expect(metrics.contains(#"hookway_connections_closed_total{reason="header_timeout"}"#))
        }
        await harness.stop()
    }

    @Test func theConnectionCapLeavesEstablishedConnectionsServed() async throws {
        let harness = try await IngressHarness.start(
            routes: Self.routes(
                topic: "edge-cap-\(UUID().uuidString.prefix(8))",
                limits: #", "maxConnections": 4, "headerTimeoutMs": 30000"#
            )
        )
        do {
            let port = harness.port
            let result = try await RawHTTPClient.onThread { () throws -> (established: [Int], fifthClosed: Bool, again: [Int], later: Int?) in
                let established = try (0..<4).map { _ in try RawConnection(port: port) }
                var first: [Int] = []
                for c in established {
                    _ = c.write(RawConnection.request())
                    first.append(c.readAnswer(timeout: 5)?.status ?? 0)
                }
                let fifth = try RawConnection(port: port)
                let fifthClosed = fifth.isClosedByServer(within: 3)
                var again: [Int] = []
                for c in established {
                    _ = c.write(RawConnection.request())
                    again.append(c.readAnswer(timeout: 5)?.status ?? 0)
                }
                _ = established[0].write("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                _ = established[0].readAnswer(timeout: 5)
                _ = established[0].isClosedByServer(within: 5)
                established[0].closeNow()
                // The slot is free again (the server notices the close on its own loop: retry briefly).
                var later: Int?
                for _ in 0..<20 where later == nil {
                    let next = try RawConnection(port: port)
                    _ = next.write(RawConnection.request())
                    later = next.readAnswer(timeout: 1)?.status
                }
                return (first, fifthClosed, again, later)
            }
            #expect(result.established == [200, 200, 200, 200])
            #expect(result.fifthClosed, "a fifth connection is closed at once while four are open")
            #expect(result.again == [200, 200, 200, 200], "established connections are unaffected by the cap")
            #expect(result.later == 200, "a new connection is served once one closes")
            let metrics = try await Self.metricsText(harness)
            #expect(metrics.contains("hookway_connections_refused_total"))
        }
        await harness.stop()
    }

    // MARK: hostile content from an authenticated sender

    @Test func leadingZerosAndOverlongAmountsAreCheapAndLeftOut() async throws {
        let topic = "edge-amount-\(UUID().uuidString.prefix(8))"
        let routes =
            #"[ { "name": "big", "match": { "where": [ { "field": "data.payload.data.amount", "gt": 100 } ] }, "to": ["\#(topic).big"] }, { "name": "all", "match": {}, "to": ["\#(topic)"] } ]"#
        let harness = try await IngressHarness.start(routes: Self.routes(topic: topic, routes: routes))
        do {
            let zeros = String(repeating: "0", count: 200_000) + "1"
            let body = Bodies.bitnob(id: "zeros-1", amount: "\"\(zeros)\"")
            let started = ContinuousClock.now
            let answer = try await harness.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
            let elapsed = ContinuousClock.now - started
            #expect(answer.status == 200, "\(answer.body)")
            // It includes creating both topics and Kafka's acknowledgement, on a machine running
            // the other test lane too; a quadratic scan of 200,000 zeros would take minutes.
            #expect(elapsed < .seconds(3), "the leading-zeros amount took \(elapsed)")
            let long = Bodies.bitnob(id: "long-1", amount: "\"\(String(repeating: "7", count: 3_000))\"")
            let second = try await harness.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(long))], body: long)
            #expect(second.status == 200)
            let messages = try await harness.consume([topic], count: 2)
            let events = messages.compactMap { $0.value.flatMap { try? Event.decode($0) } }
            #expect(events.first { $0.subject == "zeros-1" }?.data.amount == "1")
            #expect(events.first { $0.subject == "long-1" }.map { $0.data.amount == nil } == true, "a 3,000-digit amount gets no data.amount")
            let metrics = try await Self.metricsText(harness)
            #expect(
                metrics.contains(#"hookway_intake_warnings_total{source="bitnob",code="amount_too_long"}"#)
                    || metrics.contains(#"hookway_intake_warnings_total{code="amount_too_long",source="bitnob"}"#)
            )
        }
        await harness.stop()
    }

    @Test func koyweBodySignaturePublishesOnlySignedMembers() async throws {
        let topic = "edge-koywe-\(UUID().uuidString.prefix(8))"
        let harness = try await IngressHarness.start(routes: Self.routes(topic: topic))
        do {
            let signed = #"{"eventName":"PAYMENT_RECEIVED","orderId":"edge-o-1","timeStamp":"2024-05-01T10:00:00.000Z"}"#
            let signature = Sign.koywe(Array(signed.utf8))
            let body = Array(
                #"{"eventName":"PAYMENT_RECEIVED","orderId":"edge-o-1","amount":"999999","timeStamp":"2024-05-01T10:00:00.000Z","wallet":"attacker","signature":"\#(signature)"}"#
                    .utf8
            )
            let answer = try await harness.send("/webhooks/koywe", body: body)
            #expect(answer.status == 200, "\(answer.body)")
            let message = try #require(try await harness.consume([topic], count: 1).first)
            let event = try Event.decode(try #require(message.value))
            #expect(event.data.payload.members?.map(\.key) == ["eventName", "orderId", "timeStamp"])
            let duplicate = Array(
                #"{"eventName":"PAYMENT_RECEIVED","orderId":"edge-o-2","orderId":"edge-o-3","timeStamp":"2024-05-01T10:00:00.000Z","signature":"\#(signature)"}"#
                    .utf8
            )
            let refused = try await harness.send("/webhooks/koywe", body: duplicate)
            #expect(refused.status == 400)
            #expect(refused.errorCode == "malformed_payload")
        }
        await harness.stop()
    }

    @Test func templatedTopicsAreCapped() async throws {
        let topic = "edge-topics-\(UUID().uuidString.prefix(8))"
        let routes = #"[ { "name": "per-event", "match": {}, "to": ["\#(topic).{event}"] } ]"#
        let harness = try await IngressHarness.start(routes: Self.routes(topic: topic, kafka: #", "maxAutoCreated": 2"#, routes: routes))
        do {
            var topicsAnswered: [[String]] = []
            for status in ["success", "failed", "reversed", "success"] {
                let body = Bodies.bitnob(status: status)
                let answer = try await harness.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
                #expect(answer.status == 200, "\(answer.body)")
                if case .array(let items) = answer.json?["topics"] {
                    topicsAnswered.append(items.compactMap(\.stringValue))
                } else {
                    topicsAnswered.append([])
                }
            }
            #expect(topicsAnswered[0] == ["\(topic).payout.transfer.success"])
            #expect(topicsAnswered[1] == ["\(topic).payout.transfer.failed"])
            #expect(topicsAnswered[2] == ["\(topic).unrouted"], "the third new templated topic is refused")
            #expect(topicsAnswered[3] == ["\(topic).payout.transfer.success"], "an admitted topic stays admitted")
            let metrics = try await Self.metricsText(harness)
            #expect(metrics.contains("hookway_topics_refused_total 1"))
            #expect(!metrics.contains("payout.transfer.reversed"))
        }
        await harness.stop()
    }
}
