import HookwayCore
import NIOCore
import NIOHTTP1

extension WebhookResponder {
    static func json(_ status: HTTPResponseStatus, _ text: String) -> Answer {
        Answer(status: status, headers: ["content-type": "application/json"], body: ByteBuffer(string: text))
    }

    /// The one place an error body is rendered: `{"error":{"code":…,"message":…}}`. A 405 names
    /// in `Allow` what the resource supports (RFC 9110 §15.5.6): `POST` for webhook paths.
    static func error(_ error: WebhookError, allow: String = "POST") -> Answer {
        var headers: HTTPHeaders = ["content-type": "application/json"]
        if let retry = error.retryAfterSeconds { headers.add(name: "retry-after", value: String(retry)) }
        if error.status == 405 { headers.add(name: "allow", value: allow) }
        return Answer(status: .init(statusCode: error.status), headers: headers, body: ByteBuffer(bytes: error.jsonBody))
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
        return Answer(status: .ok, headers: ["content-type": "application/json"], body: ByteBuffer(bytes: w.bytes))
    }
}
