import Foundation
import NIOCore
import Testing

@testable import HookwayIngress

/// ``IngressConnectionHandler`` on NIO's `EmbeddedChannel`, behind the real HTTP codec: what a
/// client sees, event by event, with Kafka's acknowledgements and the clock in the test's hands.
struct IngressConnectionHandlerTests {
    typealias Ingress = EmbeddedIngress

    @Test func pipelinedWebhooksAndHealthChecksAreAnsweredInOrder() throws {
        let ingress = try Ingress()
        ingress.send(Ingress.webhook(id: "p-1") + Ingress.health + Ingress.webhook(id: "p-2") + Ingress.health)
        #expect(ingress.answers().isEmpty, "nothing is answered before Kafka acknowledges the first")
        #expect(ingress.publisher.published.count == 1, "the second webhook waits behind the first")
        #expect(ingress.acknowledge())
        var answers = ingress.answers()
        #expect(answers.map(\.status) == [200, 200])
        #expect(answers.first?.body.contains("p-1") == true)
        #expect(answers.last?.body.contains(#""status":"ok""#) == true)
        #expect(ingress.acknowledge())
        answers = ingress.answers()
        #expect(answers.map(\.status) == [200, 200])
        #expect(answers.first?.body.contains("p-2") == true)
        #expect(ingress.isActive)
    }

    @Test func aBodyInPiecesIsCollected() throws {
        let ingress = try Ingress()
        let request = Array(Ingress.webhook(id: "pieces").utf8)
        for start in stride(from: 0, to: request.count, by: 7) {
            ingress.send(Array(request[start..<min(start + 7, request.count)]))
        }
        ingress.acknowledge()
        let answer = ingress.answers().first
        #expect(answer?.status == 200)
        #expect(answer?.body.contains("pieces") == true)
        #expect(answer?.header("server") == "hookway")
        #expect(answer?.header("date") != nil)
    }

