import Foundation
import HookwayTesting
import Testing

/// Kafka not acknowledging must never produce a 200.
@Suite(.timeLimit(.minutes(3)))
struct BrokerOutageTests {
    @Test func pausedBrokerGets503WithRetryAfterThenRecovers() async throws {
        let broker = try await TansuBroker.start()
        defer { broker.stop() }
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic, ackTimeoutMs: 1500), broker: broker)
        try await withTeardown({ await ingress.stop() }) {
            var body = Bodies.bitnob()
            var answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
            #expect(answer.status == 200, "\(answer.body)")

            broker.pause()
            body = Bodies.bitnob()
            let started = ContinuousClock.now
            answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
            let waited = ContinuousClock.now - started
            #expect(answer.status == 503)
            #expect(answer.errorCode == "broker_unavailable")
            #expect(answer.header("Retry-After") != nil)
            #expect(waited < .seconds(4))
            broker.resume()

            var recovered = false
            for _ in 0..<30 where !recovered {
                body = Bodies.bitnob()
                answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
                recovered = answer.status == 200
                if !recovered { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(recovered)
        }
    }

    @Test func brokerThatNeverAnswersGets503() async throws {
        let broker = try await TansuBroker.start()
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic, ackTimeoutMs: 1000), broker: broker)
        try await withTeardown({ await ingress.stop() }) {
            broker.kill()
            let body = Bodies.bitnob()
            let answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
            #expect(answer.status == 503)
            #expect(answer.errorCode == "broker_unavailable")
            #expect(answer.header("Retry-After") == "5")
        }
    }
}
