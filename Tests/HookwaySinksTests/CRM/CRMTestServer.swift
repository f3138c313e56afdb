import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore

/// A Hummingbird server on loopback that records every request and answers with scripted
/// statuses (then 200).
final class CRMRecorder: Sendable {
    struct Recorded: Sendable {
        var method: String
        var uri: String
        /// Lower-cased names.
        var headers: [String: String]
        var body: String
        /// When the request arrived, and the status it was answered with.
        var at = ContinuousClock.now
        var status = 200
    }

    struct Reply: Sendable {
        var status: Int
        var retryAfter: String?
        var delay: Duration?
    }

    private let state = NIOLockedValueBox<(requests: [Recorded], replies: [Reply], down: Bool)>(([], [], false))

    var requests: [Recorded] { state.withLockedValue { $0.requests } }

    func script(_ replies: Reply...) { state.withLockedValue { $0.replies += replies } }

    /// While down, every request is answered 503 (after the scripted replies run out).
    func setDown(_ down: Bool) { state.withLockedValue { $0.down = down } }

    fileprivate func record(_ request: Recorded) -> Reply {
        state.withLockedValue { s in
            let reply = s.replies.isEmpty ? Reply(status: s.down ? 503 : 200) : s.replies.removeFirst()
            var request = request
            request.status = reply.status
            s.requests.append(request)
            return reply
        }
    }

    /// Runs `body` with the base URL of a live server.
    static func withServer(_ body: @escaping @Sendable (String, CRMRecorder) async throws -> Void) async throws {
        let recorder = CRMRecorder()
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let reply = recorder.record(
                Recorded(
                    method: request.method.rawValue,
                    uri: request.uri.description,
                    headers: headers,
                    body: String(buffer: bytes)
                )
            )
            if let delay = reply.delay { try await Task.sleep(for: delay) }
            var fields = HTTPFields()
            if let retryAfter = reply.retryAfter { fields[.retryAfter] = retryAfter }
            fields[.contentType] = "application/json"
            return Response(
                status: .init(code: reply.status),
                headers: fields,
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":\#(reply.status)}"#))
            )
        }
        router.post("**", use: handler)
        router.put("**", use: handler)
        router.patch("**", use: handler)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)", recorder)
        }
    }
}
