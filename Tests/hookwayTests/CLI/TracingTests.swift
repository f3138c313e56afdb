import Foundation
import HookwayCore
import HookwayTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 30's traces, end to end: `make run`'s routes file, `hookway serve` and `hookway consume`
/// exporting over OTLP/HTTP to a receiver that decodes the real protobuf (scripts/otlp-receiver.py).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct TracingTests {
    /// A Bitso funding (ledger, confirm, index), a large Bitso withdrawal (the email sink) and a
    /// Bit Capital user (the CRM sink): each webhook's trace runs from its server span through
    /// the Kafka publish into every sink's span, and the sinks' own calls are children of those.
    @Test func oneTraceFollowsEachWebhookThroughKafkaIntoEverySinkKind() async throws {
        let receiver = try await OTLPReceiver.start()
        let stack = try await EndToEndTests.startStack(environment: receiver.environment())
        let metricsPort = try TansuBroker.unusedPort()
        var consume: Process?
        do {
            let funding = try CLI.run(
                ["simulate", "bitso", "funding.complete", "--entity-id", "demo-funding-1", "--config", stack.config, "--url", stack.url],
                environment: stack.env
            )
            #expect(funding.stdout.hasPrefix("200 "), "\(funding.stdout)\(funding.stderr)")
            let user = try CLI.run(["simulate", "bitcapital", "user.ready", "--config", stack.config, "--url", stack.url], environment: stack.env)
            #expect(user.stdout.hasPrefix("200 "), "\(user.stdout)\(user.stderr)")
            let payload =
                #"{"wid":"w-traced-1","status":"complete","amount":"15000.00","currency":"mxn","method":"sp","details":{"clave_rastreo":"TRK9"}}"#
            let withdrawal = try await EndToEndTests.postBitsoWithdrawal(stack, payload: payload)
            #expect(withdrawal.hasPrefix("200"), "\(withdrawal)")
            consume = try CLI.start(
                ["consume", "--config", stack.config, "--metrics-port", "\(metricsPort)"],
                environment: stack.env,
                log: stack.dir + "/consume.log"
            )
            let fundingID = "bitso:funding:demo-funding-1:complete"
            let spans = try await receiver.waitForSpans("every sink's span and its children") { spans in
                let sinks = Set(spans.filter { $0.kind == "consumer" }.compactMap { $0.attributes["hookway.sink"] })
                return sinks.isSuperset(of: ["ledger", "confirm-deposits", "ops-email", "crm", "index"])
                    && spans.contains { $0.name == "ledger book" } && spans.contains { $0.service == "hookway-consume" && $0.kind == "client" }
                    && spans.contains { $0.name == "POST" && $0.kind == "client" }
            }
            #expect(try await receiver.errors().isEmpty)

            // The funding: server → verify, send → deliver ledger → ledger book; deliver
            // confirm-deposits → the provider API's GET; the index's spans in the same trace.
            let server = try #require(spans.first { $0.kind == "server" && $0.attributes["cloudevents.event_id"] == fundingID }, "\(spans)")
            #expect(server.service == "hookway-serve")
            #expect(server.name == "POST /webhooks/bitso")
            #expect(server.parentSpanID.isEmpty && server.links.isEmpty)
            #expect(server.attributes["http.response.status_code"] == "200")
            #expect(server.attributes["url.path"] == "/webhooks/bitso/REDACTED" || server.attributes["url.path"] == "/webhooks/bitso")
            let trace = spans.filter { $0.traceID == server.traceID }
            let verify = try #require(trace.first { $0.name == "verify" })
            #expect(verify.parentSpanID == server.spanID)
            let send = try #require(trace.first { $0.kind == "producer" && $0.parentSpanID == server.spanID }, "\(trace)")
            #expect(send.attributes["messaging.system"] == "kafka")
            #expect(send.attributes["messaging.destination.name"]?.contains("payments.deposits") == true)
            let ledger = try #require(trace.first { $0.kind == "consumer" && $0.attributes["hookway.sink"] == "ledger" }, "\(trace)")
            #expect(ledger.parentSpanID == send.spanID)
            #expect(ledger.service == "hookway-consume")
            #expect(ledger.attributes["hookway.outcome"] == "booked")
            #expect(ledger.attributes["messaging.destination.name"] == "payments.deposits")
            let book = try #require(trace.first { $0.name == "ledger book" })
            #expect(book.parentSpanID == ledger.spanID)
            let confirm = try #require(trace.first { $0.kind == "consumer" && $0.attributes["hookway.sink"] == "confirm-deposits" })
            #expect(confirm.parentSpanID == send.spanID)
            let api = try #require(trace.first { $0.kind == "client" && $0.parentSpanID == confirm.spanID }, "\(trace)")
            #expect(api.name == "GET")
            #expect(api.attributes["http.response.status_code"] == "200")
            // The index reads the outcome topic: the funding's outcomes carry its trace, so the
            // index's spans for them are in it too.
            #expect(trace.contains { $0.kind == "consumer" && $0.attributes["hookway.sink"] == "index" })

            // The withdrawal reaches the email sink in its own trace.
            let alert = try #require(spans.first { $0.kind == "consumer" && $0.attributes["hookway.sink"] == "ops-email" })
            let alertSend = try #require(spans.first { $0.spanID == alert.parentSpanID }, "the email span's parent was not exported")
            #expect(alertSend.traceID == alert.traceID && alertSend.kind == "producer")
            #expect(spans.contains { $0.spanID == alertSend.parentSpanID && $0.kind == "server" && $0.name == "POST /webhooks/bitso" })

            // The CRM call is a child of the CRM delivery, and its traceparent reached the CRM.
            let crm = try #require(spans.first { $0.kind == "consumer" && $0.attributes["hookway.sink"] == "crm" })
            let crmCall = try #require(spans.first { $0.kind == "client" && $0.name == "POST" && $0.parentSpanID == crm.spanID })
            let crmLog = try String(contentsOfFile: stack.dir + "/crm-requests.log", encoding: .utf8)
            #expect(crmLog.contains("\"traceparent\": \"00-\(crmCall.traceID)-\(crmCall.spanID)-01\""), "\(crmLog)")
            let crmServer = try #require(spans.first { $0.traceID == crm.traceID && $0.kind == "server" })
            #expect(crmServer.name == "POST /webhooks/bitcapital")

            // JSON log lines carry the ids: the ingress's line for the funding, the CRM sink's
            // "delivered" line.
            let serveLog = try String(contentsOfFile: stack.dir + "/serve.log", encoding: .utf8)
            #expect(
                serveLog.split(separator: "\n").contains {
                    $0.contains(fundingID) && $0.contains("\"trace_id\":\"\(server.traceID)\"") && $0.contains("\"span_id\":\"\(server.spanID)\"")
                },
                "\(serveLog)"
            )
            let consumeLog = try String(contentsOfFile: stack.dir + "/consume.log", encoding: .utf8)
            #expect(consumeLog.contains("\"trace_id\":\"\(crm.traceID)\""), "\(consumeLog)")
        } catch {
            Issue.record(error)
        }
        if let consume { CLI.kill(consume) }
        stack.stop()
        await receiver.stop()
    }

    /// A caller's `traceparent` is a link, never the parent, unless the source trusts it.
    @Test func aCallersTraceparentIsALinkUnlessTheSourceTrustsIt() async throws {
        let receiver = try await OTLPReceiver.start()
        let stack = try await EndToEndTests.startStack(environment: receiver.environment()) { routes in
            routes.replacingOccurrences(
                of: #""provider": "bitnob","#,
                with: #""provider": "bitnob", "trustTraceContext": true,"#
            )
        }
        do {
            let callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
            let callerSpan = "00f067aa0ba902b7"
            let traceparent = "traceparent: 00-\(callerTrace)-\(callerSpan)-01"
            let payload = #"{"wid":"w-link-1","status":"complete","amount":"10.00","currency":"mxn","method":"sp","details":{}}"#
            let untrusted = try await EndToEndTests.postBitsoWithdrawal(stack, payload: payload, headers: [traceparent])
            #expect(untrusted.hasPrefix("200"), "\(untrusted)")
            let body =
                #"{"event":"btc.lightning.received.success","data":{"id":"dep-trusted-1","amount":"0.01","currency":"BTC","status":"success","customerEmail":"t@example.com"}}"#
            let trusted = try await EndToEndTests.post(stack, path: "/webhooks/bitnob", body: body, bitnob: true, headers: [traceparent])
            #expect(trusted.hasPrefix("200"), "\(trusted)")
            // A malformed traceparent is neither: a root span without a link.
            let garbage = try await EndToEndTests.post(
                stack,
                path: "/webhooks/bitnob",
                body: body.replacingOccurrences(of: "dep-trusted-1", with: "dep-garbage-1"),
                bitnob: true,
                headers: ["traceparent: 00-zz-\(callerSpan)-01"]
            )
            #expect(garbage.hasPrefix("200"), "\(garbage)")
            let spans = try await receiver.waitForSpans("the three server spans") { spans in
                spans.filter { $0.kind == "server" }.count >= 3
            }
            let servers = spans.filter { $0.kind == "server" }
            let bitso = try #require(servers.first { $0.name == "POST /webhooks/bitso" })
            #expect(bitso.traceID != callerTrace)
            #expect(bitso.parentSpanID.isEmpty)
            #expect(bitso.links.count == 1)
            #expect(bitso.links.first?.traceID == callerTrace && bitso.links.first?.spanID == callerSpan)
            let bitnob = servers.filter { $0.name == "POST /webhooks/bitnob" }
            let adopted = try #require(bitnob.first { $0.traceID == callerTrace }, "\(bitnob)")
            #expect(adopted.parentSpanID == callerSpan)
            #expect(adopted.links.isEmpty)
            let root = try #require(bitnob.first { $0.traceID != callerTrace }, "\(bitnob)")
            #expect(root.parentSpanID.isEmpty && root.links.isEmpty)
        } catch {
            Issue.record(error)
        }
        stack.stop()
        await receiver.stop()
    }

    /// A webhook answered from the spool while the broker is down keeps its trace: the spool's
    /// append and drain spans, and the ledger's delivery after the broker is back, all hang off
    /// the publish span of the request that was answered during the outage.
    @Test func aSpooledEventsTraceSurvivesABrokerOutage() async throws {
        let receiver = try await OTLPReceiver.start()
        let stack = try await EndToEndTests.startStack(environment: receiver.environment())
        var consume: Process?
        do {
            stack.broker.kill()
            let body =
                #"{"event":"btc.lightning.received.success","data":{"id":"dep-spooled-1","amount":"0.02","currency":"BTC","status":"success","customerEmail":"s@example.com"}}"#
            let answer = try await EndToEndTests.post(stack, path: "/webhooks/bitnob", body: body, bitnob: true)
            #expect(answer.hasPrefix("200") && answer.contains("\"spooled\":true"), "\(answer)")
            try await stack.broker.restart()
            consume = try CLI.start(
                ["consume", "--config", stack.config, "--sink", "ledger"],
                environment: stack.env,
                log: stack.dir + "/consume.log"
            )
            let spans = try await receiver.waitForSpans("the spooled event's delivery to the ledger", timeout: .seconds(90)) { spans in
                spans.contains { $0.name == "spool drain" } && spans.contains { $0.attributes["hookway.sink"] == "ledger" && $0.kind == "consumer" }
            }
            let server = try #require(spans.first { $0.kind == "server" && $0.name == "POST /webhooks/bitnob" }, "\(spans)")
            let send = try #require(spans.first { $0.kind == "producer" && $0.parentSpanID == server.spanID }, "\(spans)")
            #expect(send.attributes["hookway.spooled"] == "true")
            let append = try #require(spans.first { $0.name == "spool append" })
            let drain = try #require(spans.first { $0.name == "spool drain" })
            let ledger = try #require(spans.first { $0.attributes["hookway.sink"] == "ledger" && $0.kind == "consumer" })
            for span in [append, drain, ledger] {
                #expect(span.traceID == server.traceID, "\(span)")
                #expect(span.parentSpanID == send.spanID, "\(span)")
            }
            #expect(drain.attributes["hookway.kafka.positions"]?.contains("payments.deposits[") == true, "\(drain)")
            #expect(ledger.attributes["hookway.outcome"] == "booked")
        } catch {
            Issue.record(error)
        }
        if let consume { CLI.kill(consume) }
        stack.stop()
        await receiver.stop()
    }
}
