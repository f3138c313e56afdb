// BenchBare: the benchmark's ceiling (bench/run, docs/benchmarks.md). A minimal Hummingbird 2
// server that does only what every webhook ingress must do for a Bitnob webhook: read the raw
// body, check `x-bitnob-signature` (hex HMAC-SHA512 of the body) in constant time, answer 200.
// No JSON, no routing, no Kafka, no metrics, no logging per request.
//
//   BenchBare [PORT]        port from argv, else $BENCH_BARE_PORT, else 8081; 127.0.0.1 unless $BENCH_BARE_HOST
//   secret: $BITNOB_WEBHOOK_SECRET, else bitnob_test_secret
import BenchSupport
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

let environment = ProcessInfo.processInfo.environment
let port =
    CommandLine.arguments.dropFirst().first.flatMap(Int.init)
    ?? environment["BENCH_BARE_PORT"].flatMap(Int.init) ?? 8081
let host = environment["BENCH_BARE_HOST"] ?? "127.0.0.1"
let signatureHeader = HTTPField.Name("x-bitnob-signature")!

struct BareResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    static let ok = ByteBuffer(string: #"{"ok":true}"#)
    static let unauthorized = ByteBuffer(string: #"{"error":{"code":"invalid_signature","message":"signature does not match"}}"#)

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .post else {
            return Response(status: .methodNotAllowed, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.unauthorized))
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        guard body.withUnsafeReadableBytes({ bitnobSignatureIsValid(request.headers[signatureHeader], body: $0) }) else {
            return Response(status: .unauthorized, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.unauthorized))
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.ok))
    }
}

var logger = Logger(label: "bench-bare")
logger.logLevel = .warning
let app = Application(
    responder: BareResponder(),
    configuration: .init(address: .hostname(host, port: port), serverName: "bench-bare"),
    logger: logger
)
try await app.runService()
