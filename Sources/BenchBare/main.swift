// BenchBare: the benchmark's ceiling (bench/run, docs/benchmarks.md). A minimal Hummingbird 2
// server that does only what every webhook ingress must do for a Bitnob webhook: read the raw
// body, check `x-bitnob-signature` (hex HMAC-SHA512 of the body) in constant time, answer 200.
// No JSON, no routing, no Kafka, no metrics, no logging per request.
//
//   BenchBare [PORT]        port from argv, else $BENCH_BARE_PORT, else 8081; 127.0.0.1 unless $BENCH_BARE_HOST
//   secret: $BITNOB_WEBHOOK_SECRET, else bitnob_test_secret
import Crypto
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
let key = SymmetricKey(data: Array((environment["BITNOB_WEBHOOK_SECRET"] ?? "bitnob_test_secret").utf8))
let signatureHeader = HTTPField.Name("x-bitnob-signature")!

/// 128 hex digits → 64 bytes; `nil` for anything else.
func decodeHex512(_ text: String) -> [UInt8]? {
    var out = [UInt8]()
    out.reserveCapacity(64)
    var high: UInt8?
    for c in text.utf8 {
        let v: UInt8
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
        if let h = high {
            out.append(h << 4 | v)
            high = nil
        } else {
            high = v
        }
    }
    return out.count == 64 && high == nil ? out : nil
}

struct BareResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    static let ok = ByteBuffer(string: #"{"ok":true}"#)
    static let unauthorized = ByteBuffer(string: #"{"error":{"code":"invalid_signature","message":"signature does not match"}}"#)

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .post else {
            return Response(status: .methodNotAllowed, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.unauthorized))
        }
        let body = try await request.body.collect(upTo: 1 << 20)
        guard let header = request.headers[signatureHeader], let signature = decodeHex512(header) else {
            return Response(status: .unauthorized, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.unauthorized))
        }
        // Constant-time comparison (swift-crypto's isValidAuthenticationCode).
        let valid = body.withUnsafeReadableBytes { bytes in
            HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: bytes, using: key)
        }
        guard valid else {
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
