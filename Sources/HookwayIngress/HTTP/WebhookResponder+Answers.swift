import HookwayCore
import Hummingbird
import NIOCore

extension WebhookResponder {
    static func json(_ status: HTTPResponse.Status, _ text: String) -> Answer {
        Answer(status: status, headers: [.contentType: "application/json"], body: ByteBuffer(string: text))
    }

    /// The one place an error body is rendered: `{"error":{"code":…,"message":…}}`.
    static func error(_ error: WebhookError) -> Answer {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retry = error.retryAfterSeconds { headers[.retryAfter] = String(retry) }
        if error.status == 405 { headers[.allow] = "POST" }
        return Answer(status: .init(code: error.status), headers: headers, body: ByteBuffer(bytes: error.jsonBody))
    }

    /// 200 `{"id":…,"type":…,"topics":[…]}` (plus `"spooled":true` when the spool took it).
    static func accepted(_ event: Event, topics: [String], spooled: Bool) -> Answer {
        var w = JSONWriter(reservingCapacity: 256)
        w.appendRaw(Array(#"{"id":"#.utf8))
        w.appendString(event.id)
        w.appendRaw(Array(#","type":"#.utf8))
        w.appendString(event.type)
        w.appendRaw(Array(#","topics":["#.utf8))
        for (i, t) in topics.enumerated() {
            if i > 0 { w.appendRaw(CollectionOfOne(UInt8(ascii: ","))) }
            w.appendString(t)
        }
        w.appendRaw(CollectionOfOne(UInt8(ascii: "]")))
        if spooled { w.appendRaw(Array(#","spooled":true"#.utf8)) }
        w.appendRaw(CollectionOfOne(UInt8(ascii: "}")))
        return Answer(status: .ok, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: w.bytes))
    }
}
