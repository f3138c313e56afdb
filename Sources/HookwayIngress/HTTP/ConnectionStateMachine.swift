import NIOCore
import NIOHTTP1

/// The whole state of one ingress connection, as a value: every event of the connection (a
/// request's head, a body part, its end, a parser error, the client's half-close, a deadline,
/// an answer ready, a graceful shutdown) goes in through a method, and what to do comes out as
/// an action for ``IngressConnectionHandler`` to perform. In the shape of Hummingbird's
/// `HTTPConnectionStateHandler.StateMachine` and NIO's `HTTPServerPipelineHandler`.
///
/// Requests are answered one at a time, in order: while an answer is owed (a webhook waits for
/// Kafka), whatever the decoder produces next waits in `queued` and nothing more is read from the
/// socket, so the queue holds at most what one read decoded. The handler drains the queue with
/// ``next()`` in a loop, never by recursion, so a pipelined burst of any length costs one stack
/// frame (issue #28).
///
/// Deadlines: a head must arrive within `headerTimeout` of the connection's start or of the first
/// byte of a later request; a body within `bodyTimeout` of its head; a connection with nothing in
/// progress is closed after `idleTimeout`. No deadline runs while an answer is owed (the publish
/// has its own). After `maxRequests` answers, or an answer to a request that asked to close
/// (`Connection: close` in any case, HTTP/1.0 without keep-alive), the connection closes.
struct ConnectionStateMachine {
    struct Settings: Sendable, Equatable {
        var headerTimeout: TimeAmount
        var idleTimeout: TimeAmount
        var bodyTimeout: TimeAmount
        var maxRequests: Int
        /// How much of a body answered before its end is read and dropped to keep the
        /// connection (beyond it, the connection closes after the answer).
        var discardLimit: Int
    }

    /// What the decoder produced, in the order it produced it.
    enum Inbound {
        case head(HTTPRequestHead)
        case body(ByteBuffer)
        case end
        /// The decoder could not parse the bytes; it reads nothing after this.
        case parserError(HTTPParserError)
        /// The client half-closed: no request after what already arrived.
        case inputClosed
    }

    enum Deadline: Equatable, Sendable {
        case header, body, idle
    }

    /// The deadline that should be running; a new `generation` is a new timer.
    struct Timer: Equatable {
        var deadline: Deadline
        var generation: Int
    }

    /// Why the machine refuses the request in progress (the handler renders the answer).
    enum Refusal: Equatable {
        /// The declared or streamed body passed the request's limit.
        case bodyTooLarge(limit: Int)
        /// The body did not arrive within `bodyTimeout`.
        case bodyTimeout(TimeAmount)
        /// The bytes could not be parsed as HTTP (the headers were too large when `headersTooLarge`).
        case unparsable(HTTPParserError)
        /// The client half-closed before the body ended.
        case bodyCutShort
    }

    enum Action {
        case none
        /// A request starts. The handler looks at the head, then calls ``admit(limit:)`` (to read
        /// its body) or ``answerReady(closeAfter:)`` (to refuse it now), before any other call.
        case begin(HTTPRequestHead)
        /// The admitted request's `Expect: 100-continue` is answered: write `100 Continue`.
        case sendContinue
        /// Bytes of the admitted request's body, within its limit.
        case append(ByteBuffer)
        /// The admitted request's body has ended: answer it (now or later) with ``answerReady(closeAfter:)``.
        case complete
        /// Answer the request in progress (or, with none, the connection) with this refusal
        /// through ``answerReady(closeAfter:)``; the connection closes after it.
        case refuse(Refusal)
        /// Close now, with no answer owed.
        case close(ConnectionCloseReason?)
    }

    /// How to write an answer the handler has ready.
    enum AnswerAction: Equatable {
        /// Write it (with `Connection: close` when `keepAlive` is false, and close after it).
        case write(version: HTTPVersion, keepAlive: Bool, omitBody: Bool)
        /// The connection is gone: the answer has no one to go to.
        case drop
    }

    fileprivate struct Request {
        var version: HTTPVersion
        var keepAlive: Bool
        var isHead: Bool
        var expectsContinue: Bool
        var declaredLength: Int?
        var received = 0
        var limit = 0
    }

