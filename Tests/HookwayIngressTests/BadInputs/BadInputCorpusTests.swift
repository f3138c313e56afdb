import AsyncHTTPClient
import Foundation
import HookwayCore
import HookwayProviders
import HookwayRuntime
import NIOHTTP1
import Testing

/// Every case of `Tests/Fixtures/bad-inputs/` against a real ingress (real HTTP server, real
/// Tansu broker): the status and the error code must be exactly the expected ones.
@Suite(.timeLimit(.minutes(5)))
struct BadInputCorpusTests {
    /// One ingress (and one RSA key for the signed Bitso source) for the whole suite run.
    struct Environment: Sendable {
        let ingress: IngressHarness
        let signer: BadInputSigner
        let config: RoutesConfig

        static let shared = Task<Environment, any Error> {
            let key = try TestRSAKey.generate()
            let extra = """
                ,
                    "bitso-signed": { "provider": "bitso", "publicKeys": { "test-key": "file:\(key.publicKeyPath)" } },
                    "bitso-ip": { "provider": "bitso", "token": "env:BITSO_WEBHOOK_TOKEN", "allowFrom": ["10.0.0.0/8"] }
                """
            let topic = "badinputs-\(UUID().uuidString.lowercased())"
            let ingress = try await IngressHarness.start(routes: IngressHarness.routes(topic: topic, extraSources: extra))
            guard let config = RoutesConfigLoader.load(path: ingress.configPath).config else {
                throw BadInputCase.LoadError(description: "harness routes invalid")
            }
            return Environment(ingress: ingress, signer: BadInputSigner(bitso: key), config: config)
        }
    }

    @Test func corpusHasEnoughCasesForEverySource() throws {
        let cases = try BadInputCase.names.map(BadInputCase.load)
        #expect(cases.count >= 40)
        for source in ["bitcapital", "bitpowr", "bitso", "koywe", "bitnob", "acme"] {
            #expect(cases.contains { $0.source == source }, "no case for \(source)")
        }
        #expect(Set(cases.map(\.name)).count == cases.count, "duplicate case names")
    }

    @Test(arguments: BadInputCase.names)
    func badInput(_ name: String) async throws {
        let c = try BadInputCase.load(name)
        let env = try await Environment.shared.value
        let request = try env.signer.prepare(c)
        let status: Int
        let body: String
        switch c.transport {
        case "client":
            let answer = try await env.ingress.send(
                request.path,
                method: HTTPMethod(rawValue: request.method),
                headers: request.headers,
                body: request.body
            )
            status = answer.status
            body = answer.body
        default:
            let mode: RawHTTPClient.Mode
            switch c.transport {
            case "raw": mode = .whole
            case "chunked": mode = .chunked
            case "slow": mode = .stall(sendBytes: c.slowSendBytes)
            case "slow-chunked": mode = .stallChunked(sendBytes: c.slowSendBytes)
            default: throw BadInputCase.LoadError(description: "\(name): unknown transport \(c.transport)")
            }
            let port = env.ingress.port
            // Blocking socket I/O runs on its own thread, never on the cooperative pool the
            // in-process server needs.
            let answer = try await RawHTTPClient.onThread {
                try RawHTTPClient.send(
                    port: port,
                    method: request.method,
                    path: request.path,
                    headers: request.headers,
                    body: request.body,
                    mode: mode
                )
            }
            status = answer.status
            body = answer.body
            if case .stall = mode {
                // readTimeoutMs is 2000: the answer comes then, not at the client's 15 s deadline.
                #expect(answer.elapsed >= 1.5 && answer.elapsed < 6, "\(name): answered after \(answer.elapsed) s")
            }
        }
        let json = try? JSONParser.parse(Array(body.utf8))
        let code = json?.value(atPath: "error.code")?.stringValue
        #expect(status == c.expectStatus, "\(name): status \(status), body \(body.prefix(300))")
        #expect(code == c.expectCode, "\(name): code \(code ?? "none"), body \(body.prefix(300))")
        if c.expectCode != nil {
            #expect(json?.value(atPath: "error.message")?.stringValue != nil, "\(name): error body is not {\"error\":{code,message}}")
        }
        if let expected = c.expectBody {
            #expect(body.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "\(name): body \(body)")
        }
        if let type = c.expectEventType {
            #expect(json?["type"]?.stringValue == type, "\(name): \(body)")
        }
        if c.expectAmount != nil || c.expectAmountAbsent {
            // The answer does not carry data.amount: normalize the same bytes in process.
            let source = try #require(env.config.sources[c.source])
            let outcome = try WebhookIntake().process(
                WebhookRequest(
                    method: request.method,
                    target: request.path,
                    headers: request.headers,
                    body: request.body,
                    peer: IPAddress("127.0.0.1"),
                    urlToken: request.urlToken
                ),
                source: source
            )
            guard case .event(let event) = outcome else {
                Issue.record("\(name): no event")
                return
            }
            if c.expectAmountAbsent {
                #expect(event.data.amount == nil, "\(name): amount \(event.data.amount ?? "")")
            } else {
                #expect(event.data.amount == c.expectAmount, "\(name): amount \(event.data.amount?.prefix(40) ?? "none")")
            }
        }
    }
}
