import Hummingbird
import HookwayCore
import NIOCore

extension WebhookResponder {
    /// Reads the body, refusing it as soon as it passes `limit` (a declared Content-Length over
    /// the limit is refused before reading a byte) and when it does not arrive within `timeout`
    /// (slow-body protection).
    static func readBody(_ request: Request, limit: Int, timeout: Duration) async throws(WebhookError) -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw WebhookError.payloadTooLarge(limit: limit)
        }
        let body = request.body
        let result = await withDeadline(timeout) { () async -> Result<[UInt8], WebhookError> in
            var bytes: [UInt8] = []
            do {
                for try await buffer in body {
                    if bytes.count + buffer.readableBytes > limit { return .failure(.payloadTooLarge(limit: limit)) }
                    buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
                }
            } catch {
                return .failure(.malformedPayload("the request body could not be read: \(error)"))
            }
            return .success(bytes)
        }
        switch result {
        case .none:
            throw WebhookError(status: 408, code: .requestTimeout, message: "the body did not arrive within \(timeout)")
        case .some(.failure(let e)): throw e
        case .some(.success(let bytes)): return bytes
        }
    }
}
