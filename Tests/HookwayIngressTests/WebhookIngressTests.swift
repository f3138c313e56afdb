import Foundation
import HookwayCore
import HookwayKafka
import HookwayProviders
import HookwayRuntime
import HookwayTesting
import Testing

/// The ingress end to end: real HTTP server, real Tansu broker, real Kafka messages.
@Suite(.timeLimit(.minutes(3)))
struct WebhookIngressTests {
    @Test func validBitnobDeliveryIsPublishedWithKeyHeadersAndCloudEvent() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic))
        try await withTeardown({ await ingress.stop() }) {
            let body = Array(Bodies.bitnobPayout.utf8)
            let answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.json?["id"]?.stringValue == "bitnob:payout.transfer.success:1ad3d098-e6f4-4811-9a74-ae5371b3d722")
            #expect(answer.json?["type"]?.stringValue == "bitnob.payout.transfer.success")
            #expect(answer.json?["topics"] == .array([.string(topic), .string("\(topic).bitnob")]))

            let messages = try await ingress.consume([topic, "\(topic).bitnob"], count: 2)
            #expect(Set(messages.map(\.topic)) == [topic, "\(topic).bitnob"])
            for message in messages {
                #expect(message.key == Array("1ad3d098-e6f4-4811-9a74-ae5371b3d722".utf8))
                let headers = Dictionary(
                    message.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) },
                    uniquingKeysWith: { a, _ in a }
                )
                #expect(headers["content-type"] == "application/cloudevents+json; charset=utf-8")
                #expect(headers["ce_id"] == "bitnob:payout.transfer.success:1ad3d098-e6f4-4811-9a74-ae5371b3d722")
                #expect(headers["ce_type"] == "bitnob.payout.transfer.success")
                #expect(headers["ce_source"] == "/webhooks/bitnob")
                #expect(headers["ce_subject"] == "1ad3d098-e6f4-4811-9a74-ae5371b3d722")
                let event = try Event.decode(message.value ?? [])
                #expect(event.data.amount == "35.81")
                #expect(event.data.reference == "45b873bd49fa")
                #expect(event.authMethod == .signature)
                #expect(event.data.payload == (try JSONParser.parse(body)))
            }
        }
    }

    @Test func everyCatalogEventOfEverySourceIsAccepted() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic))
        try await withTeardown({ await ingress.stop() }) {
            let config = try #require(RoutesConfigLoader.load(path: ingress.configPath).config)
            var sent = 0
            for name in config.sourceNames {
                let source = try #require(config.sources[name])
                let adapter = try #require(ProviderRegistry.adapter(named: source.provider))
                for entry in type(of: adapter).catalog {
                    let sample = try #require(adapter.sample(event: entry.name, source: source, now: .now(), tampered: false))
                    let path = "/webhooks/\(name)" + (sample.pathSuffix.map { "/\($0)" } ?? "")
                    let answer = try await ingress.send(path, headers: sample.headers, body: sample.body)
                    #expect(answer.status == 200, "\(name) \(entry.name): \(answer.body)")
                    #expect(answer.json?["type"]?.stringValue == "\(source.provider).\(entry.name)", "\(name) \(entry.name)")
                    let tampered = try #require(adapter.sample(event: entry.name, source: source, now: .now(), tampered: true))
                    let bad = try await ingress.send(
                        "/webhooks/\(name)" + (tampered.pathSuffix.map { "/\($0)" } ?? ""),
                        headers: tampered.headers,
                        body: tampered.body
                    )
                    #expect(bad.status == 401, "\(name) \(entry.name) tampered: \(bad.body)")
                    sent += 1
                }
            }
            #expect(sent > 60)
            let messages = try await ingress.consume([topic], count: sent)
            #expect(messages.count == sent)
        }
    }

    @Test func rejectedDeliveriesGetTheirCodeAndPublishNothing() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic))
        try await withTeardown({ await ingress.stop() }) {
            let body = Bodies.bitnob()
            var answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body, secret: "wrong"))], body: body)
            #expect(answer.status == 401)
            #expect(answer.errorCode == "invalid_signature")
            answer = try await ingress.send("/webhooks/bitnob", body: body)
            #expect(answer.errorCode == "missing_signature")
            answer = try await ingress.send(
                "/webhooks/bitso/wrong",
                body: Array(#"{"event":"funding","payload":{"fid":"f1","status":"complete"}}"#.utf8)
            )
            #expect(answer.status == 401)
            #expect(answer.errorCode == "invalid_token")
            answer = try await ingress.send("/webhooks/bitso", body: Array(#"{"event":"funding","payload":{"fid":"f1","status":"complete"}}"#.utf8))
            #expect(answer.errorCode == "invalid_token")
            let stale = "\(Int(Date().timeIntervalSince1970) - 120)"
            let bcBody = Array(#"{"id":"u-1","entity":"user","status":"ready"}"#.utf8)
            answer = try await ingress.send(
                "/webhooks/bitcapital",
                headers: [
                    ("X-Request-Timestamp", stale),
                    ("X-Request-Signature", Sign.bitcapital(target: "/webhooks/bitcapital", timestamp: stale, body: bcBody)),
                ],
                body: bcBody
            )
            #expect(answer.status == 401)
            #expect(answer.errorCode == "stale_timestamp")
            // A valid signature over bytes that are not JSON: 400 after authentication.
            let notJSON = Array("not json".utf8)
            answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(notJSON))], body: notJSON)
            #expect(answer.status == 400)
            #expect(answer.errorCode == "malformed_payload")
            // Only the one valid delivery reaches Kafka.
            let good = Bodies.bitnob()
            answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(good))], body: good)
            #expect(answer.status == 200)
            let messages = try await ingress.consume([topic], count: 1, linger: .seconds(2))
            #expect(messages.count == 1)
        }
    }

    @Test func signatureIsCheckedOnRawBytes() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic))
        try await withTeardown({ await ingress.stop() }) {
            let odd = Array(
                "{ \"data\" : {\"status\":\"success\", \"id\":\"odd-1\",\n\t\"amount\": 0.000123456789012345678 } ,\"event\":\"payout.transfer.success\" }"
                    .utf8
            )
            var answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(odd))], body: odd)
            #expect(answer.status == 200, "\(answer.body)")
            let reserialized = JSONWriter.encode(try JSONParser.parse(odd))
            answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(odd))], body: reserialized)
            #expect(answer.errorCode == "invalid_signature")
            let messages = try await ingress.consume([topic], count: 1)
            #expect(try Event.decode(messages[0].value ?? []).data.amount == "0.000123456789012345678")
        }
    }

    @Test func sameDeliveryTwiceHasOneIdAndTwoStatusesHaveTwo() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic))
        try await withTeardown({ await ingress.stop() }) {
            let success = Bodies.bitnob(id: "entity-1", status: "success")
            let failed = Bodies.bitnob(id: "entity-1", status: "failed")
            let a = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(success))], body: success)
            let b = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(success))], body: success)
            let c = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(failed))], body: failed)
            #expect(a.json?["id"] == b.json?["id"])
            #expect(a.json?["id"] != c.json?["id"])
        }
    }

    @Test func httpContractCodes() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic, maxBodyBytes: 1024))
        try await withTeardown({ await ingress.stop() }) {
            var answer = try await ingress.send("/webhooks/nope", body: Array("{}".utf8))
            #expect(answer.status == 404)
            #expect(answer.errorCode == "unknown_source")
            answer = try await ingress.send("/webhooks/bitnob", method: .GET)
            #expect(answer.status == 405)
            #expect(answer.errorCode == "method_not_allowed")
            answer = try await ingress.send("/webhooks/nope", method: .PUT)
            #expect(answer.status == 405)
            let big = Array(repeating: UInt8(ascii: " "), count: 4096)
            answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(big))], body: big)
            #expect(answer.status == 413)
            #expect(answer.errorCode == "payload_too_large")
            answer = try await ingress.send("/healthz", method: .GET)
            #expect(answer.status == 200)
            answer = try await ingress.send("/readyz", method: .GET)
            #expect(answer.status == 200)
            answer = try await ingress.send("/metrics", method: .GET)
            #expect(answer.status == 200)
            #expect(answer.body.contains("hookway_requests_total"))
            // The unknown-source request above is counted under the fixed `_unknown` label (a
            // request's own name never becomes a metric label), with its code and status.
            #expect(!answer.body.contains(#"source="nope""#))
            let line = answer.body.split(separator: "\n").first {
                $0.hasPrefix("hookway_requests_total{") && $0.contains(#"source="_unknown""#) && $0.contains(#"code="unknown_source""#)
                    && $0.contains(#"status="404""#)
            }
            #expect(line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } == true, "\(answer.body.prefix(2000))")
        }
    }

    @Test func peerOutsideAllowFromIsRefused() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let extra = """
            ,
            "bitso-private": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN", "allowFrom": ["10.0.0.0/8", "2001:db8::/32"] },
            "bitso-local": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN", "allowFrom": ["127.0.0.0/8", "::1/128"] }
            """
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic, extraSources: extra), host: "::")
        try await withTeardown({ await ingress.stop() }) {
            let body = Array(#"{"event":"funding","payload":{"fid":"f-allow","status":"complete","amount":"1.00","currency":"mxn"}}"#.utf8)
            for host in ["127.0.0.1", "[::1]"] {
                var answer = try await ingress.send("/webhooks/bitso-private/t0k3n", body: body, host: host)
                #expect(answer.status == 403, "\(host)")
                #expect(answer.errorCode == "ip_not_allowed")
                answer = try await ingress.send("/webhooks/bitso-local/t0k3n", body: body, host: host)
                #expect(answer.status == 200, "\(host): \(answer.body)")
            }
        }
    }

    @Test func hotReloadAppliesValidEditsAndRefusesInvalidOnes() async throws {
        let topic = "t-\(UUID().uuidString.lowercased())"
        let routes = IngressHarness.routes(topic: topic)
        let ingress = try await IngressHarness.start(routes: routes)
        try await withTeardown({ await ingress.stop() }) {
            let edited = routes.replacingOccurrences(
                of: #"{ "name": "all", "match": {}, "to": ["\#(topic)"] }"#,
                with: #"{ "name": "all", "match": {}, "to": ["\#(topic)"] }, { "name": "new", "match": {}, "to": ["\#(topic).new"] }"#
            )
            try edited.write(toFile: ingress.configPath, atomically: true, encoding: .utf8)
            // The effect is the event: deliveries start going to the new route's topic.
            var answer = IngressHarness.Answer(status: 0, headers: [], body: "")
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let body = Bodies.bitnob()
                answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
                if answer.json?["topics"]?.jsonText.contains("\(topic).new") == true { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(answer.json?["topics"]?.jsonText.contains("\(topic).new") == true, "\(answer.body)")
            // An invalid file is refused (counted) and the config in force stays.
            func failedReloads() async throws -> Double {
                let metrics = try await ingress.send("/metrics", method: .GET).body
                return metrics.split(separator: "\n").first { $0.hasPrefix(#"hookway_config_reloads_total{result="failed"}"#) }
                    .flatMap { $0.split(separator: " ").last }.flatMap { Double(String($0)) } ?? 0
            }
            let refusedBefore = try await failedReloads()
            try "{ \"version\": 1, \"sources\": 7 }".write(toFile: ingress.configPath, atomically: true, encoding: .utf8)
            let refusedBy = ContinuousClock.now + .seconds(10)
            while try await failedReloads() <= refusedBefore, ContinuousClock.now < refusedBy { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await failedReloads() > refusedBefore, "the invalid file was never refused")
            let body = Bodies.bitnob()
            answer = try await ingress.send("/webhooks/bitnob", headers: [("x-bitnob-signature", Sign.bitnob(body))], body: body)
            #expect(answer.status == 200)
            #expect(answer.json?["topics"]?.jsonText.contains("\(topic).new") == true)
        }
    }
}