    @Test func aDeclaredAndAStreamedOverLimitBodyAre413() throws {
        let ingress = try Ingress()
        ingress.send("POST /webhooks/bitnob HTTP/1.1\r\nContent-Length: 70000\r\n\r\n")
        let declared = ingress.answers()
        #expect(declared.map(\.status) == [413])
        #expect(declared.first?.header("connection") == "close")
        #expect(!ingress.isActive)

        let streamed = try Ingress()
        streamed.send("POST /webhooks/bitnob HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = String(repeating: "a", count: 40_000)
        streamed.send("9c40\r\n\(chunk)\r\n")
        #expect(streamed.answers().isEmpty)
        streamed.send("9c40\r\n\(chunk)\r\n")
        #expect(streamed.answers().map(\.status) == [413])
        #expect(streamed.publisher.published.isEmpty)
    }

    @Test func eachDeadlineFires() throws {
        // Header: no head within headerTimeoutMs of the connection's start.
        var ingress = try Ingress()
        ingress.send("POST /webhooks/bit")
        ingress.advance(by: .milliseconds(999))
        #expect(ingress.isActive)
        ingress.advance(by: .milliseconds(2))
        #expect(!ingress.isActive)

        // Body: 408 after readTimeoutMs from the head, then close.
        ingress = try Ingress()
        ingress.send("POST /webhooks/bitnob HTTP/1.1\r\nContent-Length: 10\r\n\r\n{")
        ingress.advance(by: .milliseconds(2001))
        let answers = ingress.answers()
        #expect(answers.map(\.status) == [408])
        #expect(answers.first?.body.contains("request_timeout") == true)
        #expect(!ingress.isActive)

        // Idle: closed idleTimeoutMs after the last answer; no deadline while Kafka is awaited.
        ingress = try Ingress()
        ingress.send(Ingress.webhook(id: "idle"))
        ingress.advance(by: .seconds(30))
        #expect(ingress.isActive, "the publish has its own deadline, not the connection's")
        ingress.acknowledge()
        #expect(ingress.answers().map(\.status) == [200])
        ingress.advance(by: .milliseconds(4999))
        #expect(ingress.isActive)
        ingress.advance(by: .milliseconds(2))
        #expect(!ingress.isActive)
    }

    /// One task per connection follows the deadlines: the head deadline's task, still armed when
    /// the body's later deadline replaces it, fires early, finds the body deadline not due, and
    /// re-arms for it.
    @Test func aLaterDeadlineReplacingAnEarlierOneFiresAtItsOwnTime() throws {
        let ingress = try Ingress()
        ingress.advance(by: .milliseconds(500))
        ingress.send("POST /webhooks/bitnob HTTP/1.1\r\nContent-Length: 10\r\n\r\n{")
        ingress.advance(by: .milliseconds(600))  // past the head deadline (1 s)
        #expect(ingress.isActive)
        #expect(ingress.answers().isEmpty)
        ingress.advance(by: .milliseconds(1_350))  // 2.45 s: the body deadline (head + 2 s) is not due
        #expect(ingress.isActive)
        ingress.advance(by: .milliseconds(100))
        #expect(ingress.answers().map(\.status) == [408])
        #expect(!ingress.isActive)
    }

    @Test func halfCloseBeforeAndDuringAnAnswer() throws {
        var ingress = try Ingress()
        ingress.halfClose()
        #expect(!ingress.isActive)

        ingress = try Ingress()
        ingress.send(Ingress.webhook(id: "half-closed"))
        ingress.halfClose()
        #expect(ingress.isActive, "the answer is still owed")
        ingress.acknowledge()
        #expect(ingress.answers().map(\.status) == [200])
        #expect(!ingress.isActive)
    }

    @Test func theClientClosingMidAnswerDropsTheAnswerAndTheQueuedWebhook() throws {
        let ingress = try Ingress()
        ingress.send(Ingress.webhook(id: "first") + Ingress.webhook(id: "queued"))
        try ingress.channel.close().wait()
        ingress.acknowledge()
        #expect(ingress.publisher.published.count == 1, "a webhook that waited is not started for a client that left")
        #expect(ingress.publisher.published.first?.contains("first") == true)
    }

    @Test func aParserErrorAfterAWebhookIsAnsweredAfterIt() throws {
        let ingress = try Ingress()
        ingress.send(Ingress.webhook(id: "before-garbage") + "\u{1}\u{2} NOT HTTP\r\n\r\n")
        #expect(ingress.answers().isEmpty)
        ingress.acknowledge()
        let answers = ingress.answers()
        #expect(answers.map(\.status) == [200, 400])
        #expect(answers.first?.body.contains("before-garbage") == true)
        #expect(answers.last?.body.contains("malformed_payload") == true)
        #expect(!ingress.isActive)
    }

    @Test func anythingAfterConnectionCloseIsIgnored() throws {
        let ingress = try Ingress()
        ingress.send(Ingress.webhook(id: "closing", connection: "Close") + "GARBAGE\r\n\r\n")
        ingress.acknowledge()
        let answers = ingress.answers()
        #expect(answers.map(\.status) == [200])
        #expect(answers.first?.header("connection") == "close")
        #expect(!ingress.isActive)
    }

    @Test func framingErrorsInsideABodyAre400ThenClose() throws {
        for framing in [
            "Transfer-Encoding: gzip, chunked, identity\r\n\r\n",
            "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
            "Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
        ] {
            let ingress = try Ingress()
            ingress.send("POST /webhooks/bitnob HTTP/1.1\r\nHost: x\r\n" + framing)
            let answers = ingress.answers()
            #expect(answers.map(\.status) == [400], "\(framing.debugDescription)")
            #expect(!ingress.isActive, "\(framing.debugDescription)")
        }
    }

    @Test func theLastRequestOfAConnectionSaysCloseAndCloses() throws {
        let ingress = try Ingress(limits: #""readTimeoutMs": 2000, "maxRequestsPerConnection": 2"#)
        ingress.send(Ingress.health + Ingress.health + Ingress.health)
        let answers = ingress.answers()
        #expect(answers.map(\.status) == [200, 200])
        #expect(answers.last?.header("connection") == "close")
        #expect(!ingress.isActive)
    }

    @Test func expectContinueIsAnsweredOnceAdmittedOrRefusedInstead() throws {
        var ingress = try Ingress()
        let webhook = Ingress.webhook(id: "expects", extraHeaders: "Expect: 100-continue\r\n")
        let split = webhook.range(of: "\r\n\r\n")!.upperBound
        ingress.send(String(webhook[..<split]))
        #expect(ingress.answers().map(\.status) == [100])
        ingress.send(String(webhook[split...]))
        ingress.acknowledge()
        #expect(ingress.answers().map(\.status) == [200])

        ingress = try Ingress()
        ingress.send("POST /webhooks/nope HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(ingress.answers().map(\.status) == [404])
        #expect(!ingress.isActive)
    }

    @Test func http10WithoutKeepAliveCloses() throws {
        let ingress = try Ingress()
        ingress.send("GET /healthz HTTP/1.0\r\n\r\n")
        #expect(ingress.answers().map(\.status) == [200])
        #expect(!ingress.isActive)
    }

    @Test func getOnlyPathsAnswer405WithTheirOwnAllow() throws {
        let ingress = try Ingress()
        ingress.send("POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n" + "GET /webhooks/bitnob HTTP/1.1\r\n\r\n")
        let answers = ingress.answers()
        #expect(answers.map(\.status) == [405, 405])
        #expect(answers.first?.header("allow") == "GET, HEAD")
        #expect(answers.first?.body.contains("/healthz is read with GET or HEAD") == true)
        #expect(answers.last?.header("allow") == "POST")
    }

    /// Issue #28 item 1: a slow webhook, then ten thousand unsigned pipelined refusals.
    @Test func tenThousandPipelinedRefusalsBehindASlowWebhookAreAnsweredWithoutRecursion() throws {
        let ingress = try Ingress(limits: #""readTimeoutMs": 2000, "maxRequestsPerConnection": 20000"#)
        ingress.send(Ingress.webhook(id: "slow") + String(repeating: Ingress.unsigned, count: 10_000))
        ingress.acknowledge()
        let answers = ingress.answers()
        #expect(answers.count == 10_001)
        #expect(answers.first?.status == 200)
        #expect(answers.dropFirst().allSatisfy { $0.status == 401 })
        #expect(ingress.isActive)
    }
}
