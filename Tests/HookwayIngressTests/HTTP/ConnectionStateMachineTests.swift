import NIOCore
import NIOHTTP1
import Testing

@testable import HookwayIngress

/// ``ConnectionStateMachine`` event by event, without a channel.
struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine
    static let settings = Machine.Settings(
        headerTimeout: .seconds(1),
        idleTimeout: .seconds(5),
        bodyTimeout: .seconds(2),
        maxRequests: 3,
        discardLimit: 1000
    )

    static func head(
        _ uri: String = "/webhooks/bitnob",
        method: HTTPMethod = .POST,
        version: HTTPVersion = .http1_1,
        headers: [(String, String)] = []
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    static func isBegin(_ action: Machine.Action) -> Bool {
        if case .begin = action { return true }
        return false
    }

    static func isComplete(_ action: Machine.Action?) -> Bool {
        if case .complete? = action { return true }
        return false
    }

    /// Drives one request from head to end through an admitted body.
    static func request(_ machine: inout Machine, head: HTTPRequestHead = head(), body: String = "{}") {
        #expect(isBegin(machine.receive(.head(head))))
        _ = machine.admit(limit: 100)
        if case .append = machine.receive(.body(ByteBuffer(string: body))) {} else { Issue.record("body not appended") }
        #expect(isComplete(machine.receive(.end)))
    }

    @Test func aRequestIsReadAnsweredAndTheConnectionWaitsForTheNext() {
        var machine = Machine(settings: Self.settings)
        #expect(machine.timer?.deadline == .header)
        Self.request(&machine)
        #expect(machine.timer == nil, "no deadline while the answer is owed")
        #expect(!machine.wantsInput)
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: true, omitBody: false))
        #expect(machine.timer?.deadline == .idle)
        #expect(machine.wantsInput)
    }

    @Test func partsBehindAnOwedAnswerWaitAndComeOutInOrder() {
        var machine = Machine(settings: Self.settings)
        Self.request(&machine)
        #expect(Self.isBegin(machine.receive(.head(Self.head("/healthz", method: .GET)))) == false)
        _ = machine.receive(.end)
        #expect(machine.next() == nil, "nothing is processed while the first answer is owed")
        _ = machine.answerReady()
        guard case .begin(let second)? = machine.next() else {
            Issue.record("the queued head did not come out")
            return
        }
        #expect(second.uri == "/healthz")
        _ = machine.admit(limit: 0)
        #expect(Self.isComplete(machine.next()))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: true, omitBody: false))
        #expect(machine.next() == nil)
    }

    @Test func tenThousandQueuedRequestsDrainInALoop() {
        var machine = Machine(
            settings: .init(headerTimeout: .seconds(1), idleTimeout: .seconds(1), bodyTimeout: .seconds(1), maxRequests: 1_000_000, discardLimit: 0)
        )
        Self.request(&machine)
        for _ in 0..<10_000 {
            _ = machine.receive(.head(Self.head()))
            _ = machine.receive(.end)
        }
        _ = machine.answerReady()
        var answered = 0
        while let action = machine.next() {
            switch action {
            case .begin: _ = machine.admit(limit: 0)
            case .complete:
                _ = machine.answerReady()
                answered += 1
            default: break
            }
        }
        #expect(answered == 10_000)
    }

    @Test func aDeclaredBodyOverTheLimitIsRefusedAndTheConnectionCloses() {
        var machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head(headers: [("Content-Length", "101")])))
        #expect(machine.admit(limit: 100) == .refuse(.bodyTooLarge(limit: 100)))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: false, omitBody: false))
        #expect(machine.isClosed)
    }

    @Test func aStreamedBodyOverTheLimitIsRefusedWhenItPassesIt() {
        var machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head(headers: [("Transfer-Encoding", "chunked")])))
        _ = machine.admit(limit: 10)
        if case .append = machine.receive(.body(ByteBuffer(string: "0123456789"))) {} else { Issue.record("within the limit") }
        #expect(machine.receive(.body(ByteBuffer(string: "x"))) == .refuse(.bodyTooLarge(limit: 10)))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: false, omitBody: false))
    }

    @Test func eachDeadlineInEachPhase() {
        var machine = Machine(settings: Self.settings)
        let header = machine.timer!
        #expect(machine.timerFired(header) == .close(.headerTimeout))

        machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head()))
        _ = machine.admit(limit: 100)
        let body = machine.timer!
        #expect(body.deadline == .body)
        #expect(machine.timerFired(header) == .none, "a stale timer does nothing")
        #expect(machine.timerFired(body) == .refuse(.bodyTimeout(.seconds(2))))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: false, omitBody: false))

        machine = Machine(settings: Self.settings)
        Self.request(&machine)
        _ = machine.answerReady()
        let idle = machine.timer!
        #expect(idle.deadline == .idle)
        machine.bytesArrived()
        #expect(machine.timer?.deadline == .header, "the first byte of the next request starts its head deadline")
        #expect(machine.timerFired(idle) == .none)
        #expect(machine.timerFired(machine.timer!) == .close(.headerTimeout))

        machine = Machine(settings: Self.settings)
        Self.request(&machine)
        _ = machine.answerReady()
        #expect(machine.timerFired(machine.timer!) == .close(.idleTimeout))
    }

    @Test func connectionTokensAndHTTP10DecideKeepAlive() {
        for (version, headers, keepAlive) in [
            (HTTPVersion.http1_1, [("Connection", "Close")], false),
            (.http1_1, [("connection", "CLOSE")], false),
            (.http1_1, [("Connection", "keep-alive, close")], false),
            (.http1_0, [], false),
            (.http1_0, [("Connection", "Keep-Alive")], true),
            (.http1_1, [], true),
        ] {
            var machine = Machine(settings: Self.settings)
            Self.request(&machine, head: Self.head(version: version, headers: headers))
            #expect(machine.answerReady() == .write(version: version, keepAlive: keepAlive, omitBody: false), "\(version) \(headers)")
        }
    }

    @Test func theLastRequestOfAConnectionClosesIt() {
        var machine = Machine(settings: Self.settings)
        for n in 1...3 {
            Self.request(&machine)
            #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: n < 3, omitBody: false))
        }
        #expect(machine.isClosed)
        #expect(machine.closesForMaxRequests)
    }

    @Test func expectContinueIsAnsweredOnAdmissionOrRefusedAndClosed() {
        var machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head(headers: [("Expect", "100-Continue"), ("Content-Length", "2")])))
        #expect(machine.admit(limit: 100) == .sendContinue)

        machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head(headers: [("Expect", "100-continue"), ("Content-Length", "2")])))
        // Refused from its head (a wrong source, a bad token): the body never comes, so close.
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: false, omitBody: false))
    }

    @Test func aRequestRefusedFromItsHeadHasItsBodyDropped() {
        var machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head("/webhooks/nope", headers: [("Content-Length", "2")])))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: true, omitBody: false))
        #expect(machine.receive(.body(ByteBuffer(string: "{}"))) == .none)
        #expect(machine.receive(.end) == .none)
        #expect(Self.isBegin(machine.receive(.head(Self.head()))))
    }

    @Test func aParserErrorAfterAWebhookComesAfterItsAnswer() {
        var machine = Machine(settings: Self.settings)
        Self.request(&machine)
        #expect(machine.receive(.parserError(.invalidChunkSize)) == .none)
        #expect(machine.next() == nil)
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: true, omitBody: false))
        #expect(machine.next() == .refuse(.unparsable(.invalidChunkSize)))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: false, omitBody: false))
    }

    @Test func aFramingErrorInsideABodyIsAnsweredThenCloses() {
        var machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head(headers: [("Transfer-Encoding", "chunked")])))
        _ = machine.admit(limit: 100)
        #expect(machine.receive(.parserError(.invalidChunkSize)) == .refuse(.unparsable(.invalidChunkSize)))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: false, omitBody: false))
    }

    @Test func halfCloseBeforeAndDuringAnAnswer() {
        var machine = Machine(settings: Self.settings)
        #expect(machine.receive(.inputClosed) == .close(nil))

        machine = Machine(settings: Self.settings)
        Self.request(&machine)
        #expect(machine.receive(.inputClosed) == .none, "the answer still goes out")
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: true, omitBody: false))
        #expect(machine.next() == .close(nil))

        machine = Machine(settings: Self.settings)
        _ = machine.receive(.head(Self.head()))
        _ = machine.admit(limit: 100)
        #expect(machine.receive(.inputClosed) == .refuse(.bodyCutShort))
    }

    @Test func theClientClosingMidAnswerDropsItAndWhatWaited() {
        var machine = Machine(settings: Self.settings)
        Self.request(&machine)
        _ = machine.receive(.head(Self.head()))
        _ = machine.receive(.end)
        machine.closed()
        #expect(machine.answerReady() == .drop)
        #expect(machine.next() == nil, "a queued webhook is not started for a client that left")
    }

    @Test func gracefulShutdownClosesIdleNowAndBusyAfterTheAnswer() {
        var machine = Machine(settings: Self.settings)
        #expect(machine.shutdown() == .close(nil))

        machine = Machine(settings: Self.settings)
        Self.request(&machine)
        #expect(machine.shutdown() == .none)
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: false, omitBody: false))
    }

    @Test func headRequestsOmitTheBody() {
        var machine = Machine(settings: Self.settings)
        Self.request(&machine, head: Self.head("/healthz", method: .HEAD))
        #expect(machine.answerReady() == .write(version: .http1_1, keepAlive: true, omitBody: true))
    }
}

extension ConnectionStateMachine.Action: Equatable {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.none, .none), (.sendContinue, .sendContinue), (.complete, .complete): return true
        case (.begin(let a), .begin(let b)): return a == b
        case (.append(let a), .append(let b)): return a == b
        case (.refuse(let a), .refuse(let b)): return a == b
        case (.close(let a), .close(let b)): return a == b
        default: return false
        }
    }
}