    private enum Phase {
        /// Between requests, nothing of the next one received; the idle deadline runs.
        case idle
        /// Bytes of a head (or the connection) started; the header deadline runs.
        case awaitingHead
        /// A head arrived and the handler is deciding (``Action/begin(_:)``).
        case deciding(Request)
        /// The admitted request's body is being read; the body deadline runs.
        case reading(Request)
        /// An answer is owed: the handler is producing it. `bodyEnded` is false for a request
        /// answered before its body ended (the rest is discarded after the answer).
        case owing(Request, bodyEnded: Bool, closeAfter: Bool)
        /// The request was answered before its body ended: the rest is dropped until its end.
        case discarding(Request)
        case closed
    }

    let settings: Settings
    private var phase = Phase.awaitingHead
    private var queued = CircularBuffer<Inbound>(initialCapacity: 4)
    private var answered = 0
    private var shuttingDown = false
    private var bytesSinceHead = false
    private(set) var timer: Timer?
    private var generation = 0

    init(settings: Settings) {
        self.settings = settings
        timer = Timer(deadline: .header, generation: 0)
    }

    /// Whether more should be read from the socket: not while an answer is owed or parts wait.
    var wantsInput: Bool {
        switch phase {
        case .owing, .deciding, .closed: return false
        case .idle, .awaitingHead, .reading, .discarding: return queued.isEmpty
        }
    }

    var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// Something the decoder produced: processed now, or queued behind the answer owed.
    mutating func receive(_ inbound: Inbound) -> Action {
        switch phase {
        case .closed:
            return .none
        case .owing, .deciding:
            queued.append(inbound)
            return .none
        case .idle, .awaitingHead, .reading, .discarding:
            guard queued.isEmpty else {
                queued.append(inbound)
                return .none
            }
            return process(inbound)
        }
    }

    /// The next queued part to act on, or `nil` when none can be processed now (an answer is
    /// owed, or nothing waits). The handler calls it in a loop after every event.
    mutating func next() -> Action? {
        switch phase {
        case .owing, .deciding, .closed: return nil
        case .idle, .awaitingHead, .reading, .discarding:
            guard let inbound = queued.popFirst() else { return nil }
            return process(inbound)
        }
    }

    /// The first bytes of a request arrived (before the decoder): an idle connection's head
    /// deadline starts now.
    mutating func bytesArrived() {
        bytesSinceHead = true
        if case .idle = phase {
            phase = .awaitingHead
            arm(.header)
        }
    }

    /// The handler admits the request in ``Action/begin(_:)`` and will read up to `limit` body bytes.
    mutating func admit(limit: Int) -> Action {
        guard case .deciding(var request) = phase else { return .none }
        request.limit = limit
        if let declared = request.declaredLength, declared > limit {
            phase = .owing(request, bodyEnded: false, closeAfter: true)
            disarm()
            return .refuse(.bodyTooLarge(limit: limit))
        }
        phase = .reading(request)
        return request.expectsContinue ? .sendContinue : .none
    }

    /// The handler has the answer of the request in progress (or of a refusal). `closeAfter`
    /// closes the connection after it whatever the request asked.
    mutating func answerReady(closeAfter: Bool = false) -> AnswerAction {
        let request: Request
        let bodyEnded: Bool
        var close = closeAfter
        switch phase {
        case .closed:
            return .drop
        case .deciding(let r):
            // Answered before its body: the decoder still delivers the body and its end, which
            // are dropped. A client that waits for `100 Continue` will not send the body, so
            // what it sends next cannot be told apart from one: close after the answer.
            request = r
            bodyEnded = false
            close = close || r.expectsContinue || (r.declaredLength ?? 0) > settings.discardLimit
        case .owing(let r, let ended, let c):
            request = r
            bodyEnded = ended
            close = close || c
        case .idle, .awaitingHead, .reading, .discarding:
            return .drop
        }
        answered += 1
        if answered >= settings.maxRequests { close = true }
        if shuttingDown || !request.keepAlive { close = true }
        if close {
            phase = .closed
            queued.removeAll()
            disarm()
        } else if !bodyEnded {
            phase = .discarding(request)
            arm(.body)
        } else {
            settle()
        }
        return .write(version: request.version, keepAlive: !close, omitBody: request.isHead)
    }

    /// Why the closing answer closes (for the metric), when the machine decided it.
    var closesForMaxRequests: Bool { answered >= settings.maxRequests }

