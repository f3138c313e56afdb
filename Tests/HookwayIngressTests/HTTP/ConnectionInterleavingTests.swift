import HookwayTesting
import NIOCore
import Testing

/// Random interleavings on one connection: pipelined webhooks, health checks, refusals, an
/// over-limit body, parser errors, `Connection: close`, half-close and the client leaving, the
/// bytes cut at random places and Kafka's acknowledgements given at random moments. Whatever
/// the mix, the handler lives and every answer comes in request order with the right status.
struct ConnectionInterleavingTests {
    enum Step {
        case request(String, status: Int, terminal: Bool)
        case halfClose
        case leave
    }

    static func randomSteps(_ rng: inout SplitMix64, seed: UInt64) -> [Step] {
        var steps: [Step] = []
        for n in 0..<Int.random(in: 1...12, using: &rng) {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<35: steps.append(.request(EmbeddedIngress.webhook(id: "s\(seed)-\(n)"), status: 200, terminal: false))
            case 35..<50: steps.append(.request(EmbeddedIngress.health, status: 200, terminal: false))
            case 50..<65: steps.append(.request(EmbeddedIngress.unsigned, status: 401, terminal: false))
            case 65..<72: steps.append(.request("POST /webhooks/nope HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", status: 404, terminal: false))
            case 72..<77: steps.append(.request("POST /webhooks/bitnob HTTP/1.1\r\nContent-Length: 999999\r\n\r\n", status: 413, terminal: true))
            case 77..<82: steps.append(.request("\u{1}GARBAGE\r\n\r\n", status: 400, terminal: true))
            case 82..<87: steps.append(.request(EmbeddedIngress.webhook(id: "c\(seed)-\(n)", connection: "close"), status: 200, terminal: true))
            case 87..<94: steps.append(.halfClose)
            default: steps.append(.leave)
            }
        }
        return steps
    }

    static func describe(_ steps: [Step]) -> String {
        steps.map { step in
            switch step {
            case .request(let text, let status, _): return "\(status):\(text.prefix(30).debugDescription)"
            case .halfClose: return "half-close"
            case .leave: return "leave"
            }
        }.joined(separator: " ")
    }

    @Test func randomInterleavingsAreAnsweredInOrder() throws {
        for seed in UInt64(1)...1000 {
            var rng = SplitMix64(state: seed)
            let steps = Self.randomSteps(&rng, seed: seed)
            let ingress = try EmbeddedIngress()
            var expected: [Int] = []
            var ended = false  // no answer is expected after this point
            var left = false
            for step in steps {
                switch step {
                case .request(let text, let status, let terminal):
                    let bytes = Array(text.utf8)
                    var start = 0
                    while start < bytes.count {
                        let end = min(bytes.count, start + Int.random(in: 1...max(1, bytes.count), using: &rng))
                        ingress.send(Array(bytes[start..<end]))
                        start = end
                        if Bool.random(using: &rng) { ingress.acknowledge() }
                    }
                    if !ended { expected.append(status) }
                    if terminal { ended = true }
                case .halfClose:
                    ingress.halfClose()
                    ended = true
                case .leave:
                    if ingress.isActive { try ingress.channel.close().wait() }
                    left = true
                    ended = true
                }
                if left { break }
            }
            while ingress.acknowledge() {}
            let statuses = ingress.answers().map(\.status).filter { $0 != 100 }
            if left {
                #expect(Array(expected.prefix(statuses.count)) == statuses, "seed \(seed): \(statuses) is not a prefix of \(expected)")
            } else {
                #expect(statuses == expected, "seed \(seed): \(Self.describe(steps))")
            }
            #expect(ingress.publisher.heldCount == 0, "seed \(seed): every publish was completed")
        }
    }
}
