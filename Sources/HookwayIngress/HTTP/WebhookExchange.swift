import HookwayCore
import HookwayProviders
import NIOCore
import NIOHTTP1

/// One webhook request as the ingress sees it: what its head said and where it came from.
struct WebhookCall: Sendable {
    var method: HTTPMethod
    /// The request target as sent (path and query).
    var target: String
    var sourceName: String
    var token: String?
    var headers: HTTPHeaders
    /// The TCP peer (not a forwarded header: those can be forged).
    var remoteAddress: SocketAddress?
    /// The client a trusted proxy's PROXY header named.
    var proxiedClient: IPAddress?
}

/// A webhook being answered: the configuration it is answered under and what
/// ``WebhookResponder/finish(_:_:logger:)`` needs for the metrics and the log line.
struct WebhookExchange: Sendable {
    let started: ContinuousClock.Instant
    let sourceName: String
    /// The source the path names, `nil` when the routes file has none of that name.
    let source: SourceConfig?
    let snapshot: ConfigStore.Snapshot
    /// What the head's `allowFrom` and URL-token checks found (set when they passed).
    var admission: WebhookIntake.Admission?
    var warnings: [IntakeWarning] = []
    var refusedTopics: [String] = []
    var accepted: (event: Event, topics: [String])?
    /// The webhook's spans (`nil` when tracing is off).
    var trace: WebhookTrace?

    /// The source, when the method and the name allow the request at all (405 before 404).
    func admit(_ call: WebhookCall) throws(WebhookError) -> SourceConfig {
        guard call.method == .POST else { throw .methodNotAllowed(call.method.rawValue) }
        guard let source else { throw .unknownSource(sourceName) }
        return source
    }
}

/// What the synchronous part of a webhook's handling decided.
enum WebhookStep: Sendable {
    /// Answer now (a verification challenge, a provider's own reply).
    case answer(Answer)
    /// Publish, then answer 200 (or what the publish says).
    case publish(Event, topics: [String], timeout: Duration)
}

/// An answer of the ingress: the status, the headers and a body in memory (every answer is one).
struct Answer: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: ByteBuffer
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
