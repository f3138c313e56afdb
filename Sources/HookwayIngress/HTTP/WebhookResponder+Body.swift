import HookwayCore
import Hummingbird
import NIOCore

extension WebhookResponder {
    /// Reads the body, refusing it as soon as it passes `limit` (a declared Content-Length over
    /// the limit is refused before reading a byte). The read runs in the request's own task;
    /// its deadline (`limits.readTimeoutMs`) is ``BodyReadDeadline`` on the connection, which
    /// fails the body stream with ``BodyReadTimeout`` → 408.
    static func readBody(_ request: Request, limit: Int) async throws(WebhookError) -> [UInt8] {
        let declared = request.headers[.contentLength].flatMap(Int.init)
        if let declared, declared > limit {
            throw WebhookError.payloadTooLarge(limit: limit)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(declared ?? 4096, limit))
        do {
            for try await buffer in request.body {
                if bytes.count + buffer.readableBytes > limit { throw WebhookError.payloadTooLarge(limit: limit) }
                buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
            }
        } catch let error as WebhookError {
            throw error
        } catch let timeout as BodyReadTimeout {
            throw WebhookError(status: 408, code: .requestTimeout, message: timeout.description)
        } catch {
            throw .malformedPayload("the request body could not be read: \(error)")
        }
        return bytes
    }
}