    /// A deadline fired; stale timers (an older generation) are ignored.
    mutating func timerFired(_ fired: Timer) -> Action {
        guard fired == timer else { return .none }
        timer = nil
        switch (fired.deadline, phase) {
        case (.header, .awaitingHead), (.header, .idle):
            phase = .closed
            return .close(.headerTimeout)
        case (.idle, .idle), (.idle, .awaitingHead):
            phase = .closed
            return .close(.idleTimeout)
        case (.body, .reading(let request)):
            phase = .owing(request, bodyEnded: false, closeAfter: true)
            return .refuse(.bodyTimeout(settings.bodyTimeout))
        case (.body, .discarding):
            phase = .closed
            return .close(.bodyTimeout)
        default:
            return .none
        }
    }

    /// Graceful shutdown: an idle connection closes now, a busy one after its current answer.
    mutating func shutdown() -> Action {
        shuttingDown = true
        switch phase {
        case .idle, .awaitingHead:
            guard queued.isEmpty else { return .none }
            phase = .closed
            disarm()
            return .close(nil)
        default:
            return .none
        }
    }

    /// The connection closed: nothing queued is started, an answer still owed is dropped.
    mutating func closed() {
        phase = .closed
        queued.removeAll()
        disarm()
    }

    // MARK: - Inbound parts in order

    private mutating func process(_ inbound: Inbound) -> Action {
        switch (phase, inbound) {
        case (.idle, .head(let head)), (.awaitingHead, .head(let head)):
            bytesSinceHead = false
            let request = Request(
                version: head.version,
                keepAlive: head.isKeepAlive,
                isHead: head.method == .HEAD,
                expectsContinue: head.version.minor >= 1 && head.version.major == 1 && Self.expectsContinue(head.headers),
                declaredLength: head.headers.first(name: "content-length").flatMap { Int($0) }
            )
            phase = .deciding(request)
            arm(.body)
            return .begin(head)
        case (.reading(var request), .body(let bytes)):
            request.received += bytes.readableBytes
            guard request.received <= request.limit else {
                phase = .owing(request, bodyEnded: false, closeAfter: true)
                disarm()
                return .refuse(.bodyTooLarge(limit: request.limit))
            }
            phase = .reading(request)
            return .append(bytes)
        case (.reading(let request), .end):
            phase = .owing(request, bodyEnded: true, closeAfter: false)
            disarm()
            return .complete
        case (.discarding(var request), .body(let bytes)):
            // The answer is out; the rest of its body is dropped, up to its limit.
            request.received += bytes.readableBytes
            guard request.received <= max(request.limit, settings.discardLimit) else {
                phase = .closed
                return .close(nil)
            }
            phase = .discarding(request)
            return .none
        case (.discarding, .end):
            settle()
            return .none
        case (.idle, .parserError(let error)), (.awaitingHead, .parserError(let error)):
            phase = .owing(Request.unknown, bodyEnded: false, closeAfter: true)
            disarm()
            return .refuse(.unparsable(error))
        case (.reading(let request), .parserError(let error)):
            // A framing error inside the body (a bad chunk size, an unknown transfer coding).
            phase = .owing(request, bodyEnded: false, closeAfter: true)
            disarm()
            return .refuse(.unparsable(error))
        case (.reading(let request), .inputClosed):
            phase = .owing(request, bodyEnded: false, closeAfter: true)
            disarm()
            return .refuse(.bodyCutShort)
        case (.idle, .inputClosed), (.awaitingHead, .inputClosed), (.discarding, _):
            phase = .closed
            queued.removeAll()
            disarm()
            return .close(nil)
        default:
            // A part out of order (a body with no head): the decoder does not produce these.
            phase = .closed
            queued.removeAll()
            disarm()
            return .close(nil)
        }
    }

    /// A request is fully answered and its body consumed: wait for the next one.
    private mutating func settle() {
        if bytesSinceHead || !queued.isEmpty {
            phase = .awaitingHead
            arm(.header)
        } else {
            phase = .idle
            arm(.idle)
        }
    }

    private mutating func arm(_ deadline: Deadline) {
        generation += 1
        timer = Timer(deadline: deadline, generation: generation)
    }

    private mutating func disarm() {
        timer = nil
    }

    /// `Expect: 100-continue`, case-insensitive (RFC 9110 §10.1.1).
    static func expectsContinue(_ headers: HTTPHeaders) -> Bool {
        headers["expect"].contains { value in
            value.split(separator: ",").contains { $0.lowercased().split(separator: " ").first == "100-continue" }
        }
    }
}

extension ConnectionStateMachine.Request {
    /// The stand-in for a request that never had a head (a parser error between requests).
    static let unknown = Self(version: HTTPVersion.http1_1, keepAlive: false, isHead: false, expectsContinue: false, declaredLength: 0)
}
