import Foundation
import HookwayTesting
import Testing

/// The connection handler over real sockets with a real broker: answers in request order on a
/// pipelining connection, large bodies, a body in pieces, `Connection: close`, half-close, and
/// the pre-authentication burst of issue #28.
@Suite(.timeLimit(.minutes(3)))
struct ConnectionOverSocketTests {
    static func webhook(_ body: [UInt8], connection: String? = nil) -> [UInt8] {
        var head = "POST /webhooks/bitnob HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += "x-bitnob-signature: \(Sign.bitnob(body))\r\nContent-Length: \(body.count)\r\n"
        if let connection { head += "Connection: \(connection)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    /// The answer is a 200 for the webhook of `id`.
    static func expectAccepted(_ answer: RawHTTPClient.Answer?, id: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer?.status == 200, "\(answer?.body.prefix(200) ?? "no answer")", sourceLocation: sourceLocation)
        #expect(answer?.body.contains(id) == true, sourceLocation: sourceLocation)
    }

    static func withIngress(maxBodyBytes: Int = 65536, _ body: @escaping @Sendable (Int) throws -> Void) async throws {
        let topic = "fast-\(UUID().uuidString.lowercased())"
        let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic, maxBodyBytes: maxBodyBytes))
        try await withTeardown({ await ingress.stop() }) {
            let port = ingress.port
            try await RawHTTPClient.onThread { try body(port) }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderWhicheverPathAnswersThem() async throws {
        try await Self.withIngress { port in
            let connection = try RawConnection(port: port)
            let first = Bodies.bitnob(id: "pipelined-1")
            let second = Bodies.bitnob(id: "pipelined-2")
            // One write: webhook, health, webhook, health — the first webhook is still being
            // published when the other three have arrived.
            _ = connection.write(
                Self.webhook(first) + Array(RawConnection.request("/healthz").utf8) + Self.webhook(second)
                    + Array(RawConnection.request("/healthz").utf8)
            )
            var answers: [RawHTTPClient.Answer] = []
            for _ in 0..<4 {
                guard let answer = connection.readAnswer(timeout: 10) else { break }
                answers.append(answer)
            }
            #expect(answers.map(\.status) == [200, 200, 200, 200])
            #expect(answers.count == 4 && answers[0].body.contains("pipelined-1"), "\(answers.map(\.body))")
            #expect(answers.count == 4 && answers[1].body.contains(#""status":"ok""#))
            #expect(answers.count == 4 && answers[2].body.contains("pipelined-2"))
            #expect(answers.count == 4 && answers[3].body.contains(#""status":"ok""#))
        }
    }

    @Test func aBodyInPiecesAndALargeBodyAreBothAccepted() async throws {
        try await Self.withIngress(maxBodyBytes: 300_000) { port in
            let connection = try RawConnection(port: port)
            let request = Self.webhook(Bodies.bitnob(id: "in-pieces"))
            for piece in stride(from: 0, to: request.count, by: 40) {
                _ = connection.write(Array(request[piece..<min(piece + 40, request.count)]))
                // Pacing the client's writes (so the head and body arrive in separate reads), not
                // waiting for an outcome: the answer below is read as soon as it comes.
                Thread.sleep(forTimeInterval: 0.01)
            }
            let pieces = connection.readAnswer(timeout: 10)
            #expect(pieces?.status == 200, "\(pieces?.body ?? "no answer")")
            #expect(pieces?.headers.contains { $0.0.lowercased() == "content-length" } == true)
            #expect(pieces?.headers.first { $0.0.lowercased() == "server" }?.1 == "hookway")

            // Above the inline limit (64 KiB): verified in a task, same answer.
            let padding = String(repeating: "p", count: 200_000)
            let large = Array(
                #"{"event":"payout.transfer.success","data":{"id":"large-body","amount":"1.00","status":"success","note":"\#(padding)"}}"#.utf8
            )
            _ = connection.write(Self.webhook(large))
            Self.expectAccepted(connection.readAnswer(timeout: 10), id: "large-body")
        }
    }

    @Test func aClientThatHalfClosesAfterItsRequestStillGetsTheAnswer() async throws {
        try await Self.withIngress { port in
            let connection = try RawConnection(port: port)
            _ = connection.write(Self.webhook(Bodies.bitnob(id: "half-closed")))
            _ = shutdown(connection.fd, Int32(SHUT_WR))
            Self.expectAccepted(connection.readAnswer(timeout: 10), id: "half-closed")
        }
    }

    @Test func connectionCloseIsHonouredAndRefusalsKeepTheConnection() async throws {
        try await Self.withIngress { port in
            let connection = try RawConnection(port: port)
            // Refused before its body is read (unknown source): the body is dropped and the
            // connection serves the next request.
            _ = connection.write("POST /webhooks/nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            #expect(connection.readAnswer(timeout: 10)?.status == 404)
            _ = connection.write(Self.webhook(Bodies.bitnob(id: "closing"), connection: "close"))
            #expect(connection.readAnswer(timeout: 10)?.status == 200)
            #expect(connection.isClosedByServer(within: 5))
        }
    }

    /// Issue #28 item 1: a wrongly signed webhook above the inline limit (verified in a task),
    /// then ten thousand unsigned pipelined requests: the server answers each in order until
    /// `maxRequestsPerConnection` (1000) closes the connection, and lives.
    @Test func anUnauthenticatedPipelinedBurstBehindASlowWebhookIsAnsweredAndTheServerLives() async throws {
        try await Self.withIngress(maxBodyBytes: 300_000) { port in
            let connection = try RawConnection(port: port)
            let padding = String(repeating: "p", count: 70_000)
            let large = Array(#"{"event":"payout.transfer.success","data":{"id":"x","note":"\#(padding)"}}"#.utf8)
            let burst =
                Array("POST /webhooks/bitnob HTTP/1.1\r\nHost: x\r\nx-bitnob-signature: 00\r\nContent-Length: \(large.count)\r\n\r\n".utf8)
                + large + Array(String(repeating: "POST /webhooks/bitnob HTTP/1.1\r\n\r\n", count: 10_000).utf8)
            // Written on its own thread: the server answers while the client is still sending.
            let writer = Thread { connection.write(burst) }
            writer.start()
            var statuses: [Int] = []
            while statuses.count < 10_001, let answer = connection.readAnswer(timeout: 10) { statuses.append(answer.status) }
            #expect(statuses.count == 1000)
            #expect(statuses.allSatisfy { $0 == 401 })
            let health = try RawConnection(port: port)
            _ = health.write(RawConnection.request())
            #expect(health.readAnswer(timeout: 10)?.status == 200, "the server lives")
        }
    }

    /// Issue #28 item 3: a webhook's own answer comes before the parser error of what follows it.
    @Test func aWebhookFollowedByGarbageGetsItsOwnAnswerFirst() async throws {
        try await Self.withIngress { port in
            let connection = try RawConnection(port: port)
            _ = connection.write(Self.webhook(Bodies.bitnob(id: "then-garbage")) + Array("\u{1}\u{2} NOT HTTP\r\n\r\n".utf8))
            Self.expectAccepted(connection.readAnswer(timeout: 10), id: "then-garbage")
            #expect(connection.readAnswer(timeout: 10)?.status == 400)
            #expect(connection.isClosedByServer(within: 5))
        }
    }
}
