import Foundation
import HookwayCore
import HookwayTesting
import Testing

/// With the spool on, a broker crash never turns a delivery away: it is spooled, answered 200
/// `"spooled": true`, and published once a broker answers again.
@Suite(.timeLimit(.minutes(4)))
struct SpoolOutageTests {
    @Test func eventsSpooledDuringAnOutageArriveAfterRecovery() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let topic = "t-\(UUID().uuidString.lowercased())"
        let spoolPath = NSTemporaryDirectory() + "hookway-spool-\(UUID().uuidString)"
        var routes = IngressHarness.routes(topic: topic, ackTimeoutMs: 1000)
        routes = routes.replacingOccurrences(of: #""limits":"#, with: #""spool": { "path": "\#(spoolPath)", "maxBytes": 16777216 }, "limits":"#)
        let ingress = try await IngressHarness.start(routes: routes, broker: broker)
        try await withTeardown({ await ingress.stop() }) {

            broker.kill()
            var ids: [String] = []
            for _ in 0..<20 {
                let body = Bodies.bitnob()
                let answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
                #expect(answer.status == 200, "\(answer.body)")
                #expect(answer.json?["spooled"] == .bool(true))
                if let id = answer.json?["id"]?.stringValue { ids.append(id) }
            }
            let ready = try await ingress.send("/readyz", method: .GET)
            #expect(ready.status == 200, "ready while the spool has room")
            // The spool gauge follows the outage (it once stayed at the first sealed segment's count
            // until Kafka came back). Gauges are process-wide: wait until ours has reported all 20.
            var gauge = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while gauge < 20, ContinuousClock.now < deadline {
                let metrics = try await ingress.send("/metrics", method: .GET).body
                gauge =
                    metrics.split(separator: "\n").first { $0.hasPrefix("hookway_spool_events ") }
                    .flatMap { $0.split(separator: " ").last }.flatMap { Double(String($0)) }.map { Int($0) } ?? 0
                if gauge < 20 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(gauge >= 20, "hookway_spool_events during the outage: \(gauge)")
            let spooled = try FileManager.default.contentsOfDirectory(atPath: spoolPath).filter { $0.hasSuffix(".seg") }
            #expect(!spooled.isEmpty)

            try await broker.restart()
            let messages = try await ingress.consume([topic], count: 20, timeout: .seconds(90))
            let found = Set(messages.compactMap { try? Event.decode($0.value ?? []).id })
            #expect(Set(ids).isSubset(of: found), "missing: \(Set(ids).subtracting(found))")
            // Each event's journey says so: `spooled` while Kafka was away, `received` (with where it
            // went) once the spool drained it.
            let outcomes = try await ingress.consume(["hookway.outcomes"], count: 40, timeout: .seconds(60))
                .compactMap { try? Outcome(bytes: $0.value ?? []) }
            for id in ids {
                let kinds = outcomes.filter { $0.eventID == id }.map(\.kind)
                #expect(kinds.contains(.spooled) && kinds.contains(.received), "\(id): \(kinds)")
                #expect(outcomes.first { $0.eventID == id && $0.kind == .received }?.topics.contains { $0.topic == topic } == true)
            }
            // Drained segments are deleted.
            var left = 1
            for _ in 0..<40 where left > 0 {
                left = (try FileManager.default.contentsOfDirectory(atPath: spoolPath)).filter { $0.hasSuffix(".seg") }.count
                if left > 1 { try await Task.sleep(for: .milliseconds(250)) } else { break }
            }
            #expect(left <= 1, "only the (empty) active segment remains")
        }
    }

    @Test func disabledSpoolAnswers503() async throws {
        let broker = try await TansuBroker.start()
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic, ackTimeoutMs: 800), broker: broker)
        try await withTeardown({ await ingress.stop() }) {
            broker.kill()
            let body = Bodies.bitnob()
            let answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
            #expect(answer.status == 503)
            #expect(answer.header("Retry-After") != nil)
        }
    }
}
