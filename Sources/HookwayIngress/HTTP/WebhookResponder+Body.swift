import Hummingbird
import HookwayCore
import NIOCore

extension WebhookResponder {
    enum BodyRead: Sendable {
        case complete([UInt8])
        case failed(WebhookError)
        case timedOut
    }

    /// Reads the body, refusing it as soon as it passes `limit` (a declared Content-Length over
    /// the limit is refused before reading a byte) and when it does not arrive within `timeout`
    /// (slow-body protection).
    ///
    /// The reader runs in a child task that is cancelled on timeout and always finished before
    /// this returns: the body shares the connection's inbound stream, and Hummingbird reads the
    /// next request from it after we answer — two readers at once would be fatal.
    static func readBody(_ request: Request, limit: Int, timeout: Duration) async throws(WebhookError) -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw WebhookError.payloadTooLarge(limit: limit)
        }
        let body = request.body
        let outcome = await withTaskGroup(of: BodyRead.self) { group in
            group.addTask {
                var bytes: [UInt8] = []
                do {
                    for try await buffer in body {
                        if bytes.count + buffer.readableBytes > limit { return .failed(.payloadTooLarge(limit: limit)) }
                        buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
                    }
                } catch {
                    if Task.isCancelled { return .timedOut }
                    return .failed(.malformedPayload("the request body could not be read: \(error)"))
                }
                if Task.isCancelled { return .timedOut }
                return .complete(bytes)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            await group.waitForAll()
            return first
        }
        switch outcome {
        case .complete(let bytes): return bytes
        case .failed(let error): throw error
        case .timedOut:
            throw WebhookError(status: 408, code: .requestTimeout, message: "the body did not arrive within \(timeout)")
        }
    }
}
