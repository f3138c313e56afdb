import Foundation
import HookwayTesting
import Testing

/// `hookway reconcile --replay` end to end: the provider API stand-in keeps webhooks it failed
/// to deliver, Hookway asks it (Bitso's retry API, Koywe's replay) to send them again, the
/// stand-in really POSTs them to `hookway serve`, and they land in Kafka.
@Suite(.timeLimit(.minutes(3)))
struct ReplayCommandTests {
    @Test func undeliveredWebhooksAreResentByTheProviderAndReachKafka() async throws {
        let standIn = try await ProviderAPIStandIn.start()
        let broker = try await TansuBroker.shared()
        let prefix = try await broker.createTestTopic(partitions: 1)
        let directory = NSTemporaryDirectory() + "replay-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let routesPath = directory + "/routes.json"
        try """
        {"version": 1, "kafka": {"brokers": "\(broker.bootstrapServers)", "topics": {"partitions": 1}},
         "sources": {
           "bitso": {"provider": "bitso", "token": "env:W", "api": \(standIn.apiJSON("bitso"))},
           "koywe": {"provider": "koywe", "secrets": ["env:K"], "api": \(standIn.apiJSON("koywe"))},
           "bitnob": {"provider": "bitnob", "secrets": ["env:K"], "api": \(standIn.apiJSON("bitnob"))},
           "bitnob-events": {"provider": "bitnob", "secrets": ["env:K"], "api": \(standIn.apiJSON("bitnob", extra: #""settings": {"webhookId": "wh_standin"}"#))}},
         "routes": [{"name": "all", "match": {}, "to": ["\(prefix).{source}.{event}"]}]}
        """.write(toFile: routesPath, atomically: true, encoding: .utf8)
        var environment = CLI.devEnvironment.merging(standIn.environment) { _, new in new }
        environment["W"] = "t"
        environment["K"] = "koywe-replay-secret"
        let port = try TansuBroker.unusedPort()
        let serve = try CLI.start(
            ["serve", "--config", routesPath, "--host", "127.0.0.1", "--port", "\(port)"],
            environment: environment,
            log: directory + "/serve.log"
        )
        try await withTeardown({
            CLI.kill(serve)
            await standIn.stop()
        }) {
            try await eventually("serve to listen") { EndToEndTests.accepts(port) }

            // Koywe: one event its endpoint never acknowledged, one it did.
            for (id, delivered) in [("evt_missed", false), ("evt_done", true)] {
                let body = #"{"id": "\#(id)", "type": "order.completed", "data": {"orderId": "ord-\#(id)"}}"#
                let signature = Sign.koywe(Array(body.utf8), secret: "koywe-replay-secret")
                try await standIn.webhook(
                    "koywe",
                    id: id,
                    event: "order.completed",
                    delivered: delivered,
                    createdAgoMs: 600_000,
                    url: "http://127.0.0.1:\(port)/webhooks/koywe",
                    headers: ["Content-Type": "application/json", "Koywe-Signature": "sha256=\(signature)"],
                    body: body
                )
            }
            // Bitso: a funding webhook that failed five days ago (the replay spans two 3-day windows).
            let funding = #"{"event": "funding", "payload": {"fid": "replayed-fid", "status": "complete", "currency": "mxn", "amount": "25.00"}}"#
            try await standIn.webhook(
                "bitso",
                id: "bitso-hook-1",
                event: "funding",
                delivered: false,
                createdAgoMs: 5 * 86_400_000,
                url: "http://127.0.0.1:\(port)/webhooks/bitso/t",
                headers: ["Content-Type": "application/json"],
                body: funding
            )

            let dry = try CLI.run(["reconcile", "koywe", "--replay", "--since", "2h", "--dry-run", "--config", routesPath], environment: environment)
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.contains("2 requests, would ask to resend 1"), "\(dry.stdout)")
            #expect(dry.stdout.contains("webhook event evt_done (order.completed): skipped (delivered)"), "\(dry.stdout)")
            #expect(try await standIn.webhooks().allSatisfy { $0.attempts.isEmpty }, "a dry run asks for nothing")

            let koywe = try CLI.run(["reconcile", "koywe", "--replay", "--since", "2h", "--config", routesPath], environment: environment)
            #expect(koywe.status == 0, "\(koywe.stderr)")
            #expect(koywe.stdout.contains("asked to resend 1, provider scheduled 1"), "\(koywe.stdout)")
            try await eventually("Koywe's replay to reach Kafka") {
                try await ReconcileCommandTests.ids(on: "\(prefix).koywe.order.completed", broker: broker).map(\.id) == ["koywe:evt_missed"]
            }
            let koyweHooks = try await standIn.webhooks().filter { $0.id.hasPrefix("evt_") }
            #expect(koyweHooks.first { $0.id == "evt_missed" }?.attempts == [200], "the ingress answered the replayed delivery 200")
            #expect(koyweHooks.first { $0.id == "evt_done" }?.attempts == [], "a delivered event is not asked again")

            let bitso = try CLI.run(["reconcile", "bitso", "--replay", "--since", "6d", "--config", routesPath], environment: environment)
            #expect(bitso.status == 0, "\(bitso.stderr)")
            // 6 days = two 3-day windows × (funding, withdrawal); Bitso refuses longer windows.
            #expect(bitso.stdout.contains("4 requests, asked to resend 1, provider scheduled 1"), "\(bitso.stdout)")
            try await eventually("Bitso's retry to reach Kafka") {
                try await ReconcileCommandTests.ids(on: "\(prefix).bitso.funding.complete", broker: broker).count == 1
            }
            let retries = try await standIn.requests().filter { $0.provider == "bitso" }
            #expect(retries.allSatisfy { $0.status < 300 }, "every window is one Bitso accepts: \(retries)")
            // Asked again, nothing is undelivered any more.
            let again = try CLI.run(["reconcile", "bitso", "--replay", "--since", "6d", "--config", routesPath], environment: environment)
            #expect(again.stdout.contains("asked to resend 0, provider scheduled 0"), "\(again.stdout)")

            // Bitnob: the delivery Events API needs the webhook's id.
            let unset = try CLI.run(["reconcile", "bitnob", "--replay", "--config", routesPath], environment: environment)
            #expect(unset.status == 1)
            #expect(unset.stderr.contains("api.settings.webhookId"), "\(unset.stderr)")
            // A failed delivery and a successful one in the window, an old failed one outside it.
            for (id, delivered, ago) in [
                ("evt-bitnob-failed", false, 600_000), ("evt-bitnob-ok", true, 600_000), ("evt-bitnob-old", false, 3 * 86_400_000),
            ] {
                let body =
                    #"{"event": "btc.lightning.received.success", "data": {"id": "\#(id)", "amount": "0.00010000", "currency": "BTC", "status": "success", "reference": "\#(id)"}}"#
                try await standIn.webhook(
                    "bitnob",
                    id: id,
                    event: "btc.lightning.received.success",
                    delivered: delivered,
                    createdAgoMs: ago,
                    url: "http://127.0.0.1:\(port)/webhooks/bitnob-events",
                    headers: [
                        "Content-Type": "application/json", "x-bitnob-signature": Sign.bitnob(Array(body.utf8), secret: "koywe-replay-secret"),
                    ],
                    body: body
                )
            }
            let bitnobDry = try CLI.run(
                ["reconcile", "bitnob-events", "--replay", "--since", "2h", "--dry-run", "--config", routesPath],
                environment: environment
            )
            #expect(bitnobDry.status == 0, "\(bitnobDry.stderr)")
            #expect(
                bitnobDry.stdout.contains("delivery event evt-bitnob-ok (btc.lightning.received.success): skipped (success)"),
                "\(bitnobDry.stdout)"
            )
            #expect(!bitnobDry.stdout.contains("evt-bitnob-old"), "outside the window: \(bitnobDry.stdout)")
            let bitnob = try CLI.run(["reconcile", "bitnob-events", "--replay", "--since", "2h", "--config", routesPath], environment: environment)
            #expect(bitnob.status == 0, "\(bitnob.stderr)")
            #expect(bitnob.stdout.contains("asked to resend 1, provider scheduled 1"), "\(bitnob.stdout)")
            try await eventually("Bitnob's retried delivery to reach Kafka") {
                try await ReconcileCommandTests.ids(on: "\(prefix).bitnob-events.btc.lightning.received.success", broker: broker).map(\.id).contains {
                    $0.contains("evt-bitnob-failed")
                }
            }
        }
    }
}
