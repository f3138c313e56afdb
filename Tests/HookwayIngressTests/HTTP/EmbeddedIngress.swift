import HookwayCore
import HookwayRuntime
import HookwayTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import HookwayIngress

/// A publisher whose Kafka acknowledgements the test gives by hand: every publish waits in
/// `held` until ``acknowledgeNext(spooled:)`` or ``fail(_:)`` completes it.
final class HeldPublisher: EventPublisher {
    typealias Completion = @Sendable (Result<PublishReceipt, WebhookError>) -> Void
    private let state = NIOLockedValueBox<(held: [(String, Completion)], published: [String])>(([], []))

    /// Ids of every event published so far, in order.
    var published: [String] { state.withLockedValue { $0.published } }
    var heldCount: Int { state.withLockedValue { $0.held.count } }

    func publish(_ event: Event, to topics: [String], timeout: Duration, mode: CloudEventsMode, completion: @escaping Completion) {
        state.withLockedValue {
            $0.held.append((event.id, completion))
            $0.published.append(event.id)
        }
    }

    /// Completes the oldest held publish as acknowledged; false when none is held.
    @discardableResult
    func acknowledgeNext(spooled: Bool = false) -> Bool {
        guard let completion = state.withLockedValue({ $0.held.isEmpty ? nil : $0.held.removeFirst().1 }) else { return false }
        completion(.success(PublishReceipt(spooled: spooled)))
        return true
    }

    var isHealthy: Bool { true }
}

/// One ingress connection on NIO's `EmbeddedChannel`: the real HTTP codec and the real
/// ``IngressConnectionHandler`` with the repository's responder, a ``HeldPublisher`` in place
/// of Kafka, and a clock the test advances.
final class EmbeddedIngress {
    let channel: EmbeddedChannel
    let publisher = HeldPublisher()
    private var received = ByteBuffer()

    static func config(limits: String = #""readTimeoutMs": 2000, "headerTimeoutMs": 1000, "idleTimeoutMs": 5000"#) throws -> RoutesConfig {
        var routes = IngressHarness.routes(topic: "embedded")
        routes = routes.replacingOccurrences(of: #""readTimeoutMs": 2000"#, with: limits)
        let result = RoutesConfigLoader.parse(Array(routes.utf8), environment: IngressHarness.environment)
        guard let config = result.config else { throw HarnessError(message: "routes invalid: \(result.problems)") }
        return config
    }

    init(limits: String = #""readTimeoutMs": 2000, "headerTimeoutMs": 1000, "idleTimeoutMs": 5000"#) throws {
        // The process's metrics system before any handle is made: the connection handler's
        // counters are created once per process, and must not bind to the no-op backend.
        _ = MetricsEndpoint.shared
        let config = try Self.config(limits: limits)
        let responder = WebhookResponder(
            store: ConfigStore(config),
            publisher: publisher,
            metrics: { Array("hookway_up 1\n".utf8) },
            readiness: { Readiness(kafkaReachable: true, spool: .off) }
        )
        channel = EmbeddedChannel()
        var logger = Logger(label: "test.embedded")
        logger.logLevel = .critical
        let operations = channel.pipeline.syncOperations
        try operations.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withErrorHandling: false,
            withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init()
        )
        try operations.addHandler(IngressConnectionHandler(settings: .init(config.limits), responder: responder, logger: logger))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    }

    /// Sends bytes as the client.
    func send(_ bytes: [UInt8]) {
        // A parser error surfaces as an error of writeInbound; the handler answers it.
        _ = try? channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.embeddedEventLoop.run()
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Acknowledges the oldest held publish and lets the loop run.
    @discardableResult
    func acknowledge() -> Bool {
        let done = publisher.acknowledgeNext()
        channel.embeddedEventLoop.run()
        return done
    }

    func advance(by amount: TimeAmount) {
        channel.embeddedEventLoop.advanceTime(by: amount)
    }

    /// The client half-closes its side.
    func halfClose() {
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
    }

    var isActive: Bool { channel.isActive }

    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: String
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// Every complete answer written since the last call (interim `100 Continue` included).
    func answers() -> [Answer] {
        while let chunk = try? channel.readOutbound(as: ByteBuffer.self) {
            var chunk = chunk
            received.writeBuffer(&chunk)
        }
        var answers: [Answer] = []
        while let answer = Self.parse(&received) { answers.append(answer) }
        return answers
    }

    /// One answer off the front of `buffer`, when it is all there.
    static func parse(_ buffer: inout ByteBuffer) -> Answer? {
        let view = buffer.readableBytesView
        guard let headEnd = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let headText = String(decoding: view[view.startIndex..<headEnd.lowerBound], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = status < 200 ? 0 : headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        let headLength = headEnd.upperBound - view.startIndex
        guard buffer.readableBytes >= headLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: headLength)
        let body = buffer.readString(length: length) ?? ""
        return Answer(status: status, headers: headers, body: body)
    }

    /// A signed Bitnob webhook about entity `id`.
    static func webhook(id: String, connection: String? = nil, extraHeaders: String = "") -> String {
        let body = Bodies.bitnob(id: id)
        var head = "POST /webhooks/bitnob HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        head += "x-bitnob-signature: \(Sign.bitnob(body))\r\nContent-Length: \(body.count)\r\n" + extraHeaders
        if let connection { head += "Connection: \(connection)\r\n" }
        return head + "\r\n" + String(decoding: body, as: UTF8.self)
    }

    static let health = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    /// An unsigned webhook with no body: refused 401 after its (empty) body, no credential needed.
    static let unsigned = "POST /webhooks/bitnob HTTP/1.1\r\n\r\n"
}
